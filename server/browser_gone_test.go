package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/storage"
)

// TestBrowserSessionEndedElsewhere: a session withdrawn in another tab, or
// deleted by its researcher, while the participant is in the middle of it:
// the page stops at a screen that says which, and asks the server nothing
// again that it refused (only network failures and 5xx are retried).
func TestBrowserSessionEndedElsewhere(t *testing.T) {
	for _, c := range []struct {
		name  string
		slug  string
		shown string // the message shown, the other one hidden
	}{
		{"withdrawn in another tab", "e2e-gone-withdrawn", "#gone-withdrawn"},
		{"deleted by the researcher", "e2e-gone-deleted", "#gone-deleted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newBrowser(t)
			es := newE2EServer(t)
			bg := context.Background()
			r, err := es.db.CreateResearcher(bg, "ada@example.org", "correct horse battery")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := es.db.CreateOwnedExperiment(bg, r.ID, shortStudy(c.slug)); err != nil {
				t.Fatal(err)
			}
			if _, err := es.db.SetStatus(bg, r.ID, c.slug, storage.StatusOpen); err != nil {
				t.Fatal(err)
			}

			p := newParticipant(t, ctx)
			ended := 0 // requests answered before the session ended
			p.hook = func(st pageState) bool {
				if st.State != "induction" || ended > 0 {
					return false
				}
				id, _, _, _ := es.onlySession()
				ended = len(es.log.requests())
				if c.shown == "#gone-withdrawn" {
					token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem("mccollough:`+c.slug+`:p-gone")).token`))
					if err != nil {
						t.Fatal(err)
					}
					wantStatus(t, es.do(http.MethodPost, "/api/v1/sessions/"+id+"/withdraw", nil, auth(token)...), http.StatusOK)
				} else if _, err := es.db.DeleteParticipantData(bg, r.ID, c.slug, id, ""); err != nil {
					t.Fatal(err)
				}
				return true
			}
			p.open(studyLink(es.url, c.slug, "p-gone"))
			p.run(90*time.Second, func(st pageState) bool { return st.State == "gone" })

			hidden, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`["#gone-withdrawn", "#gone-deleted", "#withdraw"].map((s) => document.querySelector(s).hidden)`))
			if err != nil {
				t.Fatal(err)
			}
			if wantWithdrawn := c.shown == "#gone-withdrawn"; hidden[0] == wantWithdrawn || hidden[1] != wantWithdrawn || !hidden[2] {
				t.Fatalf("[withdrawn message, deleted message, withdraw button] hidden = %v", hidden)
			}
			queued, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Object.keys(localStorage).filter(k => k.startsWith("mccollough:queue:")).length`))
			if err != nil || queued != 0 {
				t.Fatalf("%d local queues left (%v)", queued, err)
			}
			// Each request the server refused after the end was sent once.
			refused := map[string]int{}
			for _, a := range es.log.requests()[ended:] {
				if a.status >= 400 && a.status < 500 {
					refused[a.method+" "+a.path]++
				}
			}
			if len(refused) == 0 {
				t.Fatal("the page ended without a refusal from the server")
			}
			for req, n := range refused {
				if n > 1 {
					t.Errorf("%s was refused %d times: retried", req, n)
				}
			}
		})
	}
}

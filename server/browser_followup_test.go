package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

func followupStudy(slug string, afterS float64) experiments.Definition {
	d := shortStudy(slug)
	d.Phases.Followup = true
	d.Phases.FollowupAfterS = &afterS
	return d.WithDefaults()
}

// TestBrowserFollowupVisit: the finished page says when the follow-up
// retest is due (a day after completion here); once the server's clock has
// moved past that, the reopened page offers it; the participant takes it,
// its trials land in the same session after the completion, and the page
// returns without offering it again.
func TestBrowserFollowupVisit(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(followupStudy("e2e-followup", 24*3600), storage.StatusOpen)
	p := newParticipant(t, ctx)
	p.open(studyLink(es.url, "e2e-followup", "p-fu"))
	p.run(90*time.Second, nil)
	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	var followup []int
	for _, tr := range plan.Trials {
		if tr.Phase == experiments.PhaseFollowup {
			followup = append(followup, tr.Index)
		}
	}
	if len(followup) == 0 || len(es.storedTrials(id)) != len(plan.Trials)-len(followup) {
		t.Fatalf("before the follow-up: %d stored of %d (follow-up %d)", len(es.storedTrials(id)), len(plan.Trials), len(followup))
	}
	if text := pageText(t, ctx, "#step"); !strings.Contains(text, "come back on or after") || strings.Contains(text, "Start the follow-up test") {
		t.Fatalf("before it is due: %q", text)
	}
	// A day later the follow-up is due: the participant opens the page
	// again and is offered it.
	es.clock.Advance(24*time.Hour + time.Minute)
	if _, err := chromedp.Run(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	p.run(30*time.Second, nil)
	if !strings.Contains(pageText(t, ctx, "#step"), "Start the follow-up test") {
		t.Fatalf("no follow-up offered: %q", pageText(t, ctx, "#step"))
	}
	p.click("[data-followup]")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.state !== "finished"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the follow-up does not start: %v", err)
	}
	p.run(90*time.Second, nil)
	if n := len(es.storedTrials(id)); n != len(plan.Trials) {
		t.Fatalf("after the follow-up %d trials stored, plan has %d", n, len(plan.Trials))
	}
	var elapsed float64
	if err := es.sql.QueryRow(context.Background(), `SELECT min(extract(epoch FROM t.created_at - s.completed_at))
		FROM trials t JOIN sessions s ON s.id = t.session_id WHERE t.phase = 'followup'`).Scan(&elapsed); err != nil || elapsed <= 0 {
		t.Fatalf("follow-up trials must come after the completion (elapsed %g s, %v)", elapsed, err)
	}
	body := pageText(t, ctx, "#step")
	if strings.Contains(body, "Start the follow-up test") {
		t.Fatal("the follow-up is offered again after it was done")
	}
}

// TestBrowserFollowupReturnLink: before the follow-up is due, the finished
// page says when to come back and gives a personal return link, which
// reopens the session in another browser.
func TestBrowserFollowupReturnLink(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(followupStudy("e2e-later", 2*24*3600), storage.StatusOpen)
	p := newParticipant(t, ctx)
	p.open(studyLink(es.url, "e2e-later", "p-later"))
	p.run(90*time.Second, nil)
	link, text := pageText(t, ctx, "[data-return]"), pageText(t, ctx, "#step")
	if !strings.Contains(link, "#resume=") || !strings.Contains(text, "come back on or after") {
		t.Fatalf("return link %q in %q", link, text)
	}
	// Another browser, with nothing stored locally, opens the link.
	other := newBrowser(t)
	q := newParticipant(t, other)
	q.open(link)
	st := q.run(30*time.Second, nil)
	if st.State != "finished" {
		t.Fatalf("the return link shows %q", st.State)
	}
	if again := pageText(t, other, "#step"); !strings.Contains(again, "come back on or after") {
		t.Fatalf("the return link's page: %q", again)
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions: the return link must reopen the same one", n)
	}
	rec := es.do(http.MethodGet, "/s/e2e-later", nil)
	wantStatus(t, rec, http.StatusOK)
}

// pageText is the text content of the first element matching selector.
func pageText(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector(`+strconv.Quote(selector)+`) || {}).textContent || ""`))
	if err != nil {
		t.Fatalf("reading %s: %v", selector, err)
	}
	return text
}

package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mccollough/mccollough/storage"
)

// TestFollowupAnswersWaitForTheirTime: the follow-up retest measures what
// is left a set time after the session; the server's clock decides when it
// opens, so a client that answers its trials early (before completing, or
// before the delay) is refused and nothing is stored.
func TestFollowupAnswersWaitForTheirTime(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("later")
	d.Phases.Followup, d.Phases.FollowupAfterS = true, new(3600.0)
	ts.addStudy(d.WithDefaults(), storage.StatusOpen)
	s := ts.startSession("later", nil)
	var followup, rest []int
	for _, tr := range s.Plan.Trials {
		if tr.Phase == "followup" {
			followup = append(followup, tr.Index)
		} else {
			rest = append(rest, tr.Index)
		}
	}
	if len(followup) == 0 {
		t.Fatal("the plan has no follow-up trials")
	}
	putFollowup := func() (int, string) {
		tr := s.Plan.Trials[followup[0]]
		rec := ts.do(http.MethodPut, fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.SessionID, tr.Index), browserAnswer("red"), auth(s.Token)...)
		return rec.Code, rec.Body.String()
	}
	if code, body := putFollowup(); code != http.StatusConflict || !strings.Contains(body, "after the session is completed") {
		t.Fatalf("a follow-up answer before completing: %d %s", code, body)
	}
	for _, i := range rest {
		if got := ts.put(s, i, browserAnswer("green")); got != http.StatusCreated {
			t.Fatalf("PUT %d: %d", i, got)
		}
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...), http.StatusOK)
	if code, body := putFollowup(); code != http.StatusConflict || !strings.Contains(body, "opens at") {
		t.Fatalf("a follow-up answer a moment after completing: %d %s", code, body)
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE phase = 'followup'`); n != 0 {
		t.Fatalf("%d follow-up trials stored before their time", n)
	}
	ts.clock.Advance(time.Hour)
	if code, body := putFollowup(); code != http.StatusCreated {
		t.Fatalf("a follow-up answer an hour later: %d %s", code, body)
	}
}

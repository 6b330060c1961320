package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/mccollough/mccollough/storage"
)

// Timeouts, catch trials, the time since induction and the input travel
// through the participant API; what a trial does not allow is a 422
// naming the field.
func TestProtocolAnswersThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("paced")
	d.Test.CatchTrials, d.Test.ResponseWindowMS = 1, 2000
	ts.addStudy(d.WithDefaults(), storage.StatusOpen)
	ts.addStudy(shortDefinition("unpaced"), storage.StatusOpen)
	s := ts.startSession("paced", nil)
	catch, post, baseline := -1, -1, -1
	for _, tr := range s.Plan.Trials {
		switch {
		case tr.Catch:
			catch = tr.Index
		case tr.Phase == "post" && post < 0:
			post = tr.Index
		case tr.Phase == "baseline" && baseline < 0:
			baseline = tr.Index
		}
	}
	if catch < 0 || post < 0 || baseline < 0 {
		t.Fatalf("plan lacks a catch (%d), post (%d) or baseline (%d) trial", catch, post, baseline)
	}
	timeout := answer("timeout", *s.Plan.Trials[baseline].Tint)
	timeout["input"] = "key"
	if got := ts.put(s, baseline, timeout); got != http.StatusCreated {
		t.Errorf("timeout PUT: %d", got)
	}
	late := answer("red", *s.Plan.Trials[post].Tint)
	late["since_induction_ms"], late["input"] = 4321.5, "touch"
	if got := ts.put(s, post, late); got != http.StatusCreated {
		t.Errorf("post PUT with since_induction_ms: %d", got)
	}
	if got := ts.put(s, catch, answer("red", *s.Plan.Trials[catch].Tint)); got != http.StatusCreated {
		t.Errorf("catch PUT: %d", got)
	}
	var isCatch bool
	var since *float64
	var input *string
	err := ts.sql.QueryRow(context.Background(), `SELECT catch, since_induction_ms, input FROM trials WHERE session_id = $1 AND trial_index = $2`,
		s.SessionID, post).Scan(&isCatch, &since, &input)
	if err != nil || isCatch || since == nil || *since != 4321.5 || input == nil || *input != "touch" {
		t.Errorf("stored post trial: catch %v since %v input %v (%v)", isCatch, since, input, err)
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1 AND catch`, s.SessionID); n != 1 {
		t.Errorf("%d catch rows, want 1", n)
	}

	u := ts.startSession("unpaced", nil)
	for name, tc := range map[string]struct {
		s     createdSession
		index int
		body  map[string]any
		field string
	}{
		"timeout without a response window": {u, 0, answer("timeout", *u.Plan.Trials[0].Tint), "response"},
		"since_induction_ms before induction": {s, baseline + 1, map[string]any{"response": "red",
			"tint": *s.Plan.Trials[baseline+1].Tint, "since_induction_ms": 10}, "since_induction_ms"},
		"unknown input": {s, baseline + 1, map[string]any{"response": "red", "tint": *s.Plan.Trials[baseline+1].Tint, "input": "voice"}, "input"},
	} {
		rec := ts.do(http.MethodPut, "/api/v1/sessions/"+tc.s.SessionID+fmt.Sprintf("/trials/%d", tc.index), tc.body, auth(tc.s.Token)...)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if e := decodeError(t, rec); len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: fields %+v, want %q", name, e.Fields, tc.field)
		}
	}
}

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
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
	for _, tr := range ts.planned(s) { // catch trials are not marked for the browser
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
	timeout := answer("timeout", ts.tint(s, baseline))
	timeout["input"] = "key"
	if got := ts.put(s, baseline, timeout); got != http.StatusCreated {
		t.Errorf("timeout PUT: %d", got)
	}
	late := answer("red", ts.tint(s, post))
	late["since_induction_ms"], late["input"] = 4321.5, "touch"
	if got := ts.put(s, post, late); got != http.StatusCreated {
		t.Errorf("post PUT with since_induction_ms: %d", got)
	}
	if got := ts.put(s, catch, answer("red", ts.tint(s, catch))); got != http.StatusCreated {
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
		"timeout without a response window": {u, 0, answer("timeout", ts.tint(u, 0)), "response"},
		"since_induction_ms before induction": {s, baseline + 1, map[string]any{"response": "red",
			"tint": ts.tint(s, baseline+1), "since_induction_ms": 10}, "since_induction_ms"},
		"unknown input": {s, baseline + 1, map[string]any{"response": "red", "tint": ts.tint(s, baseline+1), "input": "voice"}, "input"},
	} {
		rec := ts.do(http.MethodPut, "/api/v1/sessions/"+tc.s.SessionID+fmt.Sprintf("/trials/%d", tc.index), tc.body, auth(tc.s.Token)...)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if e := decodeError(t, rec); len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: fields %+v, want %q", name, e.Fields, tc.field)
		}
	}
}

// The step fragments of a study with every protocol option: the practice
// (not numbered), parts numbered "Part n of 3" (the induction too), the
// block's pacing in its data, the post test starting by itself, the
// definition's max_gap_s in the induction's data.
func TestProtocolFragments(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("paced-frag")
	d.Practice = &experiments.Practice{Trials: 4}
	d.Test.CatchTrials, d.Test.BreakEvery, d.Test.BreakS = 1, 3, 10
	d.Phases.PostDelayS, d.Phases.Reversal = 3, true
	d.Induction.MaxGapS = new(float64)
	*d.Induction.MaxGapS = 8
	ts.addStudy(d.WithDefaults(), storage.StatusOpen)
	s := ts.startSession("paced-frag", nil)
	type stepData struct {
		FirstTrial     int  `json:"first_trial"`
		TrialCount     int  `json:"trial_count"`
		ITIMS          int  `json:"iti_ms"`
		BreakEvery     int  `json:"break_every"`
		BreakMS        int  `json:"break_ms"`
		StartDelayMS   *int `json:"start_delay_ms"`
		FeedbackMS     int  `json:"feedback_ms"`
		RestartAfterMS int  `json:"restart_after_ms"`
		Trials         []struct {
			Catch    bool `json:"catch"`
			Feedback bool `json:"feedback"`
		} `json:"trials"`
	}
	for i, st := range s.Plan.Steps {
		if st.Kind == "consent" || st.Kind == "screen_check" || st.Kind == "debrief" {
			continue
		}
		rec := ts.do(http.MethodGet, fmt.Sprintf("/s/paced-frag/sessions/%s/steps/%d", s.SessionID, i), nil, auth(s.Token)...)
		wantStatus(t, rec, http.StatusOK)
		frag := rec.Body.String()
		var data stepData
		if st.Kind != "instructions" {
			stepJSON(t, frag, &data)
		}
		has := func(wants ...string) {
			t.Helper()
			for _, w := range wants {
				if !strings.Contains(frag, w) {
					t.Fatalf("%s/%s fragment lacks %q:\n%s", st.Kind, st.Phase, w, frag)
				}
			}
		}
		lacks := func(w string) {
			t.Helper()
			if strings.Contains(frag, w) {
				t.Fatalf("%s/%s fragment says %q:\n%s", st.Kind, st.Phase, w, frag)
			}
		}
		// Catch trials are the server's to know: the browser's data marks none.
		catch := 0
		for k, tr := range data.Trials {
			if tr.Catch {
				t.Fatalf("%s/%s: the browser is told trial %d is a catch trial", st.Kind, st.Phase, data.FirstTrial+k)
			}
			if ts.plannedTrial(s, data.FirstTrial+k).Catch {
				catch++
			}
		}
		switch st.Kind + "/" + st.Phase {
		case "instructions/baseline":
			has("short <strong>practice", "The study has 3 parts")
		case "test/practice":
			has(">Practice</h1>", "4 practice patterns", "whether it was right", "data-next")
			lacks("Part ")
			if data.TrialCount != 4 || data.BreakEvery != 0 || data.StartDelayMS != nil || !data.Trials[0].Feedback || data.FeedbackMS <= 0 {
				t.Fatalf("practice data %+v", data)
			}
		case "test/baseline":
			has("Part 1 of 3: colour judgements", "5 patterns.", "data-next", "A short rest")
			if data.TrialCount != 5 || catch != 1 || data.ITIMS != 250 || data.BreakEvery != 3 || data.BreakMS != 10000 ||
				data.FirstTrial != 4 || data.StartDelayMS != nil {
				t.Fatalf("baseline data %+v", data)
			}
		case "induction/induction":
			has("Part 2 of 3: coloured patterns")
			if data.RestartAfterMS != 8000 {
				t.Fatalf("restart_after_ms %d, want max_gap_s 8 s", data.RestartAfterMS)
			}
		case "test/post":
			has("Part 3 of 3: colour judgements", "starts by itself", "data-autostart")
			lacks("data-next")
			if data.StartDelayMS == nil || *data.StartDelayMS != 3000 || catch != 1 {
				t.Fatalf("post data %+v", data)
			}
		case "induction/reversal":
			has("Undoing the effect")
			lacks("Part ")
		default:
			t.Fatalf("unexpected step %s/%s", st.Kind, st.Phase)
		}
	}
}

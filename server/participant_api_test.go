package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// shortDefinition is a quick study: 2 tints × 1 repeat × 2 patterns per
// test phase, a 10 s induction.
func shortDefinition(slug string) experiments.Definition {
	d := experiments.Classic()
	d.Slug, d.Name = slug, "Short "+slug
	d.Induction.DurationS, d.Induction.SwitchS = 10, 1
	d.Test.Tints = []float64{-4, 4}
	d.Test.Repeats = 1
	d.Test.ExtraPatterns = []experiments.ExtraPattern{}
	d.CompletionURL = "https://app.prolific.com/submissions/complete?cc={code}"
	d.Screening = screeningOff() // screening_api_test.go covers it
	return d.WithDefaults()
}

func screeningOff() *experiments.Screening {
	off := false
	return &experiments.Screening{Enabled: &off}
}

func (ts *testServer) addStudy(def experiments.Definition, status string) storage.Experiment {
	ts.t.Helper()
	e, err := ts.db.CreateExperiment(context.Background(), nil, def, status)
	if err != nil {
		ts.t.Fatal(err)
	}
	return e
}

type createdSession struct {
	SessionID string                `json:"session_id"`
	Token     string                `json:"token"`
	Status    string                `json:"status"`
	Condition experiments.Condition `json:"condition"`
	Stored    []int                 `json:"stored"`
	Plan      struct {
		Steps []struct {
			Kind         string            `json:"kind"`
			Phase        string            `json:"phase"`
			Block        *int              `json:"block"`
			StimulusURLs map[string]string `json:"stimulus_urls"`
		} `json:"steps"`
		Trials []struct {
			Index       int      `json:"index"`
			Phase       string   `json:"phase"`
			Method      string   `json:"method"`
			Pattern     string   `json:"pattern"`
			Tint        *float64 `json:"tint"`
			Required    bool     `json:"required"`
			Catch       bool     `json:"catch"`
			StimulusURL string   `json:"stimulus_url"`
		} `json:"trials"`
	} `json:"plan"`
}

func (ts *testServer) startSession(slug string, body any) createdSession {
	ts.t.Helper()
	rec := ts.do(http.MethodPost, "/api/v1/studies/"+slug+"/sessions", body)
	wantStatus(ts.t, rec, http.StatusCreated)
	var s createdSession
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		ts.t.Fatal(err)
	}
	return s
}

func auth(token string) []string { return []string{"Authorization", "Bearer " + token} }

func answer(resp string, tint float64) map[string]any {
	return map[string]any{"response": resp, "tint": tint, "rt_ms": 512.5, "onset_ms": 1000,
		"intended_ms": 1000, "measured_ms": 1000.2, "frames": 60, "dropped_frames": 0}
}

func (ts *testServer) put(s createdSession, index int, body any) int {
	ts.t.Helper()
	return ts.do(http.MethodPut, fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.SessionID, index), body, auth(s.Token)...).Code
}

func (ts *testServer) countRows(sql string, args ...any) int {
	ts.t.Helper()
	var n int
	if err := ts.sql.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		ts.t.Fatal(err)
	}
	return n
}

func TestCreateSessionReturnsAConcretePlan(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", map[string]any{
		"params": map[string]string{"PROLIFIC_PID": "p123", "STUDY_ID": "s1", "SESSION_ID": "x"},
		"screen": map[string]any{"refresh_hz": 60, "device_pixel_ratio": 2, "viewport": map[string]int{"width": 1280, "height": 800}},
	})
	if s.SessionID == "" || len(s.Token) < 22 || s.Status != "started" {
		t.Fatalf("session %+v", s)
	}
	if got := len(s.Plan.Trials); got != 8 {
		t.Fatalf("%d trials, want 2 tints × 2 patterns × 2 phases = 8", got)
	}
	for i, tr := range s.Plan.Trials {
		// A sealed image URL, and no tint: the browser learns nothing but pixels.
		if tr.Index != i || tr.Tint != nil || !strings.HasPrefix(tr.StimulusURL, "/stimuli/") || !tr.Required {
			t.Fatalf("trial %d: %+v", i, tr)
		}
	}
	var induction int
	for _, st := range s.Plan.Steps {
		if st.Kind == "induction" {
			induction++
			if len(st.StimulusURLs) != 2 {
				t.Fatalf("induction stimuli %v, want a/<colour> and b/<colour>", st.StimulusURLs)
			}
			if _, ok := st.StimulusURLs[s.Condition.RedPattern+"/red"]; !ok {
				t.Fatalf("condition %+v but induction stimuli %v", s.Condition, st.StimulusURLs)
			}
		}
	}
	if induction != 1 {
		t.Fatalf("%d induction steps", induction)
	}
	// The stimulus URLs serve images.
	rec := ts.do(http.MethodGet, s.Plan.Trials[0].StimulusURL, nil)
	wantStatus(t, rec, http.StatusOK)
	if rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("content type %q", rec.Header().Get("Content-Type"))
	}
	// What is stored about the participant: the link's parameters and the
	// screen, nothing else.
	var ref, params, screen string
	err := ts.sql.QueryRow(context.Background(), `SELECT participant_ref, params::text, screen::text FROM sessions WHERE id = $1`, s.SessionID).Scan(&ref, &params, &screen)
	if err != nil {
		t.Fatal(err)
	}
	if ref != "p123" || !strings.Contains(params, `"STUDY_ID": "s1"`) || !strings.Contains(screen, `"refresh_hz": 60`) {
		t.Fatalf("stored ref %q params %s screen %s", ref, params, screen)
	}
}

func TestCreateSessionErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("open-one"), storage.StatusOpen)
	ts.addStudy(shortDefinition("draft-one"), storage.StatusDraft)
	ts.addStudy(shortDefinition("closed-one"), storage.StatusClosed)
	for _, tc := range []struct {
		name   string
		slug   string
		body   any
		status int
		field  string
	}{
		{"unknown study", "nope", nil, http.StatusNotFound, ""},
		{"draft study", "draft-one", nil, http.StatusNotFound, ""},
		{"closed study", "closed-one", nil, http.StatusNotFound, ""},
		{"malformed JSON", "open-one", `{"params": {`, http.StatusBadRequest, ""},
		{"unknown field", "open-one", `{"param": {}}`, http.StatusUnprocessableEntity, "param"},
		{"wrong type", "open-one", `{"params": {"PROLIFIC_PID": 5}}`, http.StatusUnprocessableEntity, "params"},
		{"implausible screen", "open-one", `{"screen": {"refresh_hz": -3}}`, http.StatusUnprocessableEntity, "screen.refresh_hz"},
		{"long parameter", "open-one", `{"params": {"pid": "` + strings.Repeat("x", 300) + `"}}`, http.StatusUnprocessableEntity, "params.pid"},
		{"oversized body", "open-one", `{"params": {"pid": "` + strings.Repeat("x", 2<<20) + `"}}`, http.StatusRequestEntityTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do(http.MethodPost, "/api/v1/studies/"+tc.slug+"/sessions", tc.body)
			wantStatus(t, rec, tc.status)
			e := decodeError(t, rec)
			if tc.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tc.field) {
				t.Fatalf("fields %+v, want %q named", e.Fields, tc.field)
			}
		})
	}
	if n := ts.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions stored by failed requests", n)
	}
}

func TestPutTrialStatuses(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", nil)
	other := ts.startSession("short", nil)
	tint := ts.tint(s, 0)
	good := browserAnswer("red")
	path := fmt.Sprintf("/api/v1/sessions/%s/trials/0", s.SessionID)

	// A tint that is not the trial's is refused, without saying the
	// trial's (the browser is not told it).
	rec := ts.do(http.MethodPut, path, answer("red", tint+1), auth(s.Token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if e := decodeError(t, rec); len(e.Fields) != 1 || e.Fields[0].Field != "tint" || strings.Contains(rec.Body.String(), fmt.Sprint(tint)) {
		t.Fatalf("a wrong tint: %s", rec.Body.String())
	}
	if got := ts.put(s, 0, good); got != http.StatusCreated {
		t.Fatalf("first PUT: %d", got)
	}
	// The same answer again, spelled differently and with the tint the
	// server took from the plan: stored once, 200.
	respelled := fmt.Sprintf(`{ "dropped_frames":0, "frames":60, "measured_ms":1000.2, "intended_ms":1000,
		"onset_ms":1000, "rt_ms":512.5, "tint":%g, "response":"red" }`, tint)
	if got := ts.put(s, 0, respelled); got != http.StatusOK {
		t.Fatalf("repeated PUT: %d", got)
	}
	var stored float64
	if err := ts.sql.QueryRow(context.Background(), `SELECT tint FROM trials WHERE session_id = $1 AND trial_index = 0`, s.SessionID).Scan(&stored); err != nil || stored != tint {
		t.Fatalf("stored tint %g (%v), want the planned %g", stored, err, tint)
	}
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		header []string
		status int
		field  string
	}{
		{"different answer for a stored index", path, browserAnswer("green"), auth(s.Token), http.StatusConflict, ""},
		{"index outside the plan", fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.SessionID, len(s.Plan.Trials)), good, auth(s.Token), http.StatusUnprocessableEntity, "index"},
		{"negative index", fmt.Sprintf("/api/v1/sessions/%s/trials/-1", s.SessionID), good, auth(s.Token), http.StatusUnprocessableEntity, "index"},
		{"missing token", path, good, nil, http.StatusUnauthorized, ""},
		{"wrong token", path, good, auth("not-the-token"), http.StatusUnauthorized, ""},
		{"another session's token", path, good, auth(other.Token), http.StatusUnauthorized, ""},
		{"unknown session", "/api/v1/sessions/00000000-0000-7000-8000-000000000000/trials/0", good, auth(s.Token), http.StatusNotFound, ""},
		{"malformed JSON", path, `{"response": "red",`, auth(s.Token), http.StatusBadRequest, ""},
		{"not an object", path, `[1,2]`, auth(s.Token), http.StatusBadRequest, ""},
		{"empty body", path, ``, auth(s.Token), http.StatusBadRequest, ""},
		{"oversized body", path, `{"response": "` + strings.Repeat("r", 2<<20) + `"}`, auth(s.Token), http.StatusRequestEntityTooLarge, ""},
		{"bad response word", fmt.Sprintf("/api/v1/sessions/%s/trials/1", s.SessionID), answer("blue", 0), auth(s.Token), http.StatusUnprocessableEntity, "response"},
		{"tint not the one shown", fmt.Sprintf("/api/v1/sessions/%s/trials/1", s.SessionID), answer("red", 99), auth(s.Token), http.StatusUnprocessableEntity, "tint"},
		{"unknown field", fmt.Sprintf("/api/v1/sessions/%s/trials/1", s.SessionID), `{"response":"red","tint":4,"colour":"x"}`, auth(s.Token), http.StatusUnprocessableEntity, "colour"},
		{"wrong type", fmt.Sprintf("/api/v1/sessions/%s/trials/1", s.SessionID), `{"response":"red","tint":"four"}`, auth(s.Token), http.StatusUnprocessableEntity, "tint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do(http.MethodPut, tc.path, tc.body, tc.header...)
			wantStatus(t, rec, tc.status)
			e := decodeError(t, rec)
			if tc.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tc.field) {
				t.Fatalf("fields %+v, want %q named", e.Fields, tc.field)
			}
		})
	}
	if n := ts.countRows(`SELECT count(*) FROM trials`); n != 1 {
		t.Fatalf("%d trial rows, want exactly the one accepted", n)
	}
	var resp string
	_ = ts.sql.QueryRow(context.Background(), `SELECT response FROM trials WHERE session_id = $1`, s.SessionID).Scan(&resp)
	if resp != "red" {
		t.Fatalf("stored response %q: the conflicting PUT must not overwrite", resp)
	}
}

func TestConcurrentPutsOfOneIndexStoreOneRow(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", nil)
	body := answer("green", ts.tint(s, 3))
	codes := make([]int, 20)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() { codes[i] = ts.put(s, 3, body) })
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("status %d among concurrent identical PUTs", c)
		}
	}
	if created != 1 {
		t.Fatalf("%d PUTs reported creating the row, want 1", created)
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, s.SessionID); n != 1 {
		t.Fatalf("%d rows", n)
	}
}

func TestCompleteOnlyWhenEveryRequiredTrialIsStored(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", nil)
	complete := func() (int, map[string]any) {
		rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...)
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	for i, tr := range ts.planned(s)[:5] {
		if got := ts.put(s, i, answer("red", *tr.Tint)); got != http.StatusCreated {
			t.Fatalf("PUT %d: %d", i, got)
		}
	}
	code, body := complete()
	if code != http.StatusConflict {
		t.Fatalf("complete with 3 trials missing: %d %v", code, body)
	}
	missing := body["details"].(map[string]any)["missing"].([]any)
	if len(missing) != 3 || missing[0].(float64) != 5 || missing[2].(float64) != 7 {
		t.Fatalf("missing %v, want [5 6 7]", missing)
	}
	for i, tr := range ts.planned(s)[5:] {
		ts.put(s, i+5, answer("green", *tr.Tint))
	}
	code, body = complete()
	if code != http.StatusOK {
		t.Fatalf("complete: %d %v", code, body)
	}
	cc := body["completion_code"].(string)
	if len(cc) != 8 || body["redirect_url"] != "https://app.prolific.com/submissions/complete?cc="+cc {
		t.Fatalf("completion %v", body)
	}
	if code, again := complete(); code != http.StatusOK || again["completion_code"] != cc {
		t.Fatalf("second complete: %d %v, want the same code", code, again)
	}
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...)
	wantStatus(t, rec, http.StatusOK)
	var st createdSession
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	if st.Status != "complete" || len(st.Stored) != 8 || st.Token != "" {
		t.Fatalf("state after completion: status %q stored %v token %q", st.Status, st.Stored, st.Token)
	}
	// A late retry of a stored trial is still acknowledged.
	if got := ts.put(s, 0, answer("red", ts.tint(s, 0))); got != http.StatusOK {
		t.Fatalf("retry after completion: %d", got)
	}
}

func TestGetSessionForResume(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", nil)
	ts.put(s, 0, answer("red", ts.tint(s, 0)))
	ts.put(s, 2, answer("red", ts.tint(s, 2)))
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...)
	wantStatus(t, rec, http.StatusOK)
	var st createdSession
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	if fmt.Sprint(st.Stored) != "[0 2]" || len(st.Plan.Trials) != 8 || st.Condition != s.Condition {
		t.Fatalf("resume state %+v", st)
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil), http.StatusUnauthorized)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/not-a-uuid", nil, auth(s.Token)...), http.StatusNotFound)
}

func TestEventsAreIdempotentBySequence(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	s := ts.startSession("short", nil)
	batch := `{"events": [
		{"seq": 0, "kind": "phase_start", "t_ms": 10.5, "data": {"phase": "baseline"}},
		{"seq": 1, "kind": "visibility_hidden", "t_ms": 2000},
		{"seq": 2, "kind": "fullscreen_exit", "t_ms": 2500}]}`
	post := func(body string) (int, map[string]any) {
		rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events", body, auth(s.Token)...)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, out := post(batch); code != http.StatusOK || out["stored"].(float64) != 3 {
		t.Fatalf("first batch: %d %v", code, out)
	}
	if code, out := post(batch); code != http.StatusOK || out["stored"].(float64) != 0 {
		t.Fatalf("resent batch: %d %v", code, out)
	}
	if n := ts.countRows(`SELECT count(*) FROM events WHERE session_id = $1`, s.SessionID); n != 3 {
		t.Fatalf("%d events stored", n)
	}
	code, _ := post(`{"events": [{"seq": -1, "kind": "Bad Kind", "t_ms": 1}]}`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid events: %d", code)
	}
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events", `{"events": [{"seq": -1, "kind": "Bad Kind", "t_ms": 1}]}`, auth(s.Token)...)
	e := decodeError(t, rec)
	if len(e.Fields) != 2 || e.Fields[0].Field != "events[0].seq" || e.Fields[1].Field != "events[0].kind" {
		t.Fatalf("fields %+v", e.Fields)
	}
}

// TestCounterbalanceUnderConcurrentCreation: 50 participants arriving at
// once are split 25/25 between the arms.
func TestCounterbalanceUnderConcurrentCreation(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), storage.StatusOpen)
	arms := make([]int, 50)
	var wg sync.WaitGroup
	for i := range arms {
		wg.Go(func() {
			rec := ts.do(http.MethodPost, "/api/v1/studies/short/sessions", nil)
			if rec.Code != http.StatusCreated {
				t.Errorf("create: %d %s", rec.Code, rec.Body.String())
				return
			}
			var s createdSession
			_ = json.Unmarshal(rec.Body.Bytes(), &s)
			arms[i] = s.Condition.Arm
		})
	}
	wg.Wait()
	counts := [2]int{}
	for _, a := range arms {
		counts[a]++
	}
	if counts != [2]int{25, 25} {
		t.Fatalf("arms %v, want 25/25", counts)
	}
	if n := ts.countRows(`SELECT count(DISTINCT condition) FROM sessions`); n != 2 {
		t.Fatalf("%d conditions stored", n)
	}
}

// TestStaircaseSessionThroughTheAPI: a simulated observer with a known PSE
// answers the staircase trials the server computes, until it says done;
// the session then completes.
func TestStaircaseSessionThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("stairs")
	d.Test = experiments.Test{Method: experiments.Staircase, DurationMS: 500, ExtraPatterns: []experiments.ExtraPattern{}}
	d = d.WithDefaults()
	ts.addStudy(d, storage.StatusOpen)
	s := ts.startSession("stairs", nil)
	const pse = 3.0
	stored := 0
	for _, block := range []int{0, 1} {
		for step := 0; ; step++ {
			rec := ts.do(http.MethodGet, fmt.Sprintf("/api/v1/sessions/%s/next?block=%d", s.SessionID, block), nil, auth(s.Token)...)
			wantStatus(t, rec, http.StatusOK)
			var next struct {
				Done  bool `json:"done"`
				Trial struct {
					Index       int      `json:"index"`
					Tint        *float64 `json:"tint"`
					StimulusURL string   `json:"stimulus_url"`
				} `json:"trial"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &next)
			if next.Done {
				break
			}
			if next.Trial.StimulusURL == "" || next.Trial.Tint != nil || step > 200 {
				t.Fatalf("next (a sealed URL, no tint): %s", rec.Body.String())
			}
			// The observer sees the tint (the test asks the server's plan);
			// the browser is not told it, and does not send it.
			planned, _, err := ts.db.NextStaircaseTrial(context.Background(), s.SessionID, s.Token, block)
			if err != nil || planned.Index != next.Trial.Index {
				t.Fatalf("the server's next trial %+v (%v), the browser's %d", planned, err, next.Trial.Index)
			}
			resp := "green"
			if *planned.Tint > pse { // a noiseless observer
				resp = "red"
			}
			if got := ts.put(s, next.Trial.Index, browserAnswer(resp)); got != http.StatusCreated {
				t.Fatalf("PUT staircase trial %d: %d", next.Trial.Index, got)
			}
			stored++
		}
	}
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...)
	wantStatus(t, rec, http.StatusOK)
	// The reversals hover around the PSE.
	var mean float64
	err := ts.sql.QueryRow(context.Background(), `SELECT avg(tint) FROM trials WHERE session_id = $1 AND trial_index IN
		(SELECT trial_index FROM trials WHERE session_id = $1 ORDER BY trial_index DESC LIMIT 8)`, s.SessionID).Scan(&mean)
	if err != nil || math.Abs(mean-pse) > 2 {
		t.Fatalf("late staircase tints average %.2f (err %v), want near %g", mean, err, pse)
	}
	if stored == 0 {
		t.Fatal("no staircase trials")
	}
}

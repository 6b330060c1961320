package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// screenedDefinition is the short study with the default screening on.
func screenedDefinition(slug string) experiments.Definition {
	d := shortDefinition(slug)
	d.Screening = nil
	return d.WithDefaults()
}

// screeningTrial is a screening trial as the browser gets it: no target
// and no tint, one URL per patch.
type screeningTrial struct {
	Index     int      `json:"index"`
	Method    string   `json:"method"`
	Tint      *float64 `json:"tint"`
	Patches   int      `json:"patches"`
	Target    *int     `json:"target"`
	PatchURLs []string `json:"patch_urls"`
}

// target is where the server put a screening trial's tinted patch.
func (ts *testServer) target(s createdSession, tr screeningTrial) int {
	ts.t.Helper()
	planned := ts.plannedTrial(s, tr.Index)
	if planned.Target == nil {
		ts.t.Fatalf("trial %d has no target", tr.Index)
	}
	return *planned.Target
}

// pickByPixels finds the tinted patch as a participant does, by looking:
// the one image unlike the others.
func (ts *testServer) pickByPixels(tr screeningTrial) int {
	ts.t.Helper()
	images := make([][]byte, len(tr.PatchURLs))
	for i, u := range tr.PatchURLs {
		rec := ts.do(http.MethodGet, u, nil)
		wantStatus(ts.t, rec, http.StatusOK)
		images[i] = rec.Body.Bytes()
	}
	for i, img := range images {
		unlike := 0
		for j, other := range images {
			if j != i && !bytes.Equal(img, other) {
				unlike++
			}
		}
		if unlike == len(images)-1 {
			return i
		}
	}
	ts.t.Fatalf("screening trial %d: no patch stands out", tr.Index)
	return -1
}

func screeningTrials(t *testing.T, ts *testServer, s createdSession) []screeningTrial {
	t.Helper()
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...)
	var body struct {
		Plan struct {
			Trials []screeningTrial `json:"trials"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	var out []screeningTrial
	for _, tr := range body.Plan.Trials {
		if tr.Method == "screening" {
			out = append(out, tr)
		}
	}
	return out
}

func (ts *testServer) screen(s createdSession) (int, map[string]any) {
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/screening", nil, auth(s.Token)...)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestScreeningPassLetsTheTestsRun(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(screenedDefinition("screened"), "open")
	s := ts.startSession("screened", map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 1280, "height": 800}}})
	trials := screeningTrials(t, ts, s)
	if len(trials) != 6 || trials[0].Index != 0 {
		t.Fatalf("screening trials %+v", trials)
	}
	// The browser is told neither the target nor the tint, and every
	// patch has a URL of its own: which one is tinted shows in the pixels only.
	seen := map[string]bool{}
	for _, tr := range trials {
		if tr.Target != nil || tr.Tint != nil || len(tr.PatchURLs) != tr.Patches || tr.Patches != 4 {
			t.Fatalf("screening trial %+v", tr)
		}
		for _, u := range tr.PatchURLs {
			if seen[u] {
				t.Fatalf("patch URL %s given twice", u)
			}
			seen[u] = true
		}
	}
	if code, out := ts.screen(s); code != http.StatusConflict || len(out["details"].(map[string]any)["missing"].([]any)) != 6 {
		t.Fatalf("verdict before any answer: %d %v", code, out)
	}
	for i, tr := range trials {
		choice := ts.pickByPixels(tr)
		if choice != ts.target(s, tr) {
			t.Fatalf("trial %d: the patch that looks tinted is %d, the server's target %d", tr.Index, choice, ts.target(s, tr))
		}
		if i == 0 {
			choice = (choice + 1) % tr.Patches // one mistake is allowed
		}
		if got := ts.put(s, tr.Index, map[string]any{"response": choice, "rt_ms": 900}); got != http.StatusCreated {
			t.Fatalf("screening answer: %d", got)
		}
	}
	code, out := ts.screen(s)
	if code != http.StatusOK || out["passed"] != true || out["correct"].(float64) != 5 {
		t.Fatalf("verdict: %d %v", code, out)
	}
	for _, tr := range s.Plan.Trials[len(trials):] {
		if got := ts.put(s, tr.Index, browserAnswer("red")); got != http.StatusCreated {
			t.Fatalf("test answer after passing: %d", got)
		}
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...), http.StatusOK)
}

func TestScreeningFailStopsTheSessionPolitely(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("screen@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", screenedDefinition("screened"), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/screened", `{"status": "open"}`, auth(token)...), http.StatusOK)
	s := ts.startSession("screened", nil)
	trials := screeningTrials(t, ts, s)
	for _, tr := range trials {
		ts.put(s, tr.Index, map[string]any{"response": (ts.target(s, tr) + 1) % tr.Patches})
	}
	code, out := ts.screen(s)
	if code != http.StatusOK || out["passed"] != false || out["reason"] != "color_vision" {
		t.Fatalf("verdict: %d %v", code, out)
	}
	// No test data is collected from a screened-out participant.
	test := s.Plan.Trials[len(trials)]
	if got := ts.put(s, test.Index, browserAnswer("red")); got != http.StatusConflict {
		t.Fatalf("test answer after failing the screening: %d", got)
	}
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...)
	st := decodeJSON[map[string]any](t, rec.Body.Bytes())
	if st["status"] != "screened_out" || st["status_reason"] != "color_vision" {
		t.Fatalf("state %v %v", st["status"], st["status_reason"])
	}
	d := decodeJSON[map[string]any](t, ts.do(http.MethodGet, "/api/v1/experiments/screened/dashboard", nil, auth(token)...).Body.Bytes())
	if d["by_status"].(map[string]any)["screened_out"].(float64) != 1 {
		t.Fatalf("dashboard %v", d["by_status"])
	}
	// The check's answers are kept as trials of phase screening; the results
	// leave the session out.
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1 AND phase = 'screening'`, s.SessionID); n != 6 {
		t.Fatalf("%d screening rows", n)
	}
	res := decodeJSON[map[string]any](t, ts.do(http.MethodGet, "/api/v1/experiments/screened/results", nil, auth(token)...).Body.Bytes())
	if groups := res["groups"].([]any); len(groups) != 0 {
		t.Fatalf("a screened-out session appears in the results: %v", groups)
	}
}

func TestSmallScreensAreScreenedOutAtTheStart(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(screenedDefinition("screened"), "open")
	s := ts.startSession("screened", map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 390, "height": 740}, "pointer": "coarse"}})
	if s.Status != "screened_out" {
		t.Fatalf("status %q", s.Status)
	}
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...)
	if reason := decodeJSON[map[string]any](t, rec.Body.Bytes())["status_reason"]; reason != "viewport_too_small" {
		t.Fatalf("reason %v", reason)
	}
	if got := ts.put(s, 0, map[string]any{"response": 0}); got != http.StatusConflict {
		t.Fatalf("answer after screening out: %d", got)
	}
	// Counterbalancing ignores screened-out sessions.
	a, b := ts.startSession("screened", nil), ts.startSession("screened", nil)
	if a.Condition.Arm == b.Condition.Arm {
		t.Fatal(fmt.Sprint("arms unbalanced by a screened-out session: ", a.Condition.Arm))
	}
}

// TestVersionsStoredBeforeAFieldExisted: a definition stored before the
// screening existed (no "screening" key) still runs, with the default.
func TestVersionsStoredBeforeAFieldExisted(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(screenedDefinition("old"), "open")
	if _, err := ts.sql.Exec(t.Context(), `UPDATE experiment_versions SET definition = definition - 'screening'`); err != nil {
		t.Fatal(err)
	}
	s := ts.startSession("old", map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 1280, "height": 800}}})
	if s.Status != "started" || len(screeningTrials(t, ts, s)) != 6 {
		t.Fatalf("status %q, %d screening trials", s.Status, len(screeningTrials(t, ts, s)))
	}
	small := ts.startSession("old", map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 300, "height": 300}}})
	if small.Status != "screened_out" {
		t.Fatalf("small screen: status %q", small.Status)
	}
	if code, _ := ts.screen(s); code != http.StatusConflict {
		t.Fatalf("verdict with no answers: %d", code)
	}
}

// TestScreeningIsDecidedByTheServer: a runner that never asks for the
// verdict gets nothing for it. Wrong answers, then test answers and
// /complete: refused, screened out, no code. No screening answers at all:
// the same (skipped). Right answers without asking: the server decides on
// the first test answer and the session goes on. The export shows each
// screening trial's target and whether it was hit.
func TestScreeningIsDecidedByTheServer(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("screen@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", screenedDefinition("screened"), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/screened", `{"status": "open"}`, auth(token)...), http.StatusOK)
	answerScreening := func(s createdSession, right bool) int {
		trials := screeningTrials(t, ts, s)
		for _, tr := range trials {
			choice := ts.target(s, tr)
			if !right {
				choice = (choice + 1) % tr.Patches
			}
			if got := ts.put(s, tr.Index, map[string]any{"response": choice, "rt_ms": 900}); got != http.StatusCreated {
				t.Fatalf("screening answer: %d", got)
			}
		}
		return len(trials)
	}
	complete := func(s createdSession) *httptestRecorder {
		return ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...)
	}
	// Every answer wrong, the verdict never asked for.
	wrong := ts.startSession("screened", nil)
	n := answerScreening(wrong, false)
	for _, tr := range wrong.Plan.Trials[n:] {
		if got := ts.put(wrong, tr.Index, browserAnswer("red")); got != http.StatusConflict {
			t.Fatalf("a test answer after failing answers: %d", got)
		}
	}
	rec := complete(wrong)
	wantStatus(t, rec, http.StatusConflict)
	if strings.Contains(rec.Body.String(), "completion_code") {
		t.Fatalf("a completion code for a session that failed: %s", rec.Body.String())
	}
	if status, reason := ts.sessionStatus(wrong.SessionID); status != "screened_out" || reason != "color_vision" {
		t.Fatalf("wrong answers: %s (%s)", status, reason)
	}
	// The screening skipped.
	skipped := ts.startSession("screened", nil)
	test := skipped.Plan.Trials[n]
	if got := ts.put(skipped, test.Index, browserAnswer("red")); got != http.StatusConflict {
		t.Fatalf("a test answer without screening answers: %d", got)
	}
	wantStatus(t, complete(skipped), http.StatusConflict)
	if status, reason := ts.sessionStatus(skipped.SessionID); status != "screened_out" || reason != "screening_skipped" {
		t.Fatalf("skipped screening: %s (%s)", status, reason)
	}
	// Right answers, the verdict not asked for: the tests run.
	right := ts.startSession("screened", nil)
	answerScreening(right, true)
	for _, tr := range right.Plan.Trials[n:] {
		if got := ts.put(right, tr.Index, browserAnswer("red")); got != http.StatusCreated {
			t.Fatalf("a test answer after right answers: %d", got)
		}
	}
	wantStatus(t, complete(right), http.StatusOK)

	rec = ts.do(http.MethodGet, "/api/v1/experiments/screened/export.csv", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	hits := map[string]int{}
	for _, row := range rows[1:] {
		method, target, correct := row[col["method"]], row[col["target"]], row[col["correct"]]
		switch {
		case method != "screening" && (target != "" || correct != ""):
			t.Errorf("a %s row with target %q, correct %q", method, target, correct)
		case method == "screening" && (target == "" || correct == ""):
			t.Errorf("a screening row without its target or correctness: %v", row)
		case method == "screening":
			if (row[col["response"]] == target) != (correct == "true") {
				t.Errorf("screening row: response %s, target %s, correct %s", row[col["response"]], target, correct)
			}
			hits[row[col["session_id"]]+"/"+correct]++
		}
	}
	if hits[wrong.SessionID+"/false"] != n || hits[right.SessionID+"/true"] != n {
		t.Errorf("screening rows by session and correctness: %v", hits)
	}
}

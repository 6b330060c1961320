package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
)

const firefoxUA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"

// storedPlan reads a session's plan as the server stored it (whatever the
// browser is shown): screening targets and catch trials.
func (ts *testServer) storedPlan(id string) (targets map[int]int, catch map[int]bool) {
	ts.t.Helper()
	var p experiments.Plan
	if err := ts.sql.QueryRow(context.Background(), `SELECT plan FROM sessions WHERE id = $1`, id).Scan(&p); err != nil {
		ts.t.Fatal(err)
	}
	targets, catch = map[int]int{}, map[int]bool{}
	for _, tr := range p.Trials {
		if tr.Target != nil {
			targets[tr.Index] = *tr.Target
		}
		catch[tr.Index] = tr.Catch
	}
	return targets, catch
}

// answerer gives a test trial's answer; nil: the simulated observer.
type answerer func(trialIndex int, catch bool, tint float64) string

// takePart runs a whole session through the API as the browser would:
// the screening (answered right), every test trial answered by a simulated
// observer, with the given frames dropped per trial and input modality,
// then events, then completion.
func (ts *testServer) takePart(slug, pid, userAgent string, seed uint64, dropped int, input string, events []map[string]any, answers ...answerer) createdSession {
	ts.t.Helper()
	rec := ts.do(http.MethodPost, "/api/v1/studies/"+slug+"/sessions", map[string]any{
		"params": map[string]string{"PROLIFIC_PID": pid, "STUDY_ID": "study-1", "SESSION_ID": "sub-" + pid},
		"screen": map[string]any{"refresh_hz": 60, "refresh_sd_ms": 0.3, "device_pixel_ratio": 2,
			"viewport": map[string]int{"width": 1440, "height": 810}, "screen_size": map[string]int{"width": 1440, "height": 900}},
	}, "User-Agent", userAgent)
	wantStatus(ts.t, rec, http.StatusCreated)
	s := decodeJSON[createdSession](ts.t, rec.Body.Bytes())
	targets, catch := ts.storedPlan(s.SessionID)
	o := newObserver(seed, s.Condition, 4)
	for _, tr := range ts.planned(s) {
		var body map[string]any
		if target, ok := targets[tr.Index]; ok {
			body = map[string]any{"response": target, "tint": *tr.Tint, "rt_ms": 900, "input": "click"}
		} else {
			response := o.answer(string(tr.Phase), tr.Pattern, *tr.Tint)
			for _, a := range answers {
				response = a(tr.Index, catch[tr.Index], *tr.Tint)
			}
			body = answer(response, *tr.Tint)
			body["dropped_frames"], body["input"] = dropped, input
		}
		if got := ts.put(s, tr.Index, body); got != http.StatusCreated {
			ts.t.Fatalf("PUT trial %d: %d", tr.Index, got)
		}
		if tr.Index == len(targets)-1 {
			if code, out := ts.screen(s); code != http.StatusOK || out["passed"] != true {
				ts.t.Fatalf("screening verdict %d %v", code, out)
			}
		}
	}
	for i, ev := range events {
		ev["seq"], ev["t_ms"] = i, 1000*(i+1)
	}
	if events != nil {
		wantStatus(ts.t, ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events", map[string]any{"events": events}, auth(s.Token)...), http.StatusOK)
	}
	wantStatus(ts.t, ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...), http.StatusOK)
	return s
}

func fullscreenExit(state string) map[string]any {
	return map[string]any{"kind": "fullscreen_exit", "data": map[string]string{"state": state}}
}

// readCSV fetches a CSV download and returns its rows keyed by header name.
func readCSV(t *testing.T, ts *testServer, path, token string) (header []string, rows []map[string]string, raw []byte) {
	t.Helper()
	rec := ts.do(http.MethodGet, path, nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	raw = rec.Body.Bytes()
	all, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	header = all[0]
	for _, r := range all[1:] {
		row := map[string]string{}
		for i, name := range header {
			row[name] = r[i]
		}
		rows = append(rows, row)
	}
	return header, rows, raw
}

// TestSessionsCSVFlagsAndExclusion: two complete sessions through the API,
// one clean and one whose stimuli dropped half their frames and which left
// full screen three times. sessions.csv reports each session's facts; the
// default exclusion rules flag the second, the results exclude it and the
// results page says why, in numbers.
func TestSessionsCSVFlagsAndExclusion(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("flags@example.org")
	d := simDefinition("flags", 8, experiments.DefaultTints())
	d.Screening = nil
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", d.WithDefaults(), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/flags", `{"status": "open"}`, auth(token)...), http.StatusOK)

	// Browsers send their User-Agent; only its families are kept.
	clean := ts.takePart("flags", "p-clean", firefoxUA, 1, 0, "key", []map[string]any{
		{"kind": "hidden", "data": map[string]string{"state": "trial"}}, {"kind": "visible"},
		fullscreenExit("debrief"), // the runner's own exit at the end: not the participant's
	})
	flagged := ts.takePart("flags", "p-flagged", "", 2, 30, "touch", []map[string]any{
		fullscreenExit("trial"), fullscreenExit("induction"), fullscreenExit("instructions"),
	})

	header, rows, _ := readCSV(t, ts, "/api/v1/experiments/flags/sessions.csv", token)
	if len(rows) != 2 {
		t.Fatalf("%d session rows, want 2", len(rows))
	}
	byID := map[string]map[string]string{rows[0]["session_id"]: rows[0], rows[1]["session_id"]: rows[1]}
	c, f := byID[clean.SessionID], byID[flagged.SessionID]
	want := map[string]string{
		"PROLIFIC_PID": "p-clean", "STUDY_ID": "study-1", "SESSION_ID": "sub-p-clean", "participant_id": "p-clean",
		"status": "complete", "browser": "Firefox", "browser_version": "121", "os": "Linux", "device_type": "Desktop",
		"viewport_width": "1440", "viewport_height": "810", "screen_width": "1440", "screen_height": "900",
		"device_pixel_ratio": "2", "refresh_hz": "60", "refresh_sd_ms": "0.3",
		"fullscreen_exits": "0", "hidden_count": "1", "induction_restarts": "0",
		"screening_trials": "6", "screening_correct": "6", "screening_needed": "5", "screening_passed": "true",
		"dropped_frames": "0", "dropped_frame_rate": "0", "answers_key": "288", "answers_click": "6", "answers_touch": "0",
		"catch_accuracy": "", "flags": "", "flag_details": "",
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("clean session: %s = %q, want %q", k, c[k], v)
		}
	}
	if c["started_at"] == "" || c["ended_at"] < c["started_at"] || c["duration_s"] == "" {
		t.Errorf("clean session timing: %s to %s, %s s", c["started_at"], c["ended_at"], c["duration_s"])
	}
	for k, v := range map[string]string{"browser": "", "fullscreen_exits": "3", "answers_touch": "288",
		"dropped_frames": "8640", "test_frames": "17280", "dropped_frame_rate": "0.5", "flags": "dropped_frames;fullscreen"} {
		if f[k] != v {
			t.Errorf("flagged session: %s = %q, want %q", k, f[k], v)
		}
	}
	if !strings.Contains(f["flag_details"], "8640 of 17280 stimulus frames dropped (50.0%), more than 5%") {
		t.Errorf("flag_details %q", f["flag_details"])
	}
	for _, forbidden := range []string{"user_agent", "ip"} {
		if slices.Contains(header, forbidden) {
			t.Errorf("sessions.csv has a %s column", forbidden)
		}
	}
	if n := ts.countRows(`SELECT count(*) FROM sessions WHERE sessions::text LIKE '%Gecko/20100101%'`); n != 0 {
		t.Error("the raw User-Agent is stored")
	}

	// The results exclude the flagged session, with the reason and the numbers.
	rec := ts.do(http.MethodGet, "/api/v1/experiments/flags/results", nil, auth(token)...)
	var res analysis.Results
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	g := res.Groups[0]
	if g.N != 1 || g.NExcluded != 1 || g.Excluded[0].SessionID != flagged.SessionID || g.Excluded[0].Reason != experiments.FlagDroppedFrames {
		t.Fatalf("n %d, excluded %+v", g.N, g.Excluded)
	}
	page := ts.do(http.MethodGet, "/researcher/experiments/flags/results", nil, "Cookie", ts.signIn("flags@example.org").String()).Body.String()
	for _, why := range []string{"stimulus frames dropped (50.0%), more than 5%", "left full screen 3 times, more than 2"} {
		if !strings.Contains(page, why) {
			t.Errorf("the results page does not say %q", why)
		}
	}
	_, summary, _ := readCSV(t, ts, "/api/v1/experiments/flags/summary.csv", token)
	for _, row := range summary {
		if row["session_id"] == flagged.SessionID && (row["flags"] != "dropped_frames;fullscreen" || row["included"] != "false") {
			t.Errorf("summary row of the flagged session: %v", row)
		}
	}
}

// TestFailedCatchTrialsExclude: a session that answers its catch trials
// (obvious tints) wrongly is flagged "catch" by the default rules and left
// out of the results, which say why; sessions.csv has its catch accuracy.
func TestFailedCatchTrialsExclude(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("catch@example.org")
	d := simDefinition("catchy", 4, experiments.DefaultTints())
	d.Test.CatchTrials = 3
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", d.WithDefaults(), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/catchy", `{"status": "open"}`, auth(token)...), http.StatusOK)
	inattentive := func(_ int, catch bool, tint float64) string {
		if catch { // the wrong colour, every time
			if tint > 0 {
				return experiments.Green
			}
			return experiments.Red
		}
		return experiments.Red
	}
	s := ts.takePart("catchy", "p-catch", firefoxUA, 3, 0, "key", nil, inattentive)
	_, rows, _ := readCSV(t, ts, "/api/v1/experiments/catchy/sessions.csv", token)
	if len(rows) != 1 || rows[0]["catch_trials"] != "6" || rows[0]["catch_correct"] != "0" || rows[0]["catch_accuracy"] != "0" ||
		rows[0]["flags"] != experiments.FlagCatch {
		t.Fatalf("sessions.csv %v", rows)
	}
	var res analysis.Results
	if err := json.Unmarshal(ts.do(http.MethodGet, "/api/v1/experiments/catchy/results", nil, auth(token)...).Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if g := res.Groups[0]; g.N != 0 || len(g.Excluded) != 1 || g.Excluded[0].SessionID != s.SessionID || g.Excluded[0].Reason != experiments.FlagCatch {
		t.Fatalf("n %d, excluded %+v", g.N, g.Excluded)
	}
	page := ts.do(http.MethodGet, "/researcher/experiments/catchy/results", nil, "Cookie", ts.signIn("catch@example.org").String()).Body.String()
	if !strings.Contains(page, "0 of 6 catch trials right (0%), fewer than 75%") {
		t.Error("the results page does not say why the session is excluded")
	}
}

// TestEveryColumnInItsCodebook: each CSV's header matches its codebook
// exactly (same columns, same order), every column has a meaning, and the
// coded columns list their values; so no column can be added without
// documenting it. pandas reads every CSV with no options.
func TestEveryColumnInItsCodebook(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("books@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", simDefinition("books", 1, []float64{-4, 0, 4}), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/books", `{"status": "open"}`, auth(token)...), http.StatusOK)
	ts.takePart("books", "p-1", firefoxUA, 1, 1, "click", nil)
	ts.startSession("books", nil) // one started, unfinished: empty cells

	dir := t.TempDir()
	for _, table := range []struct{ name, path string }{
		{"trials", "/api/v1/experiments/books/export.csv"},
		{"sessions", "/api/v1/experiments/books/sessions.csv"},
		{"summary", "/api/v1/experiments/books/summary.csv"},
	} {
		header, _, raw := readCSV(t, ts, table.path, token)
		bookHeader, book, bookRaw := readCSV(t, ts, "/api/v1/experiments/books/codebook.csv?for="+table.name, token)
		if !slices.Equal(bookHeader, []string{"column", "type", "unit", "meaning", "values"}) {
			t.Fatalf("codebook header %v", bookHeader)
		}
		var documented []string
		for _, entry := range book {
			documented = append(documented, entry["column"])
			if entry["meaning"] == "" || entry["type"] == "" {
				t.Errorf("%s codebook: %s has no meaning or type", table.name, entry["column"])
			}
		}
		if !slices.Equal(header, documented) {
			t.Errorf("%s.csv columns\n%v\ncodebook\n%v", table.name, header, documented)
		}
		if err := os.WriteFile(filepath.Join(dir, table.name+".csv"), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "codebook_"+table.name+".csv"), bookRaw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	coded := map[string][]string{
		"trials": {"phase", "method", "response", "input", "condition"}, "sessions": {"status", "status_reason", "flags", "condition"},
		"summary": {"fit_flag_baseline", "flags", "participant_kind"},
	}
	for table, cols := range coded {
		_, book, _ := readCSV(t, ts, "/api/v1/experiments/books/codebook.csv?for="+table, token)
		for _, entry := range book {
			if slices.Contains(cols, entry["column"]) && entry["values"] == "" {
				t.Errorf("%s codebook: %s lists no coded values", table, entry["column"])
			}
		}
	}
	_, book, _ := readCSV(t, ts, "/api/v1/experiments/books/codebook.csv?for=trials", token)
	for _, entry := range book {
		if entry["column"] == "phase" && !strings.Contains(entry["values"], "screening = ") {
			t.Errorf("trials codebook does not explain screening rows: %q", entry["values"])
		}
	}
	rec := ts.do(http.MethodGet, "/api/v1/experiments/books/codebook.csv?for=everything", nil, auth(token)...)
	wantStatus(t, rec, http.StatusBadRequest)
	if e := decodeError(t, rec); len(e.Fields) != 1 || e.Fields[0].Field != "for" {
		t.Errorf("error %+v, want it to name the field 'for'", e)
	}
	readWithPandas(t, dir)
}

// readWithPandas reads every CSV in dir with pandas.read_csv and no
// options, failing on any warning, a renamed (duplicate) column or a
// numeric column read as text.
func readWithPandas(t *testing.T, dir string) {
	t.Helper()
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import pandas").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("MCCOLLOUGH_REQUIRE_PANDAS") != "" {
			t.Fatal("python3 with pandas is required (MCCOLLOUGH_REQUIRE_PANDAS is set): apt-get install python3-pandas")
		}
		t.Skip("python3 with pandas not found (apt-get install python3-pandas); the Go checks above ran")
	}
	script := `
import csv, glob, os, sys, warnings
import pandas as pd
warnings.simplefilter("error")
numeric = {"number", "integer"}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    df = pd.read_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert list(df.columns) == header, (path, list(df.columns), header)
    name = os.path.basename(path)
    if name.startswith("codebook_"):
        continue
    book = pd.read_csv(os.path.join(sys.argv[1], "codebook_" + name))
    for col, typ in zip(book["column"], book["type"]):
        if typ in numeric and df[col].notna().any():
            assert pd.api.types.is_numeric_dtype(df[col]), (name, col, str(df[col].dtype))
    print(name, df.shape)
`
	out, err := exec.Command(python, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("pandas: %v\n%s", err, out)
	}
	t.Logf("pandas read:\n%s", out)
}

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

func TestWorkspaceNewExperiment(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	ctx := context.Background()
	pair := w.pairOf(`{"name": "Rings", "a": {"kind": "circles", "period_px": 30}, "b": {"kind": "radial"}, "colors": {"red": "#dd2222"}}`)

	rec := w.get(fmt.Sprintf("/researcher/experiments/new?pair_id=%d", pair.ID))
	wantStatus(t, rec, http.StatusOK)
	if got := formFields(t, rec.Body.String(), "/researcher/experiments").Get("pair_id"); got != fmt.Sprint(pair.ID) {
		t.Fatalf("pair not preselected: %q", got)
	}

	// Invalid: messages next to the inputs, typed values kept.
	for _, tc := range []struct {
		values url.Values
		field  string
		msg    string
	}{
		{url.Values{"slug": {"Bad Slug"}, "name": {"x"}}, "slug", "a-z"},
		{url.Values{"slug": {"fine"}, "name": {""}}, "name", "is required"},
		{url.Values{"slug": {"new"}, "name": {"x"}}, "slug", "reserved"},
		{url.Values{"slug": {"fine"}, "name": {"x"}, "pair_id": {"987654"}}, "pair_id", "choose one of your"},
	} {
		rec := w.post("/researcher/experiments", tc.values)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		wantFieldError(t, rec.Body.String(), tc.field, tc.msg)
		kept := formFields(t, rec.Body.String(), "/researcher/experiments")
		if kept.Get("slug") != tc.values.Get("slug") || kept.Get("name") != tc.values.Get("name") {
			t.Errorf("typed values not kept: %v", kept)
		}
	}

	// From a pair: its patterns and colours, and the pair counts as used.
	loc := wantRedirect(t, w.post("/researcher/experiments", url.Values{"slug": {"rings"}, "name": {"Rings study"}, "pair_id": {fmt.Sprint(pair.ID)}}),
		"/researcher/experiments/rings/edit?saved=created")
	e := w.experiment("rings")
	if e.Status != "draft" || e.Definition.Pair.A.Kind != stimuli.Circles || e.Definition.Pair.B.Kind != stimuli.Radial ||
		e.Definition.Colors.Red != "#dd2222" || len(e.Definition.Test.ExtraPatterns) != 0 {
		t.Fatalf("experiment from pair: %+v", e.Definition)
	}
	if n := ts.countRows(`SELECT count(*) FROM experiments WHERE slug = 'rings' AND pair_id = $1 AND owner_id = $2`, pair.ID, w.id); n != 1 {
		t.Fatal("experiment not linked to its pair")
	}
	if page := w.get(loc).Body.String(); !strings.Contains(page, "Experiment created as a draft") {
		t.Error("no confirmation after creating")
	}
	// The classic gratings without a pair; a taken slug is a field error.
	wantRedirect(t, w.post("/researcher/experiments", url.Values{"slug": {"classic-2"}, "name": {"Classic"}, "pair_id": {""}}), "/researcher/experiments/classic-2/edit")
	if d := w.experiment("classic-2").Definition; d.Pair.A.Kind != stimuli.Grating || d.Pair.B.OrientationDeg != 90 || len(d.Test.ExtraPatterns) != 1 {
		t.Fatalf("classic: %+v", d)
	}
	rec = w.post("/researcher/experiments", url.Values{"slug": {"rings"}, "name": {"Again"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantFieldError(t, rec.Body.String(), "slug", "is taken")
	var n int
	_ = ts.sql.QueryRow(ctx, `SELECT count(*) FROM experiments`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d experiments", n)
	}
}

func TestWorkspaceExperimentEditor(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	w.experimentOf(shortDefinition("study"))
	const action = "/researcher/experiments/study/edit"

	// Every field of the definition, with its value or default; the
	// parameters of the other methods show their defaults.
	rec := w.get(action)
	wantStatus(t, rec, http.StatusOK)
	page := rec.Body.String()
	v := formFields(t, page, action)
	want := map[string]string{
		"name": "Short study", "size_px": "512", "counterbalance": "on",
		"pair.a.kind": "grating", "pair.b.orientation_deg": "90", "pair.a.period_px": "26",
		"colors.red": "#ce2e2e", "colors.green": "#189234", "colors.dark": "#0c0c0e", "colors.neutral_l": "82",
		"induction.duration_s": "10", "induction.switch_s": "1", "induction.jitter_px": "20",
		"test.method": "constant_stimuli", "test.duration_ms": "1000", "test.tints": "-4, 4", "test.repeats": "1",
		"test.staircase.start_tint": "10", "test.staircase.steps": "8, 4, 2, 1", "test.staircase.max_tint": "28",
		"test.adjustment.step": "0.5", "test.adjustment.trials_per_pattern": "4",
		"test.extra_patterns": "[]", "phases.baseline": "on", "phases.post": "on",
		"completion_url": "https://app.prolific.com/submissions/complete?cc={code}",
	}
	for k, val := range want {
		if v.Get(k) != val {
			t.Errorf("%s = %q, want %q", k, v.Get(k), val)
		}
	}
	if v.Has("phases.reversal") || !strings.Contains(v.Get("consent_md"), "last for hours or days") {
		t.Errorf("phases/consent: %q %q", v["phases.reversal"], v.Get("consent_md")[:40])
	}
	for _, s := range []string{`/s/study?PROLIFIC_PID={{%PROLIFIC_PID%}}&amp;STUDY_ID={{%STUDY_ID%}}&amp;SESSION_ID={{%SESSION_ID%}}`,
		`data-copy="study-url"`, `data-copy="prolific-url"`, "Open for participants"} {
		if !strings.Contains(page, s) {
			t.Errorf("edit page lacks %s", s)
		}
	}

	// Invalid: each problem next to its input, everything typed kept.
	bad := url.Values{}
	for k, vs := range v {
		bad[k] = vs
	}
	bad.Set("size_px", "big")
	bad.Set("induction.switch_s", "-1")
	bad.Set("test.tints", "-4, 4, zero")
	bad.Set("colors.green", "green")
	bad.Set("completion_url", "ftp://example.org/{code}")
	bad.Set("test.extra_patterns", `[{"name": "Oblique!", "pattern": {"kind": "grating", "orientation_deg": 45}}]`)
	bad.Del("phases.post")
	bad.Set("pair.b.period_px", "1")
	bad.Set("consent_md", "My consent text\nwith two lines")
	rec = w.post(action, bad)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	page = rec.Body.String()
	wantFieldError(t, page, "size_px", "whole number")
	wantFieldError(t, page, "induction.switch_s", "> 0")
	wantFieldError(t, page, "test.tints", `"zero" is not a number`)
	wantFieldError(t, page, "colors.green", "hex colour")
	wantFieldError(t, page, "completion_url", "http or https")
	wantFieldError(t, page, "test.extra_patterns", "item 1 (name)")
	wantFieldError(t, page, "phases.post", "must be true")
	wantFieldError(t, page, "pair.b.period_px", "between 2 and")
	kept := formFields(t, page, action)
	for _, k := range []string{"size_px", "induction.switch_s", "test.tints", "colors.green", "completion_url", "test.extra_patterns", "pair.b.period_px", "consent_md"} {
		if kept.Get(k) != bad.Get(k) {
			t.Errorf("%s: shown %q, typed %q", k, kept.Get(k), bad.Get(k))
		}
	}
	if kept.Has("phases.post") {
		t.Error("the unticked box came back ticked")
	}
	if e := w.experiment("study"); e.Definition.Induction.SwitchS != 1 {
		t.Fatal("an invalid definition was saved")
	}

	// Valid: saved in place (no sessions yet), switching the method to a
	// staircase with its parameters.
	good := url.Values{}
	for k, vs := range v {
		good[k] = vs
	}
	good.Set("name", "Renamed study")
	good.Set("induction.switch_s", "2")
	good.Set("induction.jitter_px", "0")
	good.Set("test.method", "staircase")
	good.Set("test.staircase.steps", "6, 3, 1")
	good.Set("test.staircase.max_trials", "30")
	good.Set("test.extra_patterns", `[{"name": "mid", "morph": 0.5}]`)
	good.Set("phases.reversal", "on")
	good.Set("pair.a.kind", "radial")
	good.Set("pair.a.spokes", "12")
	rec = w.post(action, good)
	loc := wantRedirect(t, rec, action+"?saved=1")
	e := w.experiment("study")
	d := e.Definition
	if e.Version != 1 || e.Name != "Renamed study" || d.Induction.SwitchS != 2 || d.Induction.Jitter() != 0 ||
		d.Test.Method != experiments.Staircase || d.Test.Staircase == nil || len(d.Test.Staircase.Steps) != 3 ||
		d.Test.Staircase.MaxTrials != 30 || d.Test.Tints != nil || d.Test.Repeats != 0 ||
		len(d.Test.ExtraPatterns) != 1 || *d.Test.ExtraPatterns[0].Morph != 0.5 || !d.Phases.Reversal ||
		d.Pair.A.Kind != stimuli.Radial || d.Pair.A.Spokes != 12 {
		t.Fatalf("saved %+v / %+v", e, d.Test)
	}
	if !strings.Contains(w.get(loc).Body.String(), "version 1 was updated") {
		t.Error("no confirmation")
	}

	// A preview is the researcher trying the study: no warning, and saving
	// still edits version 1 in place.
	wantStatus(t, w.post("/researcher/experiments/study/preview", nil), http.StatusSeeOther)
	page = w.get(action).Body.String()
	if strings.Contains(page, "saving creates version") {
		t.Error("the editor counts a preview as a session that ran on the version")
	}
	v = formFields(t, page, action)
	v.Set("induction.duration_s", "25")
	wantRedirect(t, w.post(action, v), action+"?saved=1")
	if e := w.experiment("study"); e.Version != 1 || e.Definition.Induction.DurationS != 25 {
		t.Fatalf("after save with a preview: v%d %+v", e.Version, e.Definition.Induction)
	}

	// Once a session ran on version 1, saving makes version 2 and says so.
	wantStatus(t, w.post("/researcher/experiments/study/status", url.Values{"status": {"open"}, "back": {"edit"}}), http.StatusSeeOther)
	ts.startSession("study", nil)
	page = w.get(action).Body.String()
	if !strings.Contains(page, "saving creates version 2") {
		t.Error("the editor does not warn that saving creates a version")
	}
	v = formFields(t, page, action)
	v.Set("induction.duration_s", "20")
	loc = wantRedirect(t, w.post(action, v), action+"?saved=new")
	if e := w.experiment("study"); e.Version != 2 || e.Definition.Induction.DurationS != 20 {
		t.Fatalf("after save with sessions: v%d %+v", e.Version, e.Definition.Induction)
	}
	if !strings.Contains(w.get(loc).Body.String(), "Saved as a new version, 2: sessions had run on version 1") {
		t.Error("no new-version message")
	}
	if n := ts.countRows(`SELECT count(*) FROM experiment_versions v JOIN experiments e ON e.id = v.experiment_id WHERE e.slug = 'study'`); n != 2 {
		t.Fatalf("%d versions", n)
	}
	rec = w.get("/researcher/experiments/study/versions")
	if body := rec.Body.String(); !strings.Contains(body, "<td>2</td>") || !strings.Contains(body, "Show JSON") {
		t.Error("versions page lacks version 2")
	}
}

// TestWorkspaceEditorSwitchesToStoredPair: choosing a stored pair replaces
// the patterns and marks the pair as used.
func TestWorkspaceEditorSwitchesToStoredPair(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	pair := w.pairOf(circlesPair)
	w.experimentOf(shortDefinition("study"))
	const action = "/researcher/experiments/study/edit"
	v := formFields(t, w.get(action).Body.String(), action)
	v.Set("pair_id", fmt.Sprint(pair.ID))
	v.Set("pair.a.period_px", "nonsense, ignored with a stored pair")
	wantRedirect(t, w.post(action, v), action+"?saved=1")
	if d := w.experiment("study").Definition; d.Pair.A.Kind != stimuli.Circles || d.Pair.B.Kind != stimuli.Crosses {
		t.Fatalf("patterns %+v", d.Pair)
	}
	wantStatus(t, w.post(fmt.Sprintf("/researcher/pairs/%d/delete", pair.ID), nil), http.StatusConflict)
}

func TestWorkspaceJSONView(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	w.experimentOf(shortDefinition("study"))
	const action = "/researcher/experiments/study/json"

	rec := w.get("/researcher/experiments/study/definition.json")
	wantStatus(t, rec, http.StatusOK)
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="study.json"`) {
		t.Fatalf("content disposition %q", cd)
	}
	var def map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &def); err != nil || def["slug"] != "study" {
		t.Fatalf("download: %v %v", err, def)
	}
	text := formFields(t, w.get(action).Body.String(), action).Get("definition")
	if !strings.Contains(text, `"switch_s": 1`) || !strings.Contains(text, `{code}`) {
		t.Fatalf("JSON view:\n%s", text)
	}

	for _, tc := range []struct {
		text, want string
	}{
		{`{"slug": "study", "name": "x", "induction": {"switch_s": -1}`, "malformed JSON"},
		{strings.Replace(text, `"switch_s": 1`, `"switch_s": -1`, 1), "induction.switch_s"},
		{strings.Replace(text, `"slug": "study"`, `"slug": "other"`, 1), "cannot change"},
		{strings.Replace(text, `"size_px"`, `"sizepx_typo": 1, "size_px"`, 1), "unknown field"},
	} {
		rec := w.post(action, url.Values{"definition": {tc.text}})
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		page := rec.Body.String()
		if !strings.Contains(page, tc.want) {
			t.Errorf("no %q in the error list", tc.want)
		}
		if got := formFields(t, page, action).Get("definition"); got != tc.text {
			t.Errorf("the pasted text was not kept")
		}
	}
	edited := strings.Replace(text, `"duration_s": 10`, `"duration_s": 42`, 1)
	wantRedirect(t, w.post(action, url.Values{"definition": {edited}}), action+"?saved=1")
	if e := w.experiment("study"); e.Definition.Induction.DurationS != 42 || e.Version != 1 {
		t.Fatalf("saved %+v", e.Definition.Induction)
	}
}

func TestWorkspaceStatusButtons(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	w.experimentOf(shortDefinition("study"))
	const path = "/researcher/experiments/study"
	status := func(to, back string) string {
		return wantRedirect(t, w.post(path+"/status", url.Values{"status": {to}, "back": {back}}), path)
	}

	page := w.get(path).Body.String()
	if !strings.Contains(page, `value="open"`) || !strings.Contains(page, "Open for participants") {
		t.Fatal("a draft offers no Open button")
	}
	loc := status("open", "dashboard")
	if loc != path+"?status=open" || w.experiment("study").Status != "open" {
		t.Fatalf("open: %s %s", loc, w.experiment("study").Status)
	}
	page = w.get(loc).Body.String()
	if !strings.Contains(page, "The experiment is open") || !strings.Contains(page, ">Close<") {
		t.Fatal("open page lacks the confirmation or the Close button")
	}
	// Participants can now start.
	ts.startSession("study", nil)
	if loc := status("closed", "edit"); loc != path+"/edit?status=closed" || w.experiment("study").Status != "closed" {
		t.Fatalf("close: %s", loc)
	}
	if page := w.get(path).Body.String(); !strings.Contains(page, ">Reopen<") {
		t.Fatal("closed page lacks Reopen")
	}
	status("open", "")
	if w.experiment("study").Status != "open" {
		t.Fatal("not reopened")
	}
	// Back to draft is not a move: refused with the reason, nothing changed.
	rec := w.post(path+"/status", url.Values{"status": {"draft"}})
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(rec.Body.String(), "cannot go from open to draft") {
		t.Fatal("no reason given")
	}
	rec = w.post(path+"/status", url.Values{"status": {"paused"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if w.experiment("study").Status != "open" {
		t.Fatal("status changed")
	}
}

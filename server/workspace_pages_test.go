package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/static"
	"github.com/mccollough/mccollough/stimuli"
)

// TestWorkspacePagesAccess: every workspace page is the owner's only —
// 200 for the owner, 404 for another researcher (as if absent), a
// redirect to the sign-in page when signed out — and every form refuses a
// submit without the CSRF token.
func TestWorkspacePagesAccess(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.signedIn("owner@example.org")
	intruder := ts.signedIn("intruder@example.org")
	pair := owner.pairOf(circlesPair)
	owner.experimentOf(shortDefinition("private"))
	pairPath := fmt.Sprintf("/researcher/pairs/%d", pair.ID)

	pages := []struct {
		path  string
		owned bool
	}{
		{"/researcher/pairs", false},
		{"/researcher/pairs/new", false},
		{pairPath, true},
		{"/researcher/experiments/new", false},
		{"/researcher/experiments/private", true},
		{"/researcher/experiments/private/edit", true},
		{"/researcher/experiments/private/json", true},
		{"/researcher/experiments/private/versions", true},
		{"/researcher/experiments/private/live", true},
		{"/researcher/experiments/private/definition.json", true},
	}
	for _, p := range pages {
		t.Run("GET "+p.path, func(t *testing.T) {
			rec := owner.get(p.path)
			wantStatus(t, rec, http.StatusOK)
			if p.owned {
				wantStatus(t, intruder.get(p.path), http.StatusNotFound)
			} else {
				wantStatus(t, intruder.get(p.path), http.StatusOK)
			}
			loc := wantRedirect(t, ts.anonymous(http.MethodGet, p.path), "/login?next=")
			if next, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/login?next=")); next != p.path {
				t.Fatalf("sign-in would return to %q", next)
			}
		})
	}
	// Another researcher's pages are absent in the same words as a
	// missing one.
	wantStatus(t, owner.get("/researcher/pairs/999999"), http.StatusNotFound)
	wantStatus(t, owner.get("/researcher/pairs/abc"), http.StatusNotFound)
	wantStatus(t, owner.get("/researcher/experiments/nope"), http.StatusNotFound)

	valid := url.Values{"name": {"Mine now"}, "status": {"closed"}, "definition": {`{"slug": "private", "name": "Mine now"}`}}
	forms := []struct {
		path  string
		owned bool
	}{
		{"/researcher/pairs", false},
		{pairPath, true},
		{pairPath + "/rename", true},
		{pairPath + "/delete", true},
		{"/researcher/experiments", false},
		{"/researcher/experiments/private/edit", true},
		{"/researcher/experiments/private/json", true},
		{"/researcher/experiments/private/status", true},
	}
	for _, f := range forms {
		t.Run("POST "+f.path, func(t *testing.T) {
			wantRedirect(t, ts.anonymous(http.MethodPost, f.path), "/login?next=")
			wantStatus(t, owner.postRaw(f.path, valid), http.StatusForbidden)
			if f.owned {
				wantStatus(t, intruder.post(f.path, valid), http.StatusNotFound)
			}
		})
	}
	// Nothing the intruder or the token-less forms tried changed anything.
	if e := owner.experiment("private"); e.Name != "Short private" || e.Status != "draft" || e.Version != 1 {
		t.Fatalf("experiment changed: %s %s v%d", e.Name, e.Status, e.Version)
	}
	if p, err := ts.db.Pair(context.Background(), owner.id, pair.ID); err != nil || p.Name != "Circles vs crosses" {
		t.Fatalf("pair changed: %v %v", p.Name, err)
	}
	if n := ts.countRows(`SELECT count(*) FROM pattern_pairs`); n != 1 {
		t.Fatalf("%d pairs", n)
	}
}

// TestWorkspacePagesHaveNoInlineScript: the strict CSP (script-src 'self')
// would block inline scripts and event handlers, so there are none; the
// pages' modules are served from /static. Each page names its icon inline,
// so browsers do not ask for a missing /favicon.ico.
func TestWorkspacePagesHaveNoInlineScript(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	pair := w.pairOf(circlesPair)
	w.experimentOf(shortDefinition("study"))
	scriptRE := regexp.MustCompile(`<script\b[^>]*>`)
	handlerRE := regexp.MustCompile(`\son[a-z]+=`)
	for _, path := range []string{"/researcher", "/researcher/pairs", "/researcher/pairs/new", fmt.Sprintf("/researcher/pairs/%d", pair.ID),
		"/researcher/experiments/new", "/researcher/experiments/study", "/researcher/experiments/study/edit",
		"/researcher/experiments/study/json", "/researcher/experiments/study/versions", "/researcher/experiments/study/results"} {
		page := w.get(path).Body.String()
		for _, tag := range scriptRE.FindAllString(page, -1) {
			if !strings.Contains(tag, `src="/static/`) {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
		if m := handlerRE.FindString(page); m != "" {
			t.Errorf("%s: inline event handler %q", path, m)
		}
		if !strings.Contains(page, `<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,`) {
			t.Errorf("%s: no inline icon", path)
		}
	}
	for _, name := range []string{"workspace.js", "editor.js", "dashboard.js"} {
		rec := ts.do(http.MethodGet, static.URL(name), nil)
		wantStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("%s: content type %q", name, ct)
		}
	}
}

func TestWorkspacePairEditor(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	ctx := context.Background()

	// The new-pair form starts from the classic gratings and colours, with
	// previews of both patterns in the neutral tint and both colours.
	rec := w.get("/researcher/pairs/new")
	wantStatus(t, rec, http.StatusOK)
	page := rec.Body.String()
	v := formFields(t, page, "/researcher/pairs")
	if v.Get("a.kind") != "grating" || v.Get("b.orientation_deg") != "90" || v.Get("colors.red") != experiments.DefaultRed || v.Get("colors.neutral_l") != "82" {
		t.Fatalf("new-pair form: %v", v)
	}
	for _, which := range []string{"neutral", "red", "green"} {
		if !regexp.MustCompile(`data-preview="` + which + `"[^>]*src="/api/v1/stimuli/preview\?`).MatchString(page) {
			t.Errorf("no %s preview image", which)
		}
	}
	if !strings.Contains(page, `data-kinds="radial"`) || !strings.Contains(page, `aria-live="polite"`) {
		t.Error("kind-specific fields or the preview status region are missing")
	}
	// The server's preview URLs render.
	src := regexp.MustCompile(`data-preview="red"[^>]*src="([^"]+)"`).FindStringSubmatch(page)
	wantStatus(t, w.get(strings.ReplaceAll(src[1], "&amp;", "&")), http.StatusOK)

	// Invalid: every problem next to its input, what was typed kept, 422,
	// nothing stored.
	bad := url.Values{}
	for k, vs := range v {
		bad[k] = vs
	}
	bad.Set("name", "")
	bad.Set("a.period_px", "wide")
	bad.Set("b.duty", "3")
	bad.Set("colors.red", "crimson")
	bad.Set("a.kind", "spiral")
	rec = w.post("/researcher/pairs", bad)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	page = rec.Body.String()
	wantFieldError(t, page, "name", "is required")
	wantFieldError(t, page, "a.period_px", "must be a number")
	wantFieldError(t, page, "b.duty", "less than 1")
	wantFieldError(t, page, "colors.red", "hex colour")
	wantFieldError(t, page, "a.kind", "unknown kind")
	kept := formFields(t, page, "/researcher/pairs")
	for _, name := range []string{"a.period_px", "b.duty", "colors.red", "a.kind"} {
		if kept.Get(name) != bad.Get(name) {
			t.Errorf("%s: shown %q, typed %q", name, kept.Get(name), bad.Get(name))
		}
	}
	if !strings.Contains(page, `class="error-summary"`) {
		t.Error("no error summary")
	}
	if n := ts.countRows(`SELECT count(*) FROM pattern_pairs`); n != 0 {
		t.Fatal("an invalid pair was stored")
	}

	// Valid: stored, then shown. Kind-specific inputs left over from another
	// kind are ignored (radial's spokes on circles), defaults fill blanks.
	good := url.Values{}
	for k, vs := range v {
		good[k] = vs
	}
	good.Set("name", "Rings vs spokes")
	good.Set("a.kind", "circles")
	good.Set("a.period_px", "34")
	good.Set("a.spokes", "12")
	good.Set("b.kind", "radial")
	good.Set("b.spokes", "24")
	good.Set("b.duty", "")
	good.Set("colors.green", "#10A040")
	rec = w.post("/researcher/pairs", good)
	loc := wantRedirect(t, rec, "/researcher/pairs/")
	pairs, err := ts.db.Pairs(ctx, w.id)
	if err != nil || len(pairs) != 1 {
		t.Fatalf("pairs %v %v", pairs, err)
	}
	p := pairs[0]
	if p.Name != "Rings vs spokes" || p.A.Kind != stimuli.Circles || p.A.PeriodPx != 34 || p.A.Spokes != 0 ||
		p.B.Kind != stimuli.Radial || p.B.Spokes != 24 || p.B.Duty != 0.5 || p.Colors.Green != "#10A040" {
		t.Fatalf("stored %+v", p)
	}
	if loc != fmt.Sprintf("/researcher/pairs/%d?saved=created", p.ID) {
		t.Fatalf("redirect %s", loc)
	}
	page = w.get(loc).Body.String()
	if !strings.Contains(page, "Pattern pair created.") {
		t.Error("no confirmation")
	}
	edit := formFields(t, page, fmt.Sprintf("/researcher/pairs/%d", p.ID))
	if edit.Get("b.spokes") != "24" || edit.Get("a.period_px") != "34" || edit.Get("name") != "Rings vs spokes" {
		t.Fatalf("edit form %v", edit)
	}

	// Editing: invalid keeps the typed text (422), valid saves.
	edit.Set("b.spokes", "1")
	rec = w.post(fmt.Sprintf("/researcher/pairs/%d", p.ID), edit)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantFieldError(t, rec.Body.String(), "b.spokes", "between 2 and")
	if got := formFields(t, rec.Body.String(), fmt.Sprintf("/researcher/pairs/%d", p.ID)).Get("b.spokes"); got != "1" {
		t.Fatalf("typed spokes not kept: %q", got)
	}
	edit.Set("b.spokes", "8")
	edit.Set("a.kind", "grid")
	edit.Set("a.line_width_px", "4")
	wantRedirect(t, w.post(fmt.Sprintf("/researcher/pairs/%d", p.ID), edit), fmt.Sprintf("/researcher/pairs/%d?saved=1", p.ID))
	p2, _ := ts.db.Pair(ctx, w.id, p.ID)
	if p2.B.Spokes != 8 || p2.A.Kind != stimuli.Grid || p2.A.LineWidthPx != 4 {
		t.Fatalf("update not stored: %+v", p2)
	}
}

func TestWorkspacePairRenameAndDelete(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	ctx := context.Background()
	used := w.pairOf(circlesPair)
	spare := w.pairOf(strings.Replace(circlesPair, "Circles vs crosses", "Spare", 1))
	def := experiments.FromPair("rings", "Rings", used.PatternPair)
	def.Pair, def.PairID = nil, &used.ID
	w.experimentOf(def)

	rec := w.get("/researcher/pairs")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), "used by 1 experiment") {
		t.Error("the list does not say the pair is used")
	}

	rec = w.post(fmt.Sprintf("/researcher/pairs/%d/rename", spare.ID), url.Values{"name": {"  "}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), "is required") {
		t.Error("no message for an empty name")
	}
	wantRedirect(t, w.post(fmt.Sprintf("/researcher/pairs/%d/rename", spare.ID), url.Values{"name": {"Renamed"}}), "/researcher/pairs?renamed=")
	if p, _ := ts.db.Pair(ctx, w.id, spare.ID); p.Name != "Renamed" || p.A.Kind != stimuli.Circles {
		t.Fatalf("rename: %+v", p)
	}

	// A pair an experiment was made from is kept, and the page says why.
	rec = w.post(fmt.Sprintf("/researcher/pairs/%d/delete", used.ID), nil)
	wantStatus(t, rec, http.StatusConflict)
	if body := rec.Body.String(); !strings.Contains(body, "was not deleted: it is used by 1 experiment") {
		t.Fatalf("no refusal message:\n%s", body)
	}
	if _, err := ts.db.Pair(ctx, w.id, used.ID); err != nil {
		t.Fatal("the used pair was deleted")
	}
	wantRedirect(t, w.post(fmt.Sprintf("/researcher/pairs/%d/delete", spare.ID), nil), "/researcher/pairs?deleted=1")
	if _, err := ts.db.Pair(ctx, w.id, spare.ID); experiments.ErrorCode(err) != experiments.NotFound {
		t.Fatalf("spare pair still there: %v", err)
	}
	if n := ts.countRows(`SELECT count(*) FROM pattern_pairs`); n != 1 {
		t.Fatalf("%d pairs left", n)
	}
}

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
		"test.staircase.start_tint": "10", "test.staircase.steps": "8, 4, 2, 1", "test.staircase.max_tint": "30",
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

func TestWorkspaceDashboard(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	w.experimentOf(shortDefinition("study"))
	wantStatus(t, w.post("/researcher/experiments/study/status", url.Values{"status": {"open"}}), http.StatusSeeOther)

	page := w.get("/researcher/experiments/study").Body.String()
	if !strings.Contains(page, "No sessions yet.") {
		t.Error("empty dashboard")
	}
	done := ts.startSession("study", map[string]any{"params": map[string]string{"PROLIFIC_PID": "pp-<b>1</b>"}, "screen": map[string]any{"refresh_hz": 59.94}})
	for i, tr := range done.Plan.Trials {
		ts.put(done, i, answer("red", *tr.Tint))
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+done.SessionID+"/complete", nil, auth(done.Token)...), http.StatusOK)
	ts.startSession("study", map[string]any{"screen": map[string]any{"refresh_hz": 120.1}})
	// A withdrawn session counts, as withdrawn (its data is gone).
	gone := ts.startSession("study", map[string]any{})
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+gone.SessionID+"/withdraw", nil, auth(gone.Token)...), http.StatusOK)

	// The live part, the same on the page and alone as the fragment the
	// page polls.
	live := []string{
		"3 sessions: 1 in progress, 1 complete, 0 abandoned, 1 withdrawn.", "33%", "60 Hz", "120 Hz", "59.9 Hz",
		"<td>withdrawn</td><td>1</td>", // by status
		"<th scope=\"col\">withdrawn</th>", "<th scope=\"col\">screened out</th>",
		"<code>" + gone.SessionID + "</code>", ">withdrawn</td>", // the recent sessions list it
		"pp-&lt;b&gt;1&lt;/b&gt;", // participant text is escaped
	}
	rec := w.get("/researcher/experiments/study")
	wantStatus(t, rec, http.StatusOK)
	page = rec.Body.String()
	for _, s := range append(live,
		`data-live="/researcher/experiments/study/live"`, `aria-live="polite"`,
		`action="/api/v1/experiments/study/export.csv"`, `name="kind"`, `name="status"`, `value="complete"`,
		`href="/api/v1/experiments/study/codebook.csv"`, `href="/researcher/experiments/study/versions"`,
		`/s/study?PROLIFIC_PID={{%PROLIFIC_PID%}}`, `src="`+static.URL("dashboard.js")+`"`,
	) {
		if !strings.Contains(page, s) {
			t.Errorf("dashboard lacks %s", s)
		}
	}
	rec = w.get("/researcher/experiments/study/live")
	wantStatus(t, rec, http.StatusOK)
	fragment := rec.Body.String()
	for _, s := range live {
		if !strings.Contains(fragment, s) {
			t.Errorf("live fragment lacks %s", s)
		}
	}
	if strings.Contains(fragment, "<html") || strings.Contains(fragment, "Download the data") {
		t.Errorf("the live fragment is more than the live part:\n%s", fragment)
	}
	if !strings.Contains(page, fragment) {
		t.Error("the page's live part differs from the fragment")
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("live fragment Cache-Control %q", cc)
	}
	// By condition: both arms, whose columns add up to the counts by
	// status (in progress, complete, abandoned, withdrawn, screened out,
	// total).
	cells := regexp.MustCompile(`<td>\d: red [AB], green [AB]</td>((?:<td>\d+</td>){6})`).FindAllStringSubmatch(fragment, -1)
	if len(cells) != 2 {
		t.Fatalf("by condition: %q", cells)
	}
	sums := make([]int, 6)
	for _, row := range cells {
		for i, m := range regexp.MustCompile(`\d+`).FindAllString(row[1], -1) {
			n, _ := strconv.Atoi(m)
			sums[i] += n
		}
	}
	if !slices.Equal(sums, []int{1, 1, 0, 1, 0, 3}) {
		t.Errorf("by condition adds up to %v", sums)
	}
	// The links the dashboard's buttons and script use answer the cookie.
	for _, path := range []string{"/api/v1/experiments/study/dashboard", "/api/v1/experiments/study/sessions",
		"/api/v1/experiments/study/export.csv?kind=human&status=complete", "/api/v1/experiments/study/codebook.csv"} {
		wantStatus(t, w.get(path), http.StatusOK)
	}
}

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

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

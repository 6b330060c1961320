package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/static"
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
	for i, tr := range ts.planned(done) {
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

package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// researcher signs up an account and returns its API token.
func (ts *testServer) researcher(email string) string {
	ts.t.Helper()
	ctx := context.Background()
	r, err := ts.db.CreateResearcher(ctx, email, "correct horse battery")
	if err != nil {
		ts.t.Fatal(err)
	}
	token, err := ts.db.CreateAPIToken(ctx, r.ID, "test", 0)
	if err != nil {
		ts.t.Fatal(err)
	}
	return token
}

// signIn is a browser session cookie for an existing account.
func (ts *testServer) signIn(email string) *http.Cookie {
	ts.t.Helper()
	ctx := context.Background()
	var id int64
	if err := ts.sql.QueryRow(ctx, `SELECT id FROM researchers WHERE email = $1`, email).Scan(&id); err != nil {
		ts.t.Fatal(err)
	}
	value, err := ts.db.CreateWebSession(ctx, id)
	if err != nil {
		ts.t.Fatal(err)
	}
	return &http.Cookie{Name: "mcc_session", Value: value}
}

func decodeJSON[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

const circlesPair = `{"name": "Circles vs crosses", "a": {"kind": "circles", "period_px": 30}, "b": {"kind": "crosses", "period_px": 30}}`

func TestAPILoginAndThrottling(t *testing.T) {
	ts := newTestServer(t)
	ts.researcher("ada@example.org")
	rec := ts.do(http.MethodPost, "/api/v1/login", map[string]string{"email": "ADA@example.org", "password": "correct horse battery"})
	wantStatus(t, rec, http.StatusOK)
	token := decodeJSON[map[string]string](t, rec.Body.Bytes())["token"]
	if !strings.HasPrefix(token, "mcc_") {
		t.Fatalf("token %q", token)
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(token)...), http.StatusOK)

	// Logout revokes the token.
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/logout", nil, auth(token)...), http.StatusNoContent)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(token)...), http.StatusUnauthorized)

	bad := map[string]string{"email": "ada@example.org", "password": "wrong password"}
	for i := range storage.MaxLoginFailures {
		if rec := ts.do(http.MethodPost, "/api/v1/login", bad); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, rec.Code)
		}
	}
	rec = ts.do(http.MethodPost, "/api/v1/login", map[string]string{"email": "ada@example.org", "password": "correct horse battery"})
	wantStatus(t, rec, http.StatusTooManyRequests)
	// Another client is not locked out by these failures.
	rec = ts.do(http.MethodPost, "/api/v1/login", map[string]string{"email": "ada@example.org", "password": "correct horse battery"},
		remoteAddr, "198.51.100.7:4321")
	wantStatus(t, rec, http.StatusOK)
	// An unknown account answers like a wrong password.
	rec = ts.do(http.MethodPost, "/api/v1/login", map[string]string{"email": "nobody@example.org", "password": "whatever it is"})
	wantStatus(t, rec, http.StatusUnauthorized)
	if e := decodeError(t, rec); e.Error != "wrong email or password" {
		t.Fatalf("message %q", e.Error)
	}
}

func TestPairsAPI(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("ada@example.org")
	rec := ts.do(http.MethodPost, "/api/v1/pairs", circlesPair, auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	p := decodeJSON[map[string]any](t, rec.Body.Bytes())
	id := int64(p["id"].(float64))
	if p["a"].(map[string]any)["duty"] != 0.5 || p["colors"].(map[string]any)["red"] != "#ce2e2e" {
		t.Fatalf("defaults not filled: %v", p)
	}
	path := fmt.Sprintf("/api/v1/pairs/%d", id)
	renamed := strings.Replace(circlesPair, "Circles vs crosses", "Rings and Xs", 1)
	rec = ts.do(http.MethodPut, path, renamed, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	if got := decodeJSON[map[string]any](t, rec.Body.Bytes())["name"]; got != "Rings and Xs" {
		t.Fatalf("renamed to %v", got)
	}
	rec = ts.do(http.MethodGet, "/api/v1/pairs", nil, auth(token)...)
	if list := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["pairs"]; len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	rec = ts.do(http.MethodPost, "/api/v1/pairs", `{"name": "", "a": {"kind": "spiral"}, "b": {"kind": "grating", "duty": 3}}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	fields := []string{}
	for _, f := range decodeError(t, rec).Fields {
		fields = append(fields, f.Field)
	}
	if got := strings.Join(fields, ","); got != "name,a.kind,b.duty" {
		t.Fatalf("fields %s, want every problem at once", got)
	}

	// A pair in use cannot be deleted.
	rec = ts.do(http.MethodPost, "/api/v1/experiments", fmt.Sprintf(`{"slug": "rings", "name": "Rings", "pair_id": %d}`, id), auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	def := decodeJSON[map[string]any](t, rec.Body.Bytes())["definition"].(map[string]any)
	if def["pair"].(map[string]any)["a"].(map[string]any)["kind"] != "circles" {
		t.Fatalf("pair_id not resolved: %v", def)
	}
	wantStatus(t, ts.do(http.MethodDelete, path, nil, auth(token)...), http.StatusConflict)
	rec = ts.do(http.MethodPost, "/api/v1/pairs", circlesPair, auth(token)...)
	other := int64(decodeJSON[map[string]any](t, rec.Body.Bytes())["id"].(float64))
	wantStatus(t, ts.do(http.MethodDelete, fmt.Sprintf("/api/v1/pairs/%d", other), nil, auth(token)...), http.StatusNoContent)
	wantStatus(t, ts.do(http.MethodGet, fmt.Sprintf("/api/v1/pairs/%d", other), nil, auth(token)...), http.StatusNotFound)
}

func TestExperimentsAPI(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("ada@example.org")
	rec := ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "my-study", "name": "My study"}`, auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	e := decodeJSON[map[string]any](t, rec.Body.Bytes())
	classic := experiments.Classic()
	def := e["definition"].(map[string]any)
	if e["status"] != "draft" || e["version"].(float64) != 1 || def["induction"].(map[string]any)["switch_s"] != classic.Induction.SwitchS ||
		len(def["test"].(map[string]any)["tints"].([]any)) != 9 {
		t.Fatalf("slug+name did not create the classic defaults: %v", e)
	}
	if !strings.HasSuffix(e["study_url"].(string), "/s/my-study") ||
		!strings.Contains(e["prolific_url"].(string), "PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}") {
		t.Fatalf("links %v %v", e["study_url"], e["prolific_url"])
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "my-study", "name": "Again"}`, auth(token)...), http.StatusConflict)
	rec = ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "Bad Slug", "name": "", "induction": {"switch_s": -1}}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if n := len(decodeError(t, rec).Fields); n < 3 {
		t.Fatalf("%d field errors, want all three problems", n)
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "x"`, auth(token)...), http.StatusBadRequest)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments/nope", nil, auth(token)...), http.StatusNotFound)

	// Participants cannot take part in a draft; opening it publishes it.
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/studies/my-study/sessions", nil), http.StatusNotFound)
	rec = ts.do(http.MethodPatch, "/api/v1/experiments/my-study", `{"status": "open"}`, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/my-study", `{"status": "draft"}`, auth(token)...), http.StatusConflict)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/my-study", `{"status": "paused"}`, auth(token)...), http.StatusUnprocessableEntity)

	// Editing before any session replaces version 1; after a session it
	// makes version 2 and says so.
	edit := func() map[string]any {
		cur := decodeJSON[map[string]any](t, ts.do(http.MethodGet, "/api/v1/experiments/my-study", nil, auth(token)...).Body.Bytes())
		d := cur["definition"].(map[string]any)
		d["induction"].(map[string]any)["duration_s"] = 120.0
		rec := ts.do(http.MethodPut, "/api/v1/experiments/my-study", d, auth(token)...)
		wantStatus(t, rec, http.StatusOK)
		return decodeJSON[map[string]any](t, rec.Body.Bytes())
	}
	if out := edit(); out["version"].(float64) != 1 || out["new_version"] != false {
		t.Fatalf("edit without sessions: %v", out)
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/studies/my-study/sessions", nil), http.StatusCreated)
	if out := edit(); out["version"].(float64) != 2 || out["new_version"] != true {
		t.Fatalf("edit with sessions: version %v new_version %v", out["version"], out["new_version"])
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/my-study/versions", nil, auth(token)...)
	vs := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["versions"]
	if len(vs) != 2 || vs[1]["sessions"].(float64) != 1 || vs[0]["sessions"].(float64) != 0 {
		t.Fatalf("versions %v", vs)
	}
	rec = ts.do(http.MethodPut, "/api/v1/experiments/my-study", `{"slug": "renamed", "name": "x"}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)

	rec = ts.do(http.MethodGet, "/api/v1/experiments/my-study/sessions", nil, auth(token)...)
	if list := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["sessions"]; len(list) != 1 || list[0]["version"].(float64) != 1 {
		t.Fatalf("sessions %v", list)
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/my-study/dashboard", nil, auth(token)...)
	d := decodeJSON[map[string]any](t, rec.Body.Bytes())
	if d["total"].(float64) != 1 || d["by_status"].(map[string]any)["started"].(float64) != 1 {
		t.Fatalf("dashboard %v", d)
	}
}

// TestAuthorizationMatrix: every researcher route refuses anonymous
// callers and participant tokens (401), and shows another researcher's
// pairs and experiments as absent (404).
func TestAuthorizationMatrix(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.researcher("owner@example.org")
	intruder := ts.researcher("intruder@example.org")
	rec := ts.do(http.MethodPost, "/api/v1/pairs", circlesPair, auth(owner)...)
	pairPath := fmt.Sprintf("/api/v1/pairs/%d", int64(decodeJSON[map[string]any](t, rec.Body.Bytes())["id"].(float64)))
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "private", "name": "Private"}`, auth(owner)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/private", `{"status": "open"}`, auth(owner)...), http.StatusOK)
	participant := ts.startSession("private", nil)

	// Every /api/v1 route except the participant API and login is a
	// researcher route; the list comes from the router, so a new route is
	// covered without editing this test.
	public := map[string]bool{
		"POST /api/v1/login":                  true,
		"POST /api/v1/studies/:slug/sessions": true,
	}
	bodies := map[string]any{
		"POST /api/v1/pairs": circlesPair, "PUT /api/v1/pairs/:id": circlesPair,
		"POST /api/v1/experiments":                     `{"slug": "another", "name": "Another"}`,
		"PUT /api/v1/experiments/:slug":                `{"slug": "private", "name": "Mine now"}`,
		"PATCH /api/v1/experiments/:slug":              `{"status": "closed"}`,
		"POST /api/v1/experiments/:slug/observer-runs": `{"mechanism": "none", "seeds": 1}`,
	}
	pairID := strings.TrimPrefix(pairPath, "/api/v1/pairs/")
	checked := 0
	for _, r := range ts.srv.Routes() {
		key := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.HasPrefix(r.Path, "/api/v1/sessions/") || public[key] || r.Method == "echo_route_any" {
			continue
		}
		path := strings.NewReplacer(":slug", "private", ":id", pairID, ":participant_id", "p-1").Replace(r.Path)
		if strings.HasPrefix(r.Path, "/api/v1/experiments/:slug/sessions/:id") {
			path = strings.Replace(r.Path, ":slug", "private", 1)
			path = strings.Replace(path, ":id", participant.SessionID, 1)
		}
		owned := strings.Contains(r.Path, ":")
		body := bodies[key]
		checked++
		t.Run(key, func(t *testing.T) {
			wantStatus(t, ts.do(r.Method, path, body), http.StatusUnauthorized)
			wantStatus(t, ts.do(r.Method, path, body, auth(participant.Token)...), http.StatusUnauthorized)
			wantStatus(t, ts.do(r.Method, path, body, auth("mcc_forged")...), http.StatusUnauthorized)
			if owned {
				wantStatus(t, ts.do(r.Method, path, body, auth(intruder)...), http.StatusNotFound)
			}
		})
	}
	if checked < 25 {
		t.Fatalf("only %d researcher routes found", checked)
	}
	// Nothing the intruder tried changed the owner's data.
	rec = ts.do(http.MethodGet, "/api/v1/experiments/private", nil, auth(owner)...)
	if e := decodeJSON[map[string]any](t, rec.Body.Bytes()); e["name"] != "Private" || e["status"] != "open" {
		t.Fatalf("owner's experiment changed: %v", e)
	}
	wantStatus(t, ts.do(http.MethodGet, pairPath, nil, auth(owner)...), http.StatusOK)
}

func TestExportCSV(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("ada@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", shortDefinition("short"), auth(token)...), http.StatusCreated)
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/short", `{"status": "open"}`, auth(token)...), http.StatusOK)
	done := ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": "p-1, \"quoted\""}, "screen": map[string]any{"refresh_hz": 59.94}})
	for i, tr := range ts.planned(done) {
		ts.put(done, i, answer("red", *tr.Tint))
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+done.SessionID+"/complete", nil, auth(done.Token)...), http.StatusOK)
	partial := ts.startSession("short", nil)
	ts.put(partial, 0, answer("green", ts.tint(partial, 0)))

	read := func(query string) [][]string {
		rec := ts.do(http.MethodGet, "/api/v1/experiments/short/export.csv"+query, nil, auth(token)...)
		wantStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("content type %q", ct)
		}
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := read("")
	header := strings.Join(rows[0], ",")
	want := "experiment,version,session_id,participant_kind,participant_id,condition,red_pattern,phase,block,trial_index," +
		"method,catch,pattern,pattern_kind,orientation_deg,morph,tint,response,timeout,target,correct,rt_ms,input,since_induction_ms," +
		"intended_ms,measured_ms,frames,dropped_frames," +
		"refresh_hz,model_p_red,model_mechanism,model_seed,model_network,created_at,followup_elapsed_s"
	if header != want {
		t.Fatalf("header\n%s\nwant\n%s", header, want)
	}
	if len(rows) != 1+8+1 {
		t.Fatalf("%d data rows, want 9", len(rows)-1)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	first := rows[1]
	if first[col["participant_id"]] != `p-1, "quoted"` || first[col["refresh_hz"]] != "59.94" || first[col["experiment"]] != "short" {
		t.Fatalf("row %v", first)
	}
	if k := first[col["pattern_kind"]]; k != "grating" {
		t.Fatalf("pattern_kind %q", k)
	}
	if ts := first[col["created_at"]]; !strings.HasSuffix(ts, "Z") || !strings.Contains(ts, "T") {
		t.Fatalf("created_at %q is not ISO 8601 UTC", ts)
	}
	if got := len(read("?status=complete")) - 1; got != 8 {
		t.Fatalf("status=complete: %d rows", got)
	}
	if got := len(read("?kind=model")) - 1; got != 0 {
		t.Fatalf("kind=model: %d rows", got)
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments/short/export.csv?kind=robot", nil, auth(token)...), http.StatusBadRequest)

	rec := ts.do(http.MethodGet, "/api/v1/experiments/short/codebook.csv", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	book, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(book) != len(rows[0])+1 || strings.Join(book[0], ",") != "column,type,unit,meaning,values" {
		t.Fatalf("codebook has %d rows for %d columns", len(book)-1, len(rows[0]))
	}
	for i, name := range rows[0] {
		if book[i+1][0] != name || book[i+1][3] == "" {
			t.Fatalf("codebook row %d: %v, want %s documented", i, book[i+1], name)
		}
	}
}

// TestSetupSignInAndCSRF walks the browser flow with cookies: first-run
// setup, CSRF refusal, sign-out and sign-in with a fresh session id.
func TestSetupSignInAndCSRF(t *testing.T) {
	ts := newTestServer(t)
	if _, err := ts.db.EnsureDemoStudies(context.Background(), experiments.Builtins()); err != nil {
		t.Fatal(err)
	}
	rec := ts.do(http.MethodGet, "/setup", nil)
	wantStatus(t, rec, http.StatusOK)
	csrfCookie := cookieFrom(rec, "mcc_csrf")
	token := hiddenCSRF(t, rec.Body.String())

	form := func(path string, values url.Values, cookies ...*http.Cookie) *httptestRecorder {
		return ts.form(path, values, cookies...)
	}
	// Without the token: refused, nothing created.
	rec = form("/setup", url.Values{"email": {"ada@example.org"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}}, csrfCookie)
	wantStatus(t, rec, http.StatusForbidden)
	if n, _ := ts.db.ResearcherCount(context.Background()); n != 0 {
		t.Fatal("account created without a CSRF token")
	}
	rec = form("/setup", url.Values{"_csrf": {token}, "email": {"ada@example.org"}, "password": {"short"}, "confirm": {"short"}}, csrfCookie)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), "at least 10 characters") || !strings.Contains(rec.Body.String(), `value="ada@example.org"`) {
		t.Fatal("setup form did not show the error and keep the email")
	}
	rec = form("/setup", url.Values{"_csrf": {token}, "email": {"ada@example.org"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}}, csrfCookie)
	wantStatus(t, rec, http.StatusSeeOther)
	first := cookieFrom(rec, "mcc_session")
	if first == nil || !first.HttpOnly || first.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", first)
	}
	wantStatus(t, ts.do(http.MethodGet, "/setup", nil), http.StatusNotFound)

	// Signed in: the workspace lists the demo studies, now owned.
	rec = ts.do(http.MethodGet, "/researcher", nil, "Cookie", first.String())
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), "/researcher/experiments/classic") || !strings.Contains(rec.Body.String(), "circles-crosses") {
		t.Fatal("the first researcher does not own the demo studies")
	}
	// A cookie-authenticated API write needs the CSRF token too.
	rec = ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "by-cookie", "name": "x"}`, "Cookie", first.String())
	wantStatus(t, rec, http.StatusForbidden)
	rec = ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "by-cookie", "name": "x"}`, "Cookie", first.String(), "Sec-Fetch-Site", "cross-site")
	wantStatus(t, rec, http.StatusForbidden)
	rec = ts.do(http.MethodPost, "/api/v1/experiments", `{"slug": "by-cookie", "name": "x"}`, "Cookie", first.String()+"; "+csrfCookie.String(), "X-CSRF-Token", token)
	wantStatus(t, rec, http.StatusCreated)

	// Sign out, then in: a new session id (no fixation), the old one dead.
	rec = form("/logout", url.Values{"_csrf": {token}}, first, csrfCookie)
	wantStatus(t, rec, http.StatusSeeOther)
	wantStatus(t, ts.do(http.MethodGet, "/researcher", nil, "Cookie", first.String()), http.StatusSeeOther)
	rec = form("/login", url.Values{"_csrf": {token}, "email": {"ada@example.org"}, "password": {"wrong password!"}}, csrfCookie)
	wantStatus(t, rec, http.StatusUnauthorized)
	if !strings.Contains(rec.Body.String(), "wrong email or password") || !strings.Contains(rec.Body.String(), `value="ada@example.org"`) {
		t.Fatal("login form did not show the error and keep the email")
	}
	rec = form("/login", url.Values{"_csrf": {token}, "email": {"ada@example.org"}, "password": {"long enough pw"}, "next": {"https://evil.example/"}}, csrfCookie, first)
	wantStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/researcher" {
		t.Fatalf("redirect to %q: open redirect", loc)
	}
	second := cookieFrom(rec, "mcc_session")
	if second == nil || second.Value == first.Value {
		t.Fatal("sign-in reused the previous session id")
	}
	wantStatus(t, ts.do(http.MethodGet, "/researcher", nil, "Cookie", second.String()), http.StatusOK)
}

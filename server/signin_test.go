package server_test

import (
	"context"
	"html"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var nextInputRE = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestSignInRedirectStaysOnThisSite: whatever ?next= says, the sign-in
// page and the redirect after it lead to a path of this host. The first
// cases are what browsers resolve off-site (a tab is dropped from a
// Location, a backslash read as a slash).
func TestSignInRedirectStaysOnThisSite(t *testing.T) {
	ts := newTestServer(t)
	ts.researcher("ada@example.org")
	for _, next := range []string{
		"/\t/evil.example/x", "/\n/evil.example", "/\r/evil.example", "/\\evil.example", "/\\/evil.example",
		"//evil.example", "///evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example",
		"/researcher\x00", "/\x7f/evil.example", "http:/evil.example", "",
	} {
		page := ts.do(http.MethodGet, "/login?next="+url.QueryEscape(next), nil)
		wantStatus(t, page, http.StatusOK)
		m := nextInputRE.FindStringSubmatch(page.Body.String())
		if m == nil || html.UnescapeString(m[1]) != "/researcher" {
			t.Errorf("next=%q: the sign-in form carries %q", next, m)
		}
		csrfCookie, token := cookieFrom(page, "mcc_csrf"), hiddenCSRF(t, page.Body.String())
		rec := ts.form("/login", url.Values{"_csrf": {token}, "email": {"ada@example.org"},
			"password": {"correct horse battery"}, "next": {next}}, csrfCookie)
		wantStatus(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/researcher" {
			t.Errorf("next=%q: redirected to %q", next, loc)
		}
	}
	// A path of this site, with its query, is kept.
	page := ts.do(http.MethodGet, "/login", nil)
	rec := ts.form("/login", url.Values{"_csrf": {hiddenCSRF(t, page.Body.String())}, "email": {"ada@example.org"},
		"password": {"correct horse battery"}, "next": {"/researcher/experiments/x/results?tab=2"}}, cookieFrom(page, "mcc_csrf"))
	if loc := rec.Header().Get("Location"); loc != "/researcher/experiments/x/results?tab=2" {
		t.Errorf("a same-site path was redirected to %q", loc)
	}
}

// TestAPITokensExpireAndCanBeRevoked: a token lasts what it was issued for
// (90 days unless asked), is listed without its secret, and its researcher
// can revoke it from the API or the tokens page; another researcher cannot.
func TestAPITokensExpireAndCanBeRevoked(t *testing.T) {
	ts := newTestServer(t)
	main := ts.researcher("ada@example.org")
	other := ts.researcher("bob@example.org")
	login := func(body string) *httptestRecorder { return ts.do(http.MethodPost, "/api/v1/login", body) }
	rec := login(`{"email": "ada@example.org", "password": "correct horse battery", "label": "week", "expires_in_days": 7}`)
	wantStatus(t, rec, http.StatusOK)
	week := decodeJSON[map[string]string](t, rec.Body.Bytes())["token"]
	rec = login(`{"email": "ada@example.org", "password": "correct horse battery", "expires_in_days": 400}`)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if e := decodeError(t, rec); len(e.Fields) != 1 || e.Fields[0].Field != "expires_in_days" {
		t.Fatalf("a 400-day token: %s", rec.Body.String())
	}

	rec = ts.do(http.MethodGet, "/api/v1/tokens", nil, auth(main)...)
	wantStatus(t, rec, http.StatusOK)
	list := decodeJSON[tokenList](t, rec.Body.Bytes())
	if len(list.Tokens) != 2 || list.Tokens[0].Label != "week" || strings.Contains(rec.Body.String(), week) {
		t.Fatalf("token list: %s", rec.Body.String())
	}
	for _, tok := range list.Tokens {
		days := tok.ExpiresAt.Sub(tok.CreatedAt).Hours() / 24
		if want := map[string]float64{"week": 7, "test": 90}[tok.Label]; math.Abs(days-want) > 0.01 {
			t.Errorf("token %q lasts %.2f days, want %g", tok.Label, days, want)
		}
	}
	weekID := list.Tokens[0].ID

	// Expired: refused.
	if _, err := ts.db.Pool.Exec(context.Background(), `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, weekID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(week)...), http.StatusUnauthorized)

	// Revoked through the API: refused; not someone else's to revoke.
	rec = login(`{"email": "ada@example.org", "password": "correct horse battery", "label": "script"}`)
	script := decodeJSON[map[string]string](t, rec.Body.Bytes())["token"]
	list = decodeJSON[tokenList](t, ts.do(http.MethodGet, "/api/v1/tokens", nil, auth(main)...).Body.Bytes())
	scriptID := strconv.FormatInt(list.Tokens[0].ID, 10)
	wantStatus(t, ts.do(http.MethodDelete, "/api/v1/tokens/"+scriptID, nil, auth(other)...), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(script)...), http.StatusOK)
	wantStatus(t, ts.do(http.MethodDelete, "/api/v1/tokens/"+scriptID, nil, auth(main)...), http.StatusNoContent)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(script)...), http.StatusUnauthorized)

	// The page: issue a token (shown once), then revoke it there.
	w := ts.signedIn("page@example.org")
	rec = w.post("/researcher/tokens", url.Values{"label": {"notebook"}, "days": {"30"}})
	wantStatus(t, rec, http.StatusOK)
	m := regexp.MustCompile(`<code id="new-token">(mcc_[^<]+)</code>`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("the new token is not shown: %s", rec.Body.String())
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(m[1])...), http.StatusOK)
	page := w.get("/researcher/tokens")
	wantStatus(t, page, http.StatusOK)
	if strings.Contains(page.Body.String(), m[1]) || !strings.Contains(page.Body.String(), "notebook") {
		t.Fatal("the tokens page shows a secret, or not the token's label")
	}
	action := regexp.MustCompile(`action="(/researcher/tokens/\d+/revoke)"`).FindStringSubmatch(page.Body.String())
	if action == nil {
		t.Fatal("no revoke form")
	}
	wantRedirect(t, w.post(action[1], url.Values{}), "/researcher/tokens")
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments", nil, auth(m[1])...), http.StatusUnauthorized)
}

type tokenList struct {
	Tokens []struct {
		ID        int64     `json:"id"`
		Label     string    `json:"label"`
		ExpiresAt time.Time `json:"expires_at"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"tokens"`
}

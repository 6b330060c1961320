package server_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
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

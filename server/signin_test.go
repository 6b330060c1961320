package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
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
	if _, err := ts.sql.Exec(context.Background(), `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, weekID); err != nil {
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

// TestSignInThrottleTrustsOnlyConfiguredProxies: a client that sends a
// different X-Forwarded-For with each wrong password is still one client,
// even from a loopback or private address, unless that address is a
// configured proxy (before, such headers were believed: never a 429); behind a configured proxy, the forwarded address is
// the client, and guesses spread over many addresses meet the account's
// own limit.
func TestSignInThrottleTrustsOnlyConfiguredProxies(t *testing.T) {
	ts := newTestServer(t)
	ts.researcher("ada@example.org")
	wrong := `{"email": "ada@example.org", "password": "not the password"}`
	for i := range 12 {
		rec := ts.do(http.MethodPost, "/api/v1/login", wrong, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i), remoteAddr, "127.0.0.1:4000")
		want := http.StatusUnauthorized
		if i >= storage.MaxLoginFailures {
			want = http.StatusTooManyRequests
		}
		wantStatus(t, rec, want)
	}

	_, proxy, _ := net.ParseCIDR("10.0.0.0/8")
	behind := &testServer{t: t, db: ts.db, srv: server.New(server.Config{DB: ts.db, TrustedProxies: []*net.IPNet{proxy}})}
	behind.researcher("bob@example.org")
	bob := `{"email": "bob@example.org", "password": "not the password"}`
	for i := range storage.MaxAccountLoginFailures + 1 {
		rec := behind.do(http.MethodPost, "/api/v1/login", bob, "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i), remoteAddr, "10.1.2.3:4000")
		want := http.StatusUnauthorized
		if i >= storage.MaxAccountLoginFailures {
			want = http.StatusTooManyRequests
		}
		wantStatus(t, rec, want)
	}
	// The forwarded client is the one throttled per client: five from one.
	for i := range storage.MaxLoginFailures + 1 {
		rec := behind.do(http.MethodPost, "/api/v1/login", `{"email": "carol@example.org", "password": "x"}`,
			"X-Forwarded-For", "192.0.2.200", remoteAddr, "10.1.2.3:4000")
		if i == storage.MaxLoginFailures && rec.Code != http.StatusTooManyRequests {
			t.Fatalf("attempt %d from one forwarded client: %d", i+1, rec.Code)
		}
	}
}

// TestConcurrentSetupCreatesOneAccount: ten first-run setups at once make
// one researcher; the others find the setup done.
func TestConcurrentSetupCreatesOneAccount(t *testing.T) {
	ts := newTestServer(t)
	page := ts.do(http.MethodGet, "/setup", nil)
	wantStatus(t, page, http.StatusOK)
	cookie, token := cookieFrom(page, "mcc_csrf"), hiddenCSRF(t, page.Body.String())
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Go(func() {
			email := fmt.Sprintf("first%d@example.org", i)
			codes[i] = ts.form("/setup", url.Values{"_csrf": {token}, "email": {email}, "password": {"long enough pw"},
				"confirm": {"long enough pw"}}, cookie).Code
		})
	}
	wg.Wait()
	created := 0
	for _, code := range codes {
		switch code {
		case http.StatusSeeOther:
			created++
		case http.StatusNotFound:
		default:
			t.Errorf("a setup answered %d", code)
		}
	}
	if n, _ := ts.db.ResearcherCount(context.Background()); n != 1 || created != 1 {
		t.Fatalf("%d accounts (%d setups succeeded), want 1", n, created)
	}
}

// TestTransportSecurity: over HTTPS (directly, or said by a trusted
// proxy), responses carry HSTS and the CSRF cookie is Secure; a client's
// own X-Forwarded-Proto counts for nothing. Signing in rotates the CSRF
// token. Researcher downloads are never cached.
func TestTransportSecurity(t *testing.T) {
	ts := newTestServer(t)
	_, proxy, _ := net.ParseCIDR("10.0.0.0/8")
	ts.srv = server.New(server.Config{DB: ts.db, TrustedProxies: []*net.IPNet{proxy}})
	get := func(tlsConn bool, header ...string) *httptestRecorder {
		req := httptest.NewRequest(http.MethodGet, "/login", nil)
		if tlsConn {
			req.TLS = &tls.ConnectionState{}
		}
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == remoteAddr {
				req.RemoteAddr = header[i+1]
			} else {
				req.Header.Set(header[i], header[i+1])
			}
		}
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, req)
		return rec
	}
	ts.researcher("ada@example.org")
	for _, tc := range []struct {
		name   string
		rec    *httptestRecorder
		secure bool
	}{
		{"plain HTTP", get(false), false},
		{"a client's own X-Forwarded-Proto", get(false, "X-Forwarded-Proto", "https", remoteAddr, "203.0.113.9:1234"), false},
		{"TLS", get(true), true},
		{"a trusted proxy's X-Forwarded-Proto", get(false, "X-Forwarded-Proto", "https", remoteAddr, "10.0.0.2:1234"), true},
	} {
		hsts := tc.rec.Header().Get("Strict-Transport-Security")
		c := cookieFrom(tc.rec, "mcc_csrf")
		if c == nil || (hsts != "") != tc.secure || c.Secure != tc.secure {
			t.Errorf("%s: HSTS %q, CSRF cookie %+v; want secure=%v", tc.name, hsts, c, tc.secure)
		}
	}

	page := ts.do(http.MethodGet, "/login", nil)
	before := cookieFrom(page, "mcc_csrf")
	rec := ts.form("/login", url.Values{"_csrf": {hiddenCSRF(t, page.Body.String())}, "email": {"ada@example.org"},
		"password": {"correct horse battery"}}, before)
	wantStatus(t, rec, http.StatusSeeOther)
	after := cookieFrom(rec, "mcc_csrf")
	if after == nil || after.Value == "" || after.Value == before.Value {
		t.Fatalf("the CSRF token was not rotated at sign-in: before %v, after %v", before, after)
	}

	token := ts.ownedStudy("short")
	for _, path := range []string{"export.csv", "codebook.csv", "summary.csv", "dataset.zip", "definition.json", "sessions", "results"} {
		rec := ts.do(http.MethodGet, "/api/v1/experiments/short/"+path, nil, auth(token)...)
		wantStatus(t, rec, http.StatusOK)
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
}

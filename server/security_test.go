package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// dumpDatabase is every row of every table as JSON text.
func dumpDatabase(t *testing.T, ts *testServer) string {
	t.Helper()
	ctx := context.Background()
	rows, err := ts.sql.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		var dump *string
		if err := ts.sql.QueryRow(ctx, fmt.Sprintf(`SELECT string_agg(row_to_json(x)::text, E'\n') FROM %q x`, table)).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		if dump != nil {
			b.WriteString(*dump)
		}
	}
	return b.String()
}

// TestNothingIdentifyingOrSecretIsStored: no IP address, no user agent,
// and no bearer token (participant, API or cookie) appears anywhere in the
// database — only their hashes.
func TestNothingIdentifyingOrSecretIsStored(t *testing.T) {
	ts := newTestServer(t)
	apiToken := ts.ownedStudy("short")
	const ua = "Mozilla/5.0 (X11; Linux x86_64) Secret-Browser/123.4"
	const ip = "203.0.113.77"
	rec := ts.do(http.MethodPost, "/api/v1/studies/short/sessions", `{"params": {"PROLIFIC_PID": "p-1"}}`,
		"User-Agent", ua, "X-Forwarded-For", ip, remoteAddr, "10.0.0.9:5555")
	wantStatus(t, rec, http.StatusCreated)
	s := decodeJSON[createdSession](t, rec.Body.Bytes())
	ts.put(s, 0, answer("red", ts.tint(s, 0)))
	cookie := ts.signIn("short@example.org")
	wantStatus(t, ts.do(http.MethodGet, "/researcher", nil, "Cookie", cookie.String(), "User-Agent", ua), http.StatusOK)
	loginRec := ts.do(http.MethodPost, "/api/v1/login", map[string]string{"email": "short@example.org", "password": "wrong password"},
		"User-Agent", ua, "X-Forwarded-For", ip)
	wantStatus(t, loginRec, http.StatusUnauthorized)

	dump := dumpDatabase(t, ts)
	for what, secret := range map[string]string{
		"user agent": "Secret-Browser", "client IP": ip, "proxy IP": "10.0.0.9",
		"participant token": s.Token, "API token": apiToken, "session cookie": cookie.Value,
	} {
		if strings.Contains(dump, secret) {
			t.Errorf("the database holds the %s (%q)", what, secret)
		}
	}
	if !strings.Contains(dump, "p-1") {
		t.Fatal("dump did not read the sessions table") // guard: the search above must see real data
	}
}

// TestNoServerErrorOnBadBodies sends malformed, truncated, wrong-type,
// empty and oversized bodies to every route that takes a body, with and
// without credentials: never a 5xx, always a JSON error naming the problem.
func TestNoServerErrorOnBadBodies(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	s := ts.startSession("short", nil)
	bodies := map[string]string{
		"truncated":   `{"response": "red", "tint": `,
		"wrong types": `{"response": 5, "tint": "x", "status": 3, "events": "no", "seeds": "many", "name": []}`,
		"array":       `[1, 2, 3]`,
		"null":        `null`,
		"empty":       ``,
		"binary":      "\x00\xff\xfe garbage",
		"deep":        strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		"huge":        `{"name": "` + strings.Repeat("x", 3<<20) + `"}`,
	}
	replace := strings.NewReplacer(":slug", "short", ":id", s.SessionID, ":index", "0", ":participant_id", "p-1")
	for _, r := range ts.srv.Routes() {
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			continue
		}
		path := replace.Replace(r.Path)
		if strings.Contains(path, ":") {
			path = strings.ReplaceAll(path, ":", "")
		}
		for name, body := range bodies {
			for _, creds := range [][]string{nil, auth(token), auth(s.Token)} {
				rec := ts.do(r.Method, path, body, creds...)
				if rec.Code >= 500 {
					t.Errorf("%s %s with a %s body: %d %s", r.Method, path, name, rec.Code, rec.Body.String())
				}
				if strings.HasPrefix(path, "/api/") && rec.Code >= 400 {
					decodeError(t, rec)
				}
			}
		}
	}
}

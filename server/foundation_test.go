package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/static"
)

func TestHealthzChecksTheDatabase(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(http.MethodGet, "/healthz", nil)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"database":"ok"`) {
		t.Fatalf("body %s", rec.Body.String())
	}
	ts.db.Close()
	rec = ts.do(http.MethodGet, "/healthz", nil)
	wantStatus(t, rec, http.StatusServiceUnavailable)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/", "/healthz", "/no-such-page", static.URL("style.css")} {
		rec := ts.do(http.MethodGet, path, nil)
		h := rec.Header()
		for name, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "default-src 'self'",
		} {
			if !strings.Contains(h.Get(name), want) {
				t.Errorf("%s: %s = %q, want %q", path, name, h.Get(name), want)
			}
		}
		if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code", path)
		}
	}
}

func TestHomePage(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(http.MethodGet, "/", nil)
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{"<!doctype html>", "McCollough", static.URL("style.css")} {
		if !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
			t.Errorf("home page lacks %q", want)
		}
	}
}

func TestStaticFilesAreCached(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(http.MethodGet, static.URL("style.css"), nil)
	wantStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Fatalf("hashed URL Cache-Control %q, want immutable", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("content type %q", ct)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	rec = ts.do(http.MethodGet, "/static/style.css", nil, "If-None-Match", etag)
	wantStatus(t, rec, http.StatusNotModified)
	if got := rec.Header().Get("Cache-Control"); strings.Contains(got, "immutable") {
		t.Fatalf("unhashed URL must revalidate, got %q", got)
	}
	wantStatus(t, ts.do(http.MethodGet, "/static/nothing.js", nil), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/static/../static.go", nil), http.StatusNotFound)
}

func TestErrorsAreJSONForAPIAndPagesForPeople(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(http.MethodGet, "/api/v1/nothing-here", nil)
	wantStatus(t, rec, http.StatusNotFound)
	if e := decodeError(t, rec); e.Code != "not_found" {
		t.Fatalf("code %q", e.Code)
	}
	rec = ts.do(http.MethodGet, "/nothing-here", nil, "Accept", "text/html")
	wantStatus(t, rec, http.StatusNotFound)
	if !strings.Contains(rec.Body.String(), "Error 404") {
		t.Fatalf("404 page: %s", rec.Body.String())
	}
}

func TestBodyLimit(t *testing.T) {
	db := newTestServer(t).db
	srv := server.New(server.Config{DB: db, BodyLimit: "1K"})
	ts := &testServer{t: t, srv: srv, db: db}
	rec := ts.do(http.MethodPost, "/api/v1/anything", strings.Repeat("x", 4096))
	wantStatus(t, rec, http.StatusRequestEntityTooLarge)
	if e := decodeError(t, rec); !strings.Contains(e.Error, "too large") {
		t.Fatalf("message %q", e.Error)
	}
}

// TestChunkedBodyOverTheLimit: a body of unknown length (chunked) that
// grows past the limit is a 413 on JSON routes and forms alike, not a 400
// or an empty form.
func TestChunkedBodyOverTheLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), "open")
	s := ts.startSession("short", nil)
	big := `{"events": [{"seq": 0, "kind": "x", "t_ms": 1, "data": {"pad": "` + strings.Repeat("x", 5<<19) + `"}}]}`
	for _, tc := range []struct{ path, contentType string }{
		{"/api/v1/sessions/" + s.SessionID + "/events", "application/json"},
		{"/api/v1/studies/short/sessions", "application/json"},
		{"/login", "application/x-www-form-urlencoded"},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1 // unknown: sent chunked
		req.TransferEncoding = []string{"chunked"}
		req.Header.Set("Content-Type", tc.contentType)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, req)
		wantStatus(t, rec, http.StatusRequestEntityTooLarge)
	}
	// Under the limit, a chunked body is read as usual.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events",
		io.MultiReader(strings.NewReader(`{"events": [{"seq": 0, "kind": "phase_start", "t_ms": 1}]}`)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+s.Token)
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	wantStatus(t, rec, http.StatusOK)
}

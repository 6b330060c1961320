package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// testServer is a server on a fresh database of the test's own.
type testServer struct {
	t     *testing.T
	srv   *server.Server
	db    *storage.DB
	sql   *pgxpool.Pool // the test's own SQL on the same database
	clock *testClock
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	db, sql := pgtest.NewWithSQL(t)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clock := &testClock{}
	return &testServer{t: t, srv: server.New(server.Config{DB: db, Logger: log, Now: clock.Now}), db: db, sql: sql, clock: clock}
}

// testClock is the server's clock in tests: real time, moved on by what
// the test advanced it, so a delay passes without the test waiting for it.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// testWriter sends the server's warnings and errors to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// remoteAddr, given as a header name to do, sets the client's address.
const remoteAddr = "(remote address)"

// do sends a request; body may be nil, a string, []byte or a value to encode as JSON.
func (ts *testServer) do(method, path string, body any, header ...string) *httptest.ResponseRecorder {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == remoteAddr {
			req.RemoteAddr = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec
}

// jsonError decodes a JSON error body.
type jsonError struct {
	Error  string `json:"error"`
	Code   string `json:"code"`
	Fields []struct {
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"fields"`
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) jsonError {
	t.Helper()
	var e jsonError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON (%v): %s", err, rec.Body.String())
	}
	if e.Error == "" || e.Code == "" {
		t.Fatalf("error body lacks error/code: %s", rec.Body.String())
	}
	return e
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body: %s", rec.Code, status, rec.Body.String())
	}
}

type httptestRecorder = httptest.ResponseRecorder

// form posts URL-encoded values with cookies, like a browser form.
func (ts *testServer) form(path string, values url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	ts.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec
}

func cookieFrom(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfInputRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func hiddenCSRF(t *testing.T, page string) string {
	t.Helper()
	m := csrfInputRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field in the page")
	}
	return m[1]
}

package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// testServer is a server on a fresh database of the test's own.
type testServer struct {
	t   *testing.T
	srv *server.Server
	db  *storage.DB
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	db := pgtest.New(t)
	return &testServer{t: t, srv: server.New(server.Config{DB: db}), db: db}
}

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

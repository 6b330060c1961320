package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/server"
)

// logBuffer collects a server's log lines (safe for concurrent handlers).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(contains string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if l != "" && strings.Contains(l, contains) {
			out = append(out, l)
		}
	}
	return out
}

// newLoggedServer is a test server whose every log line (debug and up)
// lands in the returned buffer.
func newLoggedServer(t *testing.T) (*testServer, *logBuffer) {
	ts := newTestServer(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts.srv = server.New(server.Config{DB: ts.db, Logger: log})
	return ts, logs
}

// TestRequestLogCarriesRouteTemplatesNotIDs: a researcher deleting a
// participant's data by recruiter id, and a participant posting to their
// session, leave the route's template in the log, never the ids.
func TestRequestLogCarriesRouteTemplatesNotIDs(t *testing.T) {
	ts, logs := newLoggedServer(t)
	token := ts.ownedStudy("short")
	const pid = "PROLIFIC-5f3a9c1e77"
	s := ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": pid}})
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, auth(s.Token)...), http.StatusOK)
	wantStatus(t, ts.do(http.MethodDelete, "/api/v1/experiments/short/participants/"+pid, nil, auth(token)...), http.StatusOK)

	if got := logs.lines("/api/v1/experiments/:slug/participants/:participant_id"); len(got) != 1 {
		t.Errorf("want one request line with the deletion's route template, got %q", got)
	}
	if got := logs.lines("/api/v1/sessions/:id"); len(got) != 1 {
		t.Errorf("want one request line with the session route's template, got %q", got)
	}
	for _, secret := range []string{pid, s.SessionID, s.Token} {
		if got := logs.lines(secret); len(got) > 0 {
			t.Errorf("the log holds %q: %q", secret, got)
		}
	}
}

// TestServerErrorIsLoggedOnce: a request that fails inside the server
// (here: a table the query needs has gone) is one error line, with the
// cause, not one from the error handler and another from the request log.
func TestServerErrorIsLoggedOnce(t *testing.T) {
	ts, logs := newLoggedServer(t)
	ts.addStudy(shortDefinition("short"), "open")
	s := ts.startSession("short", nil)
	if _, err := ts.sql.Exec(context.Background(), `ALTER TABLE events RENAME TO events_gone`); err != nil {
		t.Fatal(err)
	}
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events",
		`{"events": [{"seq": 0, "kind": "phase_start", "t_ms": 1}]}`, auth(s.Token)...)
	wantStatus(t, rec, http.StatusInternalServerError)
	if strings.Contains(rec.Body.String(), "events") {
		t.Errorf("the 500's body leaks the cause: %s", rec.Body.String())
	}
	errs := logs.lines("level=ERROR")
	if len(errs) != 1 {
		t.Fatalf("want exactly one error line, got %d: %q", len(errs), errs)
	}
	if !strings.Contains(errs[0], "/api/v1/sessions/:id/events") || !strings.Contains(errs[0], "events") ||
		!strings.Contains(errs[0], "status=500") {
		t.Errorf("the error line lacks the route, status or cause: %s", errs[0])
	}
}

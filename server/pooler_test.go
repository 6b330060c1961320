package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// TestSessionsThroughPgBouncerOnTwoReplicas: two server replicas share one
// PgBouncer in transaction pooling mode with two server connections, so
// their 64 pooled client connections take turns on the same two PostgreSQL
// sessions. Six participants at once run whole sessions (create, resume,
// events, every trial, a retried trial, complete), each switching replica
// at every request; then the export, from either replica, holds every
// answer once.
func TestSessionsThroughPgBouncerOnTwoReplicas(t *testing.T) {
	url := pgtest.NewPooledURL(t, 2)
	replicas := []*testServer{newReplica(t, url), newReplica(t, url)}
	a, b := replicas[0], replicas[1]
	token := a.researcher("ops@example.org")
	wantStatus(t, b.do(http.MethodPost, "/api/v1/experiments", shortDefinition("pooled"), auth(token)...), http.StatusCreated)
	wantStatus(t, a.do(http.MethodPatch, "/api/v1/experiments/pooled", `{"status": "open"}`, auth(token)...), http.StatusOK)

	const participants = 6
	sessions := make([]string, participants)
	var wg sync.WaitGroup
	for p := range participants {
		wg.Go(func() {
			next := p
			replica := func() *testServer { next++; return replicas[next%2] }
			sessions[p] = runPooledSession(t, replica, p)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	for _, ts := range replicas {
		rec := ts.do(http.MethodGet, "/api/v1/experiments/pooled/export.csv?status=complete", nil, auth(token)...)
		wantStatus(t, rec, http.StatusOK)
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, row := range rows[1:] {
			got[row[2]+"/"+row[9]]++ // session_id / trial_index
		}
		var want []string
		for _, id := range sessions {
			for i := range 8 {
				want = append(want, fmt.Sprintf("%s/%d", id, i))
			}
		}
		sort.Strings(want)
		if len(rows)-1 != len(want) {
			t.Fatalf("export has %d rows, want %d (%d sessions × 8 trials)", len(rows)-1, len(want), participants)
		}
		for _, k := range want {
			if got[k] != 1 {
				t.Fatalf("export has trial %s %d times, want once", k, got[k])
			}
		}
	}
}

// newReplica is a server with a connection pool of its own on url.
func newReplica(t *testing.T, url string) *testServer {
	t.Helper()
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &testServer{t: t, srv: server.New(server.Config{DB: db, Logger: log}), db: db}
}

// runPooledSession takes one participant through a whole session, asking
// replica() for the server of each request, and returns the session's id.
func runPooledSession(t *testing.T, replica func() *testServer, p int) string {
	check := func(what string, code, want int, body string) bool {
		if code != want {
			t.Errorf("participant %d: %s: status %d, want %d: %s", p, what, code, want, body)
		}
		return code == want
	}
	rec := replica().do(http.MethodPost, "/api/v1/studies/pooled/sessions",
		map[string]any{"params": map[string]string{"PROLIFIC_PID": fmt.Sprint("pooled-", p)}, "screen": map[string]any{"refresh_hz": 60}})
	if !check("create", rec.Code, http.StatusCreated, rec.Body.String()) {
		return ""
	}
	var s createdSession
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Error(err)
		return ""
	}
	bearer := auth(s.Token)
	rec = replica().do(http.MethodGet, "/api/v1/sessions/"+s.SessionID, nil, bearer...)
	check("resume", rec.Code, http.StatusOK, rec.Body.String())
	rec = replica().do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events",
		`{"events": [{"seq": 0, "kind": "phase_start", "t_ms": 1, "data": {"phase": "baseline"}}]}`, bearer...)
	check("events", rec.Code, http.StatusOK, rec.Body.String())
	for i := range s.Plan.Trials {
		path := fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.SessionID, i)
		rec = replica().do(http.MethodPut, path, browserAnswer("red"), bearer...)
		check(fmt.Sprint("trial ", i), rec.Code, http.StatusCreated, rec.Body.String())
		if i == 3 { // a retry, as after a lost acknowledgement
			rec = replica().do(http.MethodPut, path, browserAnswer("red"), bearer...)
			check("retried trial", rec.Code, http.StatusOK, rec.Body.String())
		}
	}
	rec = replica().do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, bearer...)
	check("complete", rec.Code, http.StatusOK, rec.Body.String())
	return s.SessionID
}

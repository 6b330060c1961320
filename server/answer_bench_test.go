package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// BenchmarkPutTrial is the answer path in process: a trial PUT through the
// router, the middleware, decoding, validation against the plan and the one
// INSERT, on a real PostgreSQL (a new session every 108 answers, not timed
// apart). It reports the server's own CPU time per answer (cpu-µs/op: this
// process's user and system time; PostgreSQL runs in its own) and its
// allocations; ns/op includes waiting for PostgreSQL.
//
//	go test ./server -run '^$' -bench PutTrial -benchtime 5000x
func BenchmarkPutTrial(b *testing.B) {
	db := pgtest.New(b)
	srv := server.New(server.Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	def := experiments.Classic()
	def.Screening = screeningOff()
	if _, err := db.CreateExperiment(context.Background(), nil, def.WithDefaults(), storage.StatusOpen); err != nil {
		b.Fatal(err)
	}
	do := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	var s createdSession
	next := 0
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if next == len(s.Plan.Trials) {
			rec := do(http.MethodPost, "/api/v1/studies/classic/sessions", "", `{"screen": {"refresh_hz": 60}}`)
			if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &s) != nil {
				b.Fatalf("creating a session: %d %s", rec.Code, rec.Body)
			}
			next = 0
		}
		// As the browser answers: without the tint, which the server takes from the plan.
		body := `{"response": "red", "rt_ms": 512, "onset_ms": 1000, "intended_ms": 1000, "measured_ms": 1000.2, "frames": 60, "dropped_frames": 0}`
		if rec := do(http.MethodPut, fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.SessionID, next), s.Token, body); rec.Code != http.StatusCreated {
			b.Fatalf("trial %d: %d %s", next, rec.Code, rec.Body)
		}
		next++
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/server"
)

// eventBatch is a batch of n events numbered from first, each with pad
// bytes of data.
func eventBatch(first, n, pad int) string {
	var b strings.Builder
	b.WriteString(`{"events": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"seq": %d, "kind": "tick", "t_ms": 1, "data": {"p": "%s"}}`, first+i, strings.Repeat("x", pad))
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestEventsPerSessionAreBounded: one anonymous session can store at most
// 10,000 events and 8 MB of them; a batch past either limit is a 413 and
// stores nothing, while a resent batch (nothing new) is still taken.
func TestEventsPerSessionAreBounded(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("short"), "open")
	post := func(s createdSession, body string) *httptestRecorder {
		return ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events", body, auth(s.Token)...)
	}
	count := func(s createdSession) int {
		return ts.countRows(`SELECT count(*) FROM events WHERE session_id = $1`, s.SessionID)
	}

	byCount := ts.startSession("short", nil)
	per := experiments.MaxEventsPerBatch
	for first := 0; first < experiments.MaxEventsPerSession; first += per {
		wantStatus(t, post(byCount, eventBatch(first, per, 1)), http.StatusOK)
	}
	rec := post(byCount, eventBatch(experiments.MaxEventsPerSession-1, 2, 1)) // one new
	wantStatus(t, rec, http.StatusRequestEntityTooLarge)
	if e := decodeError(t, rec); !strings.Contains(e.Error, "at most") {
		t.Errorf("the 413 does not say the limit: %s", e.Error)
	}
	wantStatus(t, post(byCount, eventBatch(0, per, 1)), http.StatusOK) // a resend
	if n := count(byCount); n != experiments.MaxEventsPerSession {
		t.Fatalf("%d events stored, want the %d allowed", n, experiments.MaxEventsPerSession)
	}

	byBytes := ts.startSession("short", nil)
	const pad, n = 4000, 200 // ~800 KB per batch, under the body limit
	stored := 0
	for batch := 0; ; batch++ {
		rec := post(byBytes, eventBatch(batch*n, n, pad))
		if rec.Code == http.StatusRequestEntityTooLarge {
			break
		}
		wantStatus(t, rec, http.StatusOK)
		stored += n
		if batch > 20 {
			t.Fatal("no byte limit: more than 16 MB of events stored")
		}
	}
	if got := count(byBytes); got != stored || got*pad > experiments.MaxEventBytesPerSession {
		t.Fatalf("%d events of %d bytes stored (%d before the refusal)", got, pad, stored)
	}
}

// TestSessionCreationIsLimited: one client may start only so many
// sessions, and one study only so many at a time (429 with Retry-After),
// so sessions are no longer free to create in bulk.
func TestSessionCreationIsLimited(t *testing.T) {
	ts := newTestServer(t)
	ts.srv = server.New(server.Config{DB: ts.db, Limits: server.Limits{SessionsPerClient: 2, SessionsPerStudy: 3}})
	ts.addStudy(shortDefinition("short"), "open")
	start := func(client string) *httptestRecorder {
		return ts.do(http.MethodPost, "/api/v1/studies/short/sessions", `{}`, remoteAddr, client+":1234")
	}
	wantStatus(t, start("192.0.2.1"), http.StatusCreated)
	wantStatus(t, start("192.0.2.1"), http.StatusCreated)
	rec := start("192.0.2.1")
	wantStatus(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	wantStatus(t, start("192.0.2.2"), http.StatusCreated) // the study's third
	wantStatus(t, start("192.0.2.3"), http.StatusTooManyRequests)
	if n := ts.countRows(`SELECT count(*) FROM sessions`); n != 3 {
		t.Fatalf("%d sessions", n)
	}
}

package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mccollough/mccollough/storage"
)

// ownedStudy creates an open short study through the API and returns the
// researcher's token.
func (ts *testServer) ownedStudy(slug string) string {
	ts.t.Helper()
	token := ts.researcher(slug + "@example.org")
	wantStatus(ts.t, ts.do(http.MethodPost, "/api/v1/experiments", shortDefinition(slug), auth(token)...), http.StatusCreated)
	wantStatus(ts.t, ts.do(http.MethodPatch, "/api/v1/experiments/"+slug, `{"status": "open"}`, auth(token)...), http.StatusOK)
	return token
}

func TestWithdrawalRemovesEveryRowOfTheSession(t *testing.T) {
	ts := newTestServer(t)
	ts.ownedStudy("short")
	leaving := ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": "leaver"}})
	staying := ts.startSession("short", nil)
	for _, s := range []createdSession{leaving, staying} {
		for i := range 3 {
			ts.put(s, i, answer("red", ts.tint(s, i)))
		}
		wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/events", `{"events": [{"seq": 0, "kind": "phase_start", "t_ms": 1}]}`, auth(s.Token)...), http.StatusOK)
	}
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+leaving.SessionID+"/withdraw", nil, auth(leaving.Token)...)
	wantStatus(t, rec, http.StatusOK)
	out := decodeJSON[map[string]any](t, rec.Body.Bytes())
	if out["trials_deleted"].(float64) != 3 || out["events_deleted"].(float64) != 1 {
		t.Fatalf("withdraw: %v", out)
	}
	for table, want := range map[string]int{"trials": 0, "events": 0} {
		if n := ts.countRows(`SELECT count(*) FROM `+table+` WHERE session_id = $1`, leaving.SessionID); n != want {
			t.Fatalf("%d %s rows left for the withdrawn session", n, table)
		}
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, staying.SessionID); n != 3 {
		t.Fatalf("the other session lost rows: %d left", n)
	}
	var ref, params, status string
	_ = ts.sql.QueryRow(context.Background(), `SELECT participant_ref, params::text, status FROM sessions WHERE id = $1`, leaving.SessionID).Scan(&ref, &params, &status)
	if ref != "" || params != "{}" || status != "withdrawn" {
		t.Fatalf("withdrawn session keeps ref %q params %s status %s", ref, params, status)
	}
	// Later writes are refused (gone); withdrawing again is harmless.
	if got := ts.put(leaving, 5, browserAnswer("red")); got != http.StatusGone {
		t.Fatalf("PUT after withdrawal: %d", got)
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+leaving.SessionID+"/complete", nil, auth(leaving.Token)...), http.StatusGone)
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+leaving.SessionID+"/withdraw", nil, auth(leaving.Token)...), http.StatusOK)
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+leaving.SessionID+"/withdraw", nil, auth(staying.Token)...), http.StatusUnauthorized)
}

// TestDeletionByParticipantUnderConcurrentWrites: a researcher deletes a
// participant's data while that participant's browsers keep sending
// answers; afterwards nothing of theirs is stored, nothing else is lost,
// and no request failed with a 500.
func TestDeletionByParticipantUnderConcurrentWrites(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	var theirs []createdSession
	for range 3 {
		theirs = append(theirs, ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": "p-delete-me"}}))
	}
	other := ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": "p-keep"}})
	for i := range 4 {
		ts.put(other, i, answer("green", ts.tint(other, i)))
	}
	var wg sync.WaitGroup
	var serverErrors atomic.Int32
	start := make(chan struct{})
	for _, s := range theirs {
		wg.Go(func() {
			<-start
			for i := range s.Plan.Trials {
				code := ts.put(s, i, browserAnswer("red"))
				if code >= 500 {
					serverErrors.Add(1)
				}
			}
		})
	}
	close(start)
	rec := ts.do(http.MethodDelete, "/api/v1/experiments/short/participants/p-delete-me", nil, auth(token)...)
	wg.Wait()
	wantStatus(t, rec, http.StatusOK)
	if n := serverErrors.Load(); n > 0 {
		t.Fatalf("%d concurrent writes failed with a 5xx", n)
	}
	del := decodeJSON[storage.Deletion](t, rec.Body.Bytes())
	if del.Sessions != 3 {
		t.Fatalf("deleted %+v, want 3 sessions", del)
	}
	for _, s := range theirs {
		if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, s.SessionID); n != 0 {
			t.Fatalf("%d trials of a deleted session remain", n)
		}
		if n := ts.countRows(`SELECT count(*) FROM sessions WHERE id = $1`, s.SessionID); n != 0 {
			t.Fatal("a deleted session remains")
		}
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, other.SessionID); n != 4 {
		t.Fatalf("the other participant has %d trials, want 4", n)
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/short/audit", nil, auth(token)...)
	entries := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["entries"]
	if len(entries) != 1 || entries[0]["sessions"].(float64) != 3 || entries[0]["researcher"] != "short@example.org" {
		t.Fatalf("audit %v", entries)
	}
	if fmt.Sprint(entries[0]["target"]) == "p-delete-me" {
		t.Fatal("the audit log keeps the participant id")
	}
	wantStatus(t, ts.do(http.MethodDelete, "/api/v1/experiments/short/participants/p-delete-me", nil, auth(token)...), http.StatusNotFound)
	rec = ts.do(http.MethodDelete, "/api/v1/experiments/short/sessions/"+other.SessionID, nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	if n := ts.countRows(`SELECT count(*) FROM trials`); n != 0 {
		t.Fatalf("%d trials left", n)
	}
}

func TestPreviewSessionsAreLeftOutOfData(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	rec := ts.do(http.MethodPost, "/api/v1/experiments/short/preview", nil, auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	pv := decodeJSON[map[string]any](t, rec.Body.Bytes())
	preview := createdSession{SessionID: pv["session_id"].(string), Token: pv["token"].(string)}
	state := ts.do(http.MethodGet, "/api/v1/sessions/"+preview.SessionID, nil, auth(preview.Token)...)
	wantStatus(t, state, http.StatusOK)
	full := decodeJSON[createdSession](t, state.Body.Bytes())
	// A preview's plan keeps the tints (its skip-ahead simulates answers).
	for i, tr := range full.Plan.Trials {
		if got := ts.put(preview, i, answer("red", *tr.Tint)); got != http.StatusCreated {
			t.Fatalf("preview PUT: %d", got)
		}
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+preview.SessionID+"/complete", nil, auth(preview.Token)...), http.StatusOK)
	// Previews don't count for counterbalancing: the next two real
	// participants still get one arm each.
	a, b := ts.startSession("short", nil), ts.startSession("short", nil)
	if a.Condition.Arm == b.Condition.Arm {
		t.Fatal("a preview session unbalanced the arms")
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/short/export.csv", nil, auth(token)...)
	rows, _ := csv.NewReader(rec.Body).ReadAll()
	if len(rows) != 1 {
		t.Fatalf("export holds %d preview rows", len(rows)-1)
	}
	d := decodeJSON[map[string]any](t, ts.do(http.MethodGet, "/api/v1/experiments/short/dashboard", nil, auth(token)...).Body.Bytes())
	if d["total"].(float64) != 2 || d["preview_sessions"].(float64) != 1 {
		t.Fatalf("dashboard %v", d)
	}
	rec = ts.do(http.MethodDelete, "/api/v1/experiments/short/previews", nil, auth(token)...)
	if decodeJSON[map[string]int](t, rec.Body.Bytes())["deleted"] != 1 {
		t.Fatal("preview not deleted")
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, preview.SessionID); n != 0 {
		t.Fatal("preview trials remain")
	}
}

func TestDefinitionExportForReplication(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	rec := ts.do(http.MethodGet, "/api/v1/experiments/short/definition.json", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	x := decodeJSON[map[string]any](t, rec.Body.Bytes())
	if x["version"].(float64) != 1 || x["definition"].(map[string]any)["slug"] != "short" {
		t.Fatalf("export %v", x)
	}
	if n := len(x["test_stimuli"].(map[string]any)); n != 2 {
		t.Fatalf("%d test stimuli, want a and b", n)
	}
	if _, ok := x["induction_stimuli"].(map[string]any)["b/green"]; !ok {
		t.Fatal("induction stimuli missing")
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments/short/definition.json?version=7", nil, auth(token)...), http.StatusNotFound)
}

// TestDeletedAndWithdrawnSessionsOnEveryParticipantRoute: once a
// researcher deletes a session, every participant route answers 404 for
// it, although this replica has its plan cached (they used to answer from
// the cache, and events failed with a 500); once a participant withdraws,
// every route answers 410, except the three that show the confirmation.
func TestDeletedAndWithdrawnSessionsOnEveryParticipantRoute(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	deleted := ts.startSession("short", nil)
	withdrawn := ts.startSession("short", nil)
	for _, s := range []createdSession{deleted, withdrawn} {
		if code := ts.put(s, 0, answer("red", ts.tint(s, 0))); code != http.StatusCreated {
			t.Fatalf("PUT: %d", code)
		}
		// Every route has seen the session: its plan is in this replica's cache.
		wantStatus(t, ts.do(http.MethodGet, "/s/short/sessions/"+s.SessionID+"/steps/2", nil, auth(s.Token)...), http.StatusOK)
	}
	wantStatus(t, ts.do(http.MethodDelete, "/api/v1/experiments/short/sessions/"+deleted.SessionID, nil, auth(token)...), http.StatusOK)
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+withdrawn.SessionID+"/withdraw", nil, auth(withdrawn.Token)...), http.StatusOK)

	bodies := map[string]func(s createdSession) any{
		"/trials/:index": func(createdSession) any { return browserAnswer("red") },
		"/events":        func(createdSession) any { return `{"events": [{"seq": 5, "kind": "phase_start", "t_ms": 1}]}` },
	}
	// What a withdrawn session still answers, so its participant sees the
	// confirmation (on a reload too) and withdrawing again is harmless.
	stillAnswers := map[string]bool{"GET /api/v1/sessions/:id": true, "GET /s/:slug/sessions/:id/ended": true,
		"POST /api/v1/sessions/:id/withdraw": true}
	checked := 0
	for _, r := range ts.srv.Routes() {
		if !strings.Contains(r.Path, "/sessions/:id") || strings.HasPrefix(r.Path, "/api/v1/experiments/") {
			continue // not a participant route
		}
		checked++
		for _, tc := range []struct {
			s    createdSession
			want int
		}{{deleted, http.StatusNotFound}, {withdrawn, http.StatusGone}} {
			want := tc.want
			if tc.want == http.StatusGone && stillAnswers[r.Method+" "+r.Path] {
				want = http.StatusOK
			}
			path := strings.NewReplacer(":slug", "short", ":id", tc.s.SessionID, ":index", "1", ":step", "2").Replace(r.Path)
			switch {
			case strings.HasSuffix(path, "/next"):
				path += "?block=0"
			case strings.HasSuffix(path, "/stimulus.png"):
				path += "?pattern=a&tint=2"
			}
			var body any
			for suffix, b := range bodies {
				if strings.HasSuffix(r.Path, suffix) {
					body = b(tc.s)
				}
			}
			if rec := ts.do(r.Method, path, body, auth(tc.s.Token)...); rec.Code != want {
				t.Errorf("%s %s: %d, want %d: %s", r.Method, r.Path, rec.Code, want, rec.Body.String())
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d participant routes found", checked)
	}
}

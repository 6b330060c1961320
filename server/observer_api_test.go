package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestObserverRunsAPI(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	other := ts.researcher("other@example.org")
	rec := ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "decorrelation", "seeds": 3}`, auth(token)...)
	wantStatus(t, rec, http.StatusAccepted)
	if out := decodeJSON[map[string]any](t, rec.Body.Bytes()); out["queued"].(float64) != 3 {
		t.Fatalf("queued %v", out)
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/short/observer-runs", nil, auth(token)...)
	runs := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["runs"]
	if len(runs) != 3 || runs[0]["status"] != "queued" || runs[2]["seed"].(float64) != 1 {
		t.Fatalf("runs %v", runs)
	}
	rec = ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "telepathy", "seeds": 0}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if e := decodeError(t, rec); len(e.Fields) != 2 {
		t.Fatalf("fields %+v", e.Fields)
	}
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "none", "seeds": 1}`, auth(other)...), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments/short/observer-runs", nil, auth(other)...), http.StatusNotFound)

	// The results page queues runs from a form and lists them.
	cookie := ts.signIn("short@example.org")
	page := ts.do(http.MethodGet, "/researcher/experiments/short/results", nil, "Cookie", cookie.String())
	wantStatus(t, page, http.StatusOK)
	for _, want := range []string{"Machine observer", `value="suppression"`, "queued"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("results page lacks %q", want)
		}
	}
}

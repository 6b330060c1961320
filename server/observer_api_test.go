package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

func TestObserverRunsAPI(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	other := ts.researcher("other@example.org")
	// Three networks, two participants each: session seeds 1–6, networks
	// 1, 1, 2, 2, 3, 3.
	rec := ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "decorrelation", "networks": 3, "seeds": 2}`, auth(token)...)
	wantStatus(t, rec, http.StatusAccepted)
	if out := decodeJSON[map[string]any](t, rec.Body.Bytes()); out["queued"].(float64) != 6 {
		t.Fatalf("queued %v", out)
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/short/observer-runs", nil, auth(token)...)
	runs := decodeJSON[map[string][]map[string]any](t, rec.Body.Bytes())["runs"]
	if len(runs) != 6 || runs[0]["status"] != "queued" || runs[5]["seed"].(float64) != 1 || runs[5]["network_seed"].(float64) != 1 ||
		runs[0]["seed"].(float64) != 6 || runs[0]["network_seed"].(float64) != 3 {
		t.Fatalf("runs %v", runs)
	}
	// By default a population of experiments.DefaultNetworks networks, one
	// participant each.
	rec = ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "none"}`, auth(token)...)
	wantStatus(t, rec, http.StatusAccepted)
	if out := decodeJSON[map[string]any](t, rec.Body.Bytes()); out["queued"].(float64) != experiments.DefaultNetworks {
		t.Fatalf("queued %v", out)
	}
	rec = ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "telepathy", "networks": 65, "seeds": 201}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if e := decodeError(t, rec); len(e.Fields) != 3 {
		t.Fatalf("fields %+v", e.Fields)
	}
	rec = ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "fast", "networks": 64, "seeds": 4}`, auth(token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments/short/observer-runs", `{"mechanism": "none", "seeds": 1}`, auth(other)...), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/experiments/short/observer-runs", nil, auth(other)...), http.StatusNotFound)

	// The results page queues runs from a form and lists them.
	cookie := ts.signIn("short@example.org")
	page := ts.do(http.MethodGet, "/researcher/experiments/short/results", nil, "Cookie", cookie.String())
	wantStatus(t, page, http.StatusOK)
	for _, want := range []string{"Machine observer", `value="fast"`, `name="networks"`, "queued"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("results page lacks %q", want)
		}
	}
}

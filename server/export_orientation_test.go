package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mccollough/mccollough/stimuli"
)

// TestStoredCirclesOrientation: concentric circles have no orientation. A
// definition stored with one on its circles (as the editor used to save
// them) still loads and runs, shows none, and the export leaves the
// circles' orientation empty while the grating keeps its own.
func TestStoredCirclesOrientation(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("ada@example.org")
	d := shortDefinition("rings")
	d.Pair.A = stimuli.Pattern{Kind: stimuli.Circles, PeriodPx: 30}.WithDefaults()
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", d, auth(token)...), http.StatusCreated)
	if _, err := ts.sql.Exec(context.Background(),
		`UPDATE experiment_versions SET definition = jsonb_set(definition, '{pair,a,orientation_deg}', '30')`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, ts.do(http.MethodPatch, "/api/v1/experiments/rings", `{"status": "open"}`, auth(token)...), http.StatusOK)

	rec := ts.do(http.MethodGet, "/api/v1/experiments/rings", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	var got struct {
		Definition struct {
			Pair struct{ A stimuli.Pattern } `json:"pair"`
		} `json:"definition"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Definition.Pair.A.Kind != stimuli.Circles || got.Definition.Pair.A.OrientationDeg != 0 {
		t.Fatalf("stored circles read back as %+v (%v)", got.Definition.Pair.A, err)
	}
	s := ts.startSession("rings", nil)
	for i, tr := range ts.planned(s) {
		if c := ts.put(s, i, answer("red", *tr.Tint)); c != http.StatusCreated {
			t.Fatalf("PUT %d: %d", i, c)
		}
	}
	rec = ts.do(http.MethodGet, "/api/v1/experiments/rings/export.csv", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	seen := map[string]string{}
	for _, row := range rows[1:] {
		seen[row[col["pattern_kind"]]] = row[col["orientation_deg"]]
	}
	if o, ok := seen["circles"]; !ok || o != "" {
		t.Errorf("circles exported with orientation %q (present %v)", o, ok)
	}
	if o := seen["grating"]; o != "90" {
		t.Errorf("the vertical grating exported with orientation %q", o)
	}
}

package analysis

import (
	"slices"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

func TestSummaryRows(t *testing.T) {
	h := adjParticipant("h", 1, map[string]float64{"a/baseline": 0, "b/baseline": 1, "a/post": 2, "b/post": 0, "oblique/baseline": 0.5})
	m := adjParticipant("m", 0, map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": 1, "b/post": -1})
	m.Kind, m.Mechanism = experiments.KindModel, "suppression"
	r := rowsFrom(experiments.ConstantStimuli, defaultTints, 4, []int{0, 0, 0, 1, 2, 3, 4, 4, 4})
	for i := range r {
		r[i].Pattern = "c"
	}
	m.Trials = append(m.Trials, r...)
	rows := SummaryRows(Analyze([]Participant{h, m}, Options{Seed: 1}))
	var got []string
	for _, row := range rows {
		got = append(got, row.SessionID+":"+row.Pattern)
	}
	if !slices.Equal(got, []string{"h:a", "h:b", "h:oblique", "m:a", "m:b", "m:c"}) {
		t.Fatalf("rows %v", got)
	}
	hb := rows[1]
	if hb.ParticipantKind != "human" || hb.Mechanism != "" || hb.ParticipantRef != "ref-h" || hb.Arm != 1 || hb.RedPattern != "b" ||
		!approx(hb.PSEBaseline, 1) || !approx(hb.PSEPost, 0) || !approx(hb.Shift, -1) || hb.SpreadBaseline != nil ||
		hb.FitFlagBaseline != "" || hb.FitFlagPost != "" || !hb.Included || hb.Method != string(experiments.Adjustment) {
		t.Errorf("h:b row %+v", hb)
	}
	if ob := rows[2]; ob.FitFlagPost != ReasonNoData || ob.Shift != nil || ob.PSEPost != nil {
		t.Errorf("h:oblique row %+v", ob)
	}
	mc := rows[5]
	if mc.Mechanism != "suppression" || mc.ParticipantKind != "model" || mc.SpreadBaseline == nil || mc.LapseBaseline == nil ||
		mc.FitFlagBaseline != "" || mc.FitFlagPost != ReasonNoData || mc.Method != string(experiments.ConstantStimuli) {
		t.Errorf("m:c row %+v", mc)
	}
	cells := hb.Strings()
	if len(cells) != len(SummaryColumns) {
		t.Fatalf("%d cells for %d columns", len(cells), len(SummaryColumns))
	}
	want := map[string]string{"session_id": "h", "condition_arm": "1", "pse_baseline": "1", "shift": "-1", "spread_baseline": "", "included": "true"}
	for i, col := range SummaryColumns {
		if w, ok := want[col]; ok && cells[i] != w {
			t.Errorf("%s = %q, want %q", col, cells[i], w)
		}
	}
}

// Bounds reach the CSV: the PSE at the end of the range, its censor, and
// the shift's.
func TestSummaryCensors(t *testing.T) {
	p := blocks("big", map[string][]int{"a/baseline": neutral, "b/baseline": neutral, "a/post": allGreen, "b/post": reddish})
	p.Kind, p.Mechanism, p.Network = experiments.KindModel, "decorrelation", "sha256:abc"
	rows := SummaryRows(Analyze([]Participant{p}, Options{Seed: 1}))
	cells := map[string]string{}
	for i, col := range SummaryColumns {
		cells[col] = rows[0].Strings()[i]
	}
	want := map[string]string{"pattern": "a", "pse_post": "12", "pse_post_censor": "above", "pse_baseline_censor": "", "shift_censor": "above", "model_network": "sha256:abc", "included": "true"}
	for col, w := range want {
		if cells[col] != w {
			t.Errorf("%s = %q, want %q", col, cells[col], w)
		}
	}
}

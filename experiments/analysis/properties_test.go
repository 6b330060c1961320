package analysis

import (
	"math"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// tuned is a participant (arm 0: red with a, arm 1: red with b) whose
// shift of each pattern is given, from adjustment settings.
func tuned(id string, arm int, shifts map[string]float64) Participant {
	pses := map[string]float64{}
	for pat, s := range shifts {
		pses[pat+"/baseline"], pses[pat+"/post"] = 0, s
	}
	return adjParticipant(id, arm, pses)
}

func TestGratingOrientations(t *testing.T) {
	d := experiments.Classic()
	g := func(deg float64) *stimuli.Pattern {
		return &stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: deg, PeriodPx: 26}
	}
	d.Test.ExtraPatterns = []experiments.ExtraPattern{
		{Name: "o30", Pattern: g(30)}, {Name: "o195", Pattern: g(195)}, {Name: "neg", Pattern: g(-45)},
		{Name: "rings", Pattern: &stimuli.Pattern{Kind: stimuli.Circles, PeriodPx: 26}}, {Name: "mid", Morph: new(0.5)},
	}
	got := GratingOrientations(d)
	want := map[string]float64{"a": d.Pair.A.OrientationDeg, "b": d.Pair.B.OrientationDeg, "o30": 30, "o195": 15, "neg": 135}
	if len(got) != len(want) {
		t.Fatalf("orientations %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %g, want %g", k, got[k], w)
		}
	}
}

// Tuning pools both arms by orientation relative to the red-paired
// pattern: a (0°) is red-paired in arm 0, b (90°) in arm 1.
func TestTuning(t *testing.T) {
	orient := map[string]float64{"a": 0, "b": 90, "o45": 45, "o135": 135, "o15": 15}
	var parts []Participant
	for i := range 8 {
		arm := i % 2
		red, green := "a", "b"
		if arm == 1 {
			red, green = "b", "a"
		}
		// Relative 45° is o45 in arm 0 and o135 in arm 1 (135 − 90).
		rel45, rel135 := "o45", "o135"
		if arm == 1 {
			rel45, rel135 = "o135", "o45"
		}
		parts = append(parts, tuned(string(rune('p'+i)), arm, map[string]float64{
			red: 4 + float64(i%3), green: -4, rel45: 1, rel135: -1, "o15": 3,
		}))
	}
	g := Analyze(parts, Options{Seed: 1}).Groups[0]
	pts := Tuning(g, orient, Options{Seed: 1}.WithDefaults())
	got := map[float64]float64{}
	for _, p := range pts {
		got[p.X] = val(p.Stat.Mean)
	}
	// o15 is relative 15° in arm 0 and 105° (15 − 90 + 180) in arm 1.
	want := map[float64]float64{0: 5, 15: 3, 45: 1, 90: -4, 105: 3, 135: -1}
	if len(got) != len(want) {
		t.Fatalf("tuning %v, want bins %v", got, want)
	}
	for x, w := range want {
		if math.Abs(got[x]-w) > 0.2 {
			t.Errorf("bin %g: mean %g, want %g", x, got[x], w)
		}
	}
	for _, p := range pts {
		if p.X == 15 && p.Stat.N != 4 || p.X == 0 && p.Stat.N != 8 {
			t.Errorf("bin %g: n %d", p.X, p.Stat.N)
		}
	}
	if Tuning(g, map[string]float64{"o45": 45}, Options{}) != nil {
		t.Error("tuning without a grating pair is not empty")
	}
}

func TestDoseAndDecay(t *testing.T) {
	var parts []Participant
	for i := range 12 {
		dur, effect := 60.0, 2.0
		if i%2 == 1 {
			dur, effect = 180, 5
		}
		p := adjParticipant(string(rune('a'+i)), 0, map[string]float64{
			"a/baseline": 0, "b/baseline": 0, "a/post": effect / 2, "b/post": -effect / 2,
			"a/followup": effect / 4, "b/followup": -effect / 4,
		})
		p.InductionS = dur
		if i < 8 {
			p.FollowupAfterS = new(3600)
		}
		parts = append(parts, p)
	}
	res := Analyze(parts, Options{Seed: 2})
	g := res.Groups[0]
	dose := Dose(g, res.Options)
	if len(dose) != 2 || dose[0].X != 60 || dose[1].X != 180 || !approx(dose[0].Stat.Mean, 2) || !approx(dose[1].Stat.Mean, 5) || dose[1].Stat.N != 6 {
		t.Errorf("dose %+v", dose)
	}
	decay := Decay(g, res.Options)
	if len(decay) != 2 {
		t.Fatalf("decay points %d, want 2 (unset and 3600 s)", len(decay))
	}
	d := decay[1]
	if val(d.AfterS) != 3600 || d.Post.N != 8 || !approx(d.Post.Mean, 3.5) || !approx(d.Followup.Mean, 1.75) || !approx(d.Retained, 0.5) || !approx(d.Change.Mean, -1.75) {
		t.Errorf("decay at 3600 s: %+v", d)
	}
	if decay[0].AfterS != nil || decay[0].Post.N != 4 {
		t.Errorf("decay without a set delay: %+v", decay[0])
	}
}

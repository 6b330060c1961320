package analysis

import (
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// answers are a 2AFC block: "red" answers per default tint, 6 trials each.
var (
	allGreen = []int{0, 0, 0, 0, 0, 0, 0, 0, 0}
	neutral  = []int{0, 0, 1, 2, 3, 4, 5, 6, 6} // PSE ≈ 0
	greenish = []int{0, 0, 0, 0, 0, 1, 2, 4, 6} // PSE ≈ 4
	reddish  = []int{0, 2, 4, 5, 6, 6, 6, 6, 6} // PSE ≈ −4
)

// blocks builds a complete human (arm 0: red with a) from answers per
// "pattern/phase".
func blocks(id string, answers map[string][]int) Participant {
	p := Participant{SessionID: id, Kind: experiments.KindHuman, Condition: experiments.ConditionForArm(0), Status: experiments.StatusComplete}
	for key, reds := range answers {
		pattern, phase := key[:1], key[2:]
		for _, r := range rowsFrom(experiments.ConstantStimuli, defaultTints, 6, reds) {
			r.SessionID, r.Pattern, r.Phase, r.TrialIndex = id, pattern, phase, len(p.Trials)
			p.Trials = append(p.Trials, r)
		}
	}
	return p
}

// A red-paired pattern that looks green at every tested tint after
// induction has a PSE above the range: the participant is kept, with an
// effect bounded below, instead of being dropped (which would censor the
// largest effects).
func TestCensoredEffectIsKept(t *testing.T) {
	p := analyzeParticipant(blocks("big", map[string][]int{
		"a/baseline": neutral, "b/baseline": neutral, "a/post": allGreen, "b/post": reddish,
	}), DefaultMaxLapse)
	if !p.Included {
		t.Fatalf("excluded: %s %s", p.ExclusionReason, p.ExclusionDetail)
	}
	post := indexFits(p.Fits).get("a", phasePost)
	if !approx(post.PSE, 12) || post.Censor != Above || post.Alpha != nil {
		t.Errorf("a/post fit: pse %v censor %q alpha %v, want 12 above, no fit", val(post.PSE), post.Censor, post.Alpha)
	}
	if p.Censors[censorShift+"a"] != Above || p.Censors[censorContingent] != Above || p.Censors[censorShift+"b"] != Exact {
		t.Errorf("censors %v", p.Censors)
	}
	// CE > (12 − PSE_a(baseline)) − shift(b) ≈ 12 + 4.
	if p.ContingentEffect == nil || *p.ContingentEffect < 14 || *p.ContingentEffect > 18 {
		t.Errorf("contingent effect bound %v, want about 16", val(p.ContingentEffect))
	}
}

// Bounds that point both ways leave the effect unknown: a pattern beyond
// the same end of the range before and after induction.
func TestUnboundedEffectIsExcluded(t *testing.T) {
	p := analyzeParticipant(blocks("green-key", map[string][]int{
		"a/baseline": allGreen, "b/baseline": neutral, "a/post": allGreen, "b/post": neutral,
	}), DefaultMaxLapse)
	if p.Included || p.ExclusionReason != ReasonUnbounded || p.Shifts["a"] != nil {
		t.Errorf("included %v reason %q shift a %v", p.Included, p.ExclusionReason, p.Shifts["a"])
	}
}

// Group statistics take bounds at their bound and say so.
func TestGroupCensoring(t *testing.T) {
	var parts []Participant
	for i := range 7 {
		post := greenish
		if i == 0 {
			post = allGreen
		}
		parts = append(parts, blocks(string(rune('p'+i)), map[string][]int{
			"a/baseline": neutral, "b/baseline": neutral, "a/post": post, "b/post": reddish,
		}))
	}
	g := Analyze(parts, Options{Seed: 1}).Groups[0]
	ce := g.ContingentEffect
	if g.N != 7 || ce.N != 7 || ce.NCensored != 1 || ce.Censored != "above" {
		t.Errorf("n %d, effect n %d censored %d %q", g.N, ce.N, ce.NCensored, ce.Censored)
	}
	if ce.P == nil || *ce.P >= 0.05 || ce.CILow == nil || *ce.CILow <= 0 {
		t.Errorf("p %v CI low %v: 7 positive effects", val(ce.P), val(ce.CILow))
	}
}

func TestBoundedArithmetic(t *testing.T) {
	cases := []struct {
		x, y Censor
		want Censor
		ok   bool
	}{
		{Exact, Exact, Exact, true},
		{Above, Exact, Above, true},
		{Exact, Below, Above, true}, // x − (something below y) is above x − y
		{Above, Below, Above, true},
		{Below, Above, Below, true},
		{Above, Above, Exact, false},
		{Below, Below, Exact, false},
	}
	for _, c := range cases {
		got, ok := minus(bounded{5, c.x}, bounded{2, c.y})
		if ok != c.ok || (ok && (got.c != c.want || got.v != 3)) {
			t.Errorf("%q − %q = %+v %v, want %q %v", c.x, c.y, got, ok, c.want, c.ok)
		}
	}
	if m, ok := meanOf([]bounded{{1, Exact}, {3, Above}}); !ok || m.v != 2 || m.c != Above {
		t.Errorf("mean %+v %v", m, ok)
	}
	if _, ok := meanOf([]bounded{{1, Below}, {3, Above}}); ok {
		t.Error("mean of bounds both ways is bounded")
	}
	if n, way := censoring([]bounded{{1, Below}, {3, Above}, {2, Exact}}); n != 2 || way != censoredBoth {
		t.Errorf("censoring %d %q", n, way)
	}
}

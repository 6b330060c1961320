package experiments

import (
	"math"
	"testing"
)

func TestAdjustmentStarts(t *testing.T) {
	for _, n := range []int{4, 3} {
		d := withMethod(Adjustment)
		d.Test.Adjustment.TrialsPerPattern = n
		a := d.Test.Adjustment
		sum, count := 0.0, 0
		for seed := range int64(1000) {
			p := mustPlan(t, d, seed, 0)
			side := map[string]int{} // per phase/pattern: red minus green starts
			for _, tr := range p.Trials {
				s := *tr.StartTint
				mag := math.Abs(s)
				if mag < a.StartMin || mag > a.StartRange || math.Mod(mag, a.Step) != 0 {
					t.Fatalf("start %g is not on the %g grid within ±[%g, %g]", s, a.Step, a.StartMin, a.StartRange)
				}
				if b := TintBound(d.Colors.NeutralL); tr.Tint != nil || *tr.MinTint != -b || *tr.MaxTint != b || tr.Step != 0.5 {
					t.Fatalf("adjustment trial %+v", tr)
				}
				side[string(tr.Phase)+"/"+tr.Pattern] += int(math.Copysign(1, s))
			}
			for k, v := range side {
				if (n%2 == 0 && v != 0) || (n%2 == 1 && v != 1 && v != -1) {
					t.Fatalf("seed %d %s: red minus green starts = %d with %d trials", seed, k, v, n)
				}
				sum += float64(v)
				count++
			}
		}
		if mean := sum / float64(count); math.Abs(mean) > 0.08 {
			t.Errorf("n=%d: mean start side over seeds %.3f, want ≈ 0", n, mean)
		}
	}
}

// The session image route serves only the tints an adjustment trial can
// show: within its range, on its key or slider grid.
func TestAdjustmentShows(t *testing.T) {
	p := mustPlan(t, withMethod(Adjustment), 7, 0) // range ±28 (the gamut at L* 82), step 0.5
	start := *p.Trials[0].StartTint
	pattern := p.Trials[0].Pattern
	for _, tint := range []float64{start, start + 0.5, start - 3, -28, 28, 0, 27.5} {
		if !p.AdjustmentShows(pattern, tint) {
			t.Errorf("tint %g of pattern %s refused", tint, pattern)
		}
	}
	for _, tint := range []float64{28.5, -29, 0.25, 1.1, math.NaN(), math.Inf(1)} {
		if p.AdjustmentShows(pattern, tint) {
			t.Errorf("tint %g shown, but no trial can show it", tint)
		}
	}
	if p.AdjustmentShows("nope", start) {
		t.Error("a pattern the plan does not have is shown")
	}
	if cs := mustPlan(t, withMethod(ConstantStimuli), 7, 0); cs.AdjustmentShows(PatternA, 0) {
		t.Error("a plan without adjustment trials shows an adjustable tint")
	}
}

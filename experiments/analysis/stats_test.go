package analysis

import (
	"math"
	"testing"
)

// bruteSignFlip enumerates sign patterns by bit mask, independently of the
// Gray-code walk.
func bruteSignFlip(x []float64) float64 {
	obs := 0.0
	for _, v := range x {
		obs += v
	}
	count := 0
	total := 1 << len(x)
	for m := range total {
		s := 0.0
		for i, v := range x {
			if m>>i&1 == 1 {
				s -= v
			} else {
				s += v
			}
		}
		if math.Abs(s) >= math.Abs(obs)-1e-9 {
			count++
		}
	}
	return float64(count) / float64(total)
}

func TestSignFlipExact(t *testing.T) {
	cases := []struct {
		x    []float64
		want float64
	}{
		// ±1±2±3: sums 6,4,2,0,0,−2,−4,−6; |sum| ≥ 6 twice of 8.
		{[]float64{1, 2, 3}, 2.0 / 8},
		// Σ = 6; ±1±2±3±4 = 2s − 10 over subset sums s; |2s − 10| ≥ 6 for
		// s ∈ {0,1,2,8,9,10}: 3 + 3 of 16 subsets.
		{[]float64{1, -2, 3, 4}, 6.0 / 16},
		{[]float64{1, 2, 3, 4}, 2.0 / 16},
		{[]float64{5}, 1},
		{[]float64{-3, -1, 1, 3}, 1}, // symmetric: Σ = 0
		{[]float64{0, 0, 0}, 1},
	}
	for _, c := range cases {
		if got := SignFlipP(c.x, 0, 1, "t"); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("SignFlipP(%v) = %g, want %g", c.x, got, c.want)
		}
	}
	// Ties in floating point: 0.1+0.2 vs 0.3.
	if got := SignFlipP([]float64{0.1, 0.2, -0.3}, 0, 1, "t"); got != 1 {
		t.Errorf("zero-sum data: p = %g, want 1", got)
	}
	x := []float64{0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 1.1, 0.8, 2.2, -0.9, 1.4, 0.6, 1.7, 0.2, -0.1, 1.0}
	if got, want := SignFlipP(x, 0, 1, "t"), bruteSignFlip(x); math.Abs(got-want) > 1e-12 {
		t.Errorf("n=16: Gray walk %g, brute force %g", got, want)
	}
	if !math.IsNaN(SignFlipP(nil, 0, 1, "t")) {
		t.Error("empty: want NaN")
	}
}

func TestSignFlipMonteCarlo(t *testing.T) {
	x := []float64{0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 1.1, 0.8, 2.2, -0.9, 1.4, 0.6, 1.7, 0.2, -0.1, 1.0, -0.8}
	exact := bruteSignFlip(x)
	mc := SignFlipP(x, 20000, 42, "t")
	// Binomial SD at 20,000 flips ≤ 0.0035.
	if math.Abs(mc-exact) > 0.015 {
		t.Errorf("n=17: Monte Carlo p %g, exact %g", mc, exact)
	}
	if again := SignFlipP(x, 20000, 42, "t"); again != mc {
		t.Errorf("not deterministic: %g then %g", mc, again)
	}
	// A clear effect: every one of 20 participants positive. Only the two
	// all-same-sign flips reach |Σ|, so p is the +1 correction's floor.
	clear := make([]float64, 20)
	for i := range clear {
		clear[i] = 2 + float64(i%5)*0.3
	}
	if p := SignFlipP(clear, 20000, 1, "t"); p > 2.0/20001+1e-12 {
		t.Errorf("clear effect: p = %g", p)
	}
	// Symmetric data: p = 1.
	sym := make([]float64, 30)
	for i := range sym {
		sym[i] = float64(i/2+1) * float64(1-2*(i%2))
	}
	if p := SignFlipP(sym, 20000, 1, "t"); p != 1 {
		t.Errorf("symmetric: p = %g, want 1", p)
	}
}

func TestCohenDZ(t *testing.T) {
	// mean 3, SD sqrt(10/4) (n − 1).
	if got, want := CohenDZ([]float64{1, 2, 3, 4, 5}), 3/math.Sqrt(2.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("d_z = %g, want %g", got, want)
	}
	// −1, 1, 3: mean 1, SD 2.
	if got := CohenDZ([]float64{-1, 1, 3}); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("d_z = %g, want 0.5", got)
	}
	for _, x := range [][]float64{nil, {2}, {2, 2, 2}} {
		if !math.IsNaN(CohenDZ(x)) {
			t.Errorf("d_z(%v) is not NaN", x)
		}
	}
}

func TestBootstrapCI(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	lo, hi := BootstrapCI(x, 0.95, 10000, 7, "t")
	// The expanded percentile interval matches the t interval:
	// 5.5 ± t(0.975, 9)·3.03/√10 = 5.5 ± 2.17 ≈ [3.33, 7.67].
	if !(lo > 3.1 && lo < 3.55 && hi > 7.45 && hi < 7.9) {
		t.Errorf("CI [%g, %g], want ≈ [3.33, 7.67]", lo, hi)
	}
	if lo2, hi2 := BootstrapCI(x, 0.95, 10000, 7, "t"); lo2 != lo || hi2 != hi {
		t.Error("not deterministic")
	}
	if lo3, _ := BootstrapCI(x, 0.95, 10000, 8, "t"); lo3 == lo {
		t.Error("another seed gave the identical bound")
	}
	if lo, hi := BootstrapCI([]float64{3}, 0.95, 100, 1, "t"); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Error("n = 1: want NaN")
	}
	if lo, hi := BootstrapCI([]float64{2, 2, 2}, 0.95, 100, 1, "t"); lo != 2 || hi != 2 {
		t.Errorf("constant data: [%g, %g]", lo, hi)
	}
}

func TestDescribe(t *testing.T) {
	o := Options{}.WithDefaults()
	s := describe([]float64{1, 2, 3, 4, 5}, o, "t")
	if s.N != 5 || !approx(s.Mean, 3) || !approx(s.SD, math.Sqrt(2.5)) || !approx(s.DZ, 3/math.Sqrt(2.5)) || !approx(s.P, 2.0/32) {
		t.Errorf("describe: %+v", s)
	}
	if s.CILow == nil || s.CIHigh == nil || *s.CILow > 3 || *s.CIHigh < 3 {
		t.Errorf("CI %v %v", s.CILow, s.CIHigh)
	}
	one := describe([]float64{4}, o, "t")
	if one.N != 1 || !approx(one.Mean, 4) || one.CILow != nil || one.CIHigh != nil || one.DZ != nil || one.SD != nil || !approx(one.P, 1) {
		t.Errorf("n = 1: %+v", one)
	}
	if none := describe(nil, o, "t"); none.N != 0 || none.Mean != nil || none.P != nil {
		t.Errorf("n = 0: %+v", none)
	}
}

// TestExpandedTail: the expanded percentile interval uses the t-matched
// quantile (n = 20, 95%: about 1.6% instead of 2.5%), approaching the
// nominal tail for large n.
func TestExpandedTail(t *testing.T) {
	if got := expandedTail(0.025, 20); math.Abs(got-0.0159) > 0.0005 {
		t.Fatalf("n=20: %g, want about 0.0159", got)
	}
	if got := expandedTail(0.025, 100000); math.Abs(got-0.025) > 0.0002 {
		t.Fatalf("large n: %g, want about 0.025", got)
	}
	if got := expandedTail(0.025, 2); !(got >= 0 && got < 1e-6) {
		t.Fatalf("n=2: %g", got)
	}
}

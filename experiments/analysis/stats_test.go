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

// signFlipP is the p-value alone.
func signFlipP(x []float64, permutations int, seed int64, label string) float64 {
	return SignFlipTest(x, CILevel, permutations, seed, label).P
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
		if got := signFlipP(c.x, 0, 1, "t"); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("signFlipP(%v) = %g, want %g", c.x, got, c.want)
		}
	}
	// Ties in floating point: 0.1+0.2 vs 0.3.
	if got := signFlipP([]float64{0.1, 0.2, -0.3}, 0, 1, "t"); got != 1 {
		t.Errorf("zero-sum data: p = %g, want 1", got)
	}
	x := []float64{0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 1.1, 0.8, 2.2, -0.9, 1.4, 0.6, 1.7, 0.2, -0.1, 1.0}
	if got, want := signFlipP(x, 0, 1, "t"), bruteSignFlip(x); math.Abs(got-want) > 1e-12 {
		t.Errorf("n=16: Gray walk %g, brute force %g", got, want)
	}
	if !math.IsNaN(signFlipP(nil, 0, 1, "t")) {
		t.Error("empty: want NaN")
	}
}

func TestSignFlipMonteCarlo(t *testing.T) {
	x := []float64{0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 1.1, 0.8, 2.2, -0.9, 1.4, 0.6, 1.7, 0.2, -0.1, 1.0, -0.8}
	exact := bruteSignFlip(x)
	mc := signFlipP(x, 20000, 42, "t")
	// Binomial SD at 20,000 flips ≤ 0.0035.
	if math.Abs(mc-exact) > 0.015 {
		t.Errorf("n=17: Monte Carlo p %g, exact %g", mc, exact)
	}
	if again := signFlipP(x, 20000, 42, "t"); again != mc {
		t.Errorf("not deterministic: %g then %g", mc, again)
	}
	// A clear effect: every one of 20 participants positive. Only the two
	// all-same-sign flips reach |Σ|, so p is the +1 correction's floor.
	clear := make([]float64, 20)
	for i := range clear {
		clear[i] = 2 + float64(i%5)*0.3
	}
	if p := signFlipP(clear, 20000, 1, "t"); p > 2.0/20001+1e-12 {
		t.Errorf("clear effect: p = %g", p)
	}
	// Symmetric data: p = 1.
	sym := make([]float64, 30)
	for i := range sym {
		sym[i] = float64(i/2+1) * float64(1-2*(i%2))
	}
	if p := signFlipP(sym, 20000, 1, "t"); p != 1 {
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

func TestDescribe(t *testing.T) {
	o := Options{}.WithDefaults()
	s := describe([]float64{1, 2, 3, 4, 5, 6}, o, "t")
	if s.N != 6 || !approx(s.Mean, 3.5) || !approx(s.SD, math.Sqrt(3.5)) || !approx(s.DZ, 3.5/math.Sqrt(3.5)) || !approx(s.P, 2.0/64) {
		t.Errorf("describe: %+v", s)
	}
	if s.CILow == nil || s.CIHigh == nil || *s.CILow > 3.5 || *s.CIHigh < 3.5 || *s.CILow <= 0 {
		t.Errorf("CI %v %v: want around 3.5 and above 0 (p = 2/64)", s.CILow, s.CIHigh)
	}
	// Five values: no sign assignment reaches p < .05, the interval is the
	// whole line (null).
	five := describe([]float64{1, 2, 3, 4, 5}, o, "t")
	if !approx(five.P, 2.0/32) || five.CILow != nil || five.CIHigh != nil {
		t.Errorf("n = 5: %+v", five)
	}
	one := describe([]float64{4}, o, "t")
	if one.N != 1 || !approx(one.Mean, 4) || one.CILow != nil || one.CIHigh != nil || one.DZ != nil || one.SD != nil || !approx(one.P, 1) {
		t.Errorf("n = 1: %+v", one)
	}
	if none := describe(nil, o, "t"); none.N != 0 || none.Mean != nil || none.P != nil {
		t.Errorf("n = 0: %+v", none)
	}
}

package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

func shifted(x []float64, mu float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - mu
	}
	return out
}

// The interval is the set of μ the test does not reject: just inside
// either end p(μ) ≥ .05 (by the brute-force enumeration), just outside
// p(μ) < .05.
func TestSignFlipIntervalInvertsTheTest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for trial := range 60 {
		n := 6 + trial%9
		x := make([]float64, n)
		for i := range x {
			x[i] = 1 + 2*r.NormFloat64()
		}
		ci := SignFlipTest(x, 0.95, 0, 1, "t")
		width := ci.CIHigh - ci.CILow
		if !(width > 0) {
			t.Fatalf("n=%d: interval [%g, %g]", n, ci.CILow, ci.CIHigh)
		}
		eps := 1e-6 * width
		for _, c := range []struct {
			mu     float64
			accept bool
		}{{ci.CILow + eps, true}, {ci.CIHigh - eps, true}, {ci.CILow - eps, false}, {ci.CIHigh + eps, false}} {
			p := bruteSignFlip(shifted(x, c.mu))
			if (p >= 0.05) != c.accept {
				t.Errorf("n=%d, μ=%g (interval [%g, %g]): brute-force p = %g", n, c.mu, ci.CILow, ci.CIHigh, p)
			}
		}
	}
}

// The interval excludes 0 exactly when p < .05, exact and Monte Carlo,
// also on data made to sit on the edge (the interval's end moved to 0).
func TestSignFlipIntervalAgreesWithP(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	checked, significant := 0, 0
	for trial := range 160 {
		n := 6 + trial%20 // 6 … 25: exact up to 16, Monte Carlo above
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.6 + r.NormFloat64()
		}
		for _, y := range [][]float64{x, shifted(x, SignFlipTest(x, 0.95, 2000, 9, "t").CILow)} {
			res := SignFlipTest(y, 0.95, 2000, 9, "t")
			excludes := res.CILow > 0 || res.CIHigh < 0
			if excludes != (res.P < 0.05) {
				t.Errorf("n=%d: p = %g but interval [%g, %g]", n, res.P, res.CILow, res.CIHigh)
			}
			checked++
			if excludes {
				significant++
			}
		}
	}
	t.Logf("%d data sets, %d significant", checked, significant)
}

// Coverage at n = 12: over 250 seeded simulated studies per shape
// (normal, heavy-tailed t₃, uniform, a two-point mixture) the 95% interval
// covers the true mean in ≥ 93% of them.
func TestSignFlipCoverageAtTwelve(t *testing.T) {
	shapes := map[string]func(r *rand.Rand) float64{
		"normal": func(r *rand.Rand) float64 { return r.NormFloat64() },
		"t3": func(r *rand.Rand) float64 {
			return r.NormFloat64() / math.Sqrt((sq(r.NormFloat64())+sq(r.NormFloat64())+sq(r.NormFloat64()))/3)
		},
		"uniform": func(r *rand.Rand) float64 { return 2*r.Float64() - 1 },
		"mixture": func(r *rand.Rand) float64 { return 0.3*r.NormFloat64() + float64(2*r.IntN(2)-1) },
	}
	const studies, n, truth = 250, 12, 2.5
	for name, draw := range shapes {
		r := rand.New(rand.NewPCG(12, uint64(len(name))))
		covered := 0
		for s := range studies {
			x := make([]float64, n)
			for i := range x {
				x[i] = truth + 2*draw(r)
			}
			res := SignFlipTest(x, 0.95, 0, int64(s), "t")
			if res.CILow <= truth && truth <= res.CIHigh {
				covered++
			}
		}
		t.Logf("%s: covered %d/%d", name, covered, studies)
		if 100*covered < 93*studies {
			t.Errorf("%s: coverage %d/%d, want ≥ 93%%", name, covered, studies)
		}
	}
}

func sq(v float64) float64 { return v * v }

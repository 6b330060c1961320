package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// refNLL is the negative log-likelihood of the psychometric function,
// written out again for the reference maximiser below.
func refNLL(lv []level, alpha, beta, lapse float64) float64 {
	s := 0.0
	for _, l := range lv {
		q := lapse + (1-2*lapse)/(1+math.Exp(-(l.tint-alpha)/beta))
		q = math.Min(math.Max(q, qEps), 1-qEps)
		s -= float64(l.k)*math.Log(q) + float64(l.n-l.k)*math.Log(1-q)
	}
	return s
}

// refMaximum is an independent maximum of the likelihood: a dense grid
// over α (the tested range widened by one range either side), log β (its
// bounds) and λ ∈ [0, maxLapse], then a compass search inside the bounds
// from the best few grid points. Slow and simple on purpose.
func refMaximum(lv []level, maxLapse float64) (nll, alpha, beta, lapse float64) {
	lo, hi := lv[0].tint, lv[len(lv)-1].tint
	r := max(hi-lo, 1)
	bLo, bHi := math.Log(minSpreadFrac*r), math.Log(maxSpreadFrac*r)
	type point struct{ f, a, lb, l float64 }
	const na, nb, nl, keep = 101, 21, 5, 4
	best := make([]point, 0, keep+1)
	for i := range na {
		a := lo - r + 3*r*float64(i)/(na-1)
		for j := range nb {
			lb := bLo + (bHi-bLo)*float64(j)/(nb-1)
			for k := range nl {
				l := maxLapse * float64(k) / (nl - 1)
				p := point{refNLL(lv, a, math.Exp(lb), l), a, lb, l}
				at := len(best)
				for at > 0 && best[at-1].f > p.f {
					at--
				}
				if at < keep {
					best = append(best[:at], append([]point{p}, best[at:]...)...)
					best = best[:min(len(best), keep)]
				}
			}
		}
	}
	nll = math.Inf(1)
	for _, start := range best {
		x := [3]float64{start.a, start.lb, start.l}
		clamp := func(x [3]float64) [3]float64 {
			x[1] = math.Min(math.Max(x[1], bLo), bHi)
			x[2] = math.Min(math.Max(x[2], 0), maxLapse)
			return x
		}
		f := func(x [3]float64) float64 { return refNLL(lv, x[0], math.Exp(x[1]), x[2]) }
		fx := f(x)
		steps := [3]float64{3 * r / (na - 1), (bHi - bLo) / (nb - 1), maxLapse / (nl - 1)}
		for range 2000 {
			improved := false
			for d := range 3 {
				for _, sgn := range []float64{1, -1} {
					y := x
					y[d] += sgn * steps[d]
					y = clamp(y)
					if fy := f(y); fy < fx {
						x, fx, improved = y, fy, true
					}
				}
			}
			if !improved {
				for d := range steps {
					steps[d] /= 2
				}
				if steps[0] < 1e-8*r {
					break
				}
			}
		}
		if fx < nll {
			nll, alpha, beta, lapse = fx, x[0], math.Exp(x[1]), x[2]
		}
	}
	return nll, alpha, beta, lapse
}

// simulatedLevels draws one data set: a random observer (PSE within and
// beyond the tested range, steep to shallow, lapses up to twice the
// allowed maximum) on the default tints or on an uneven staircase-like
// set of tints with uneven counts.
func simulatedLevels(r *rand.Rand) []level {
	o := observer{pse: -16 + 32*r.Float64(), beta: math.Exp(math.Log(0.2) + r.Float64()*math.Log(40)), lapse: 0.12 * r.Float64() * r.Float64()}
	var rows []TrialRow
	if r.IntN(3) > 0 {
		idx := 0
		rows = constantRows(r, "s", phaseBaseline, "a", o, defaultTints, 2+r.IntN(10), &idx)
	} else {
		t := 8 * r.NormFloat64()
		for i := range 20 + r.IntN(40) {
			t = math.Round(min(max(t, -20), 20))
			resp := o.answer(r, t)
			rows = append(rows, TrialRow{Method: string(experiments.Staircase), Tint: t, Response: resp, TrialIndex: i})
			step := 1 + float64(r.IntN(4))
			if resp == experiments.Red {
				t -= step
			} else {
				t += step
			}
		}
	}
	return levelsOf(rows)
}

// TestFitIsTheMaximum: on 250 simulated data sets the fit's likelihood is
// never below the maximum a dense grid plus a bounded compass search
// finds (by more than 1e-6 in log-likelihood).
func TestFitIsTheMaximum(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	const sets, tol = 250, 1e-6
	misses, fitted := 0, 0
	worst := 0.0
	for i := range sets {
		lv := simulatedLevels(r)
		n, k := 0, 0
		for _, l := range lv {
			n += l.n
			k += l.k
		}
		if n < MinTrials || len(lv) < MinTints || k == 0 || k == n {
			continue
		}
		fitted++
		alpha, beta, lapse, ok := mle(lv, DefaultMaxLapse)
		if !ok {
			t.Errorf("set %d: no convergence", i)
			continue
		}
		got := refNLL(lv, alpha, beta, lapse)
		ref, ra, rb, rl := refMaximum(lv, DefaultMaxLapse)
		if got > ref+tol {
			misses++
			worst = max(worst, got-ref)
			if misses <= 5 {
				t.Logf("set %d: fit α=%.4g β=%.4g λ=%.4g nll %.8f; reference α=%.4g β=%.4g λ=%.4g nll %.8f", i, alpha, beta, lapse, got, ra, rb, rl, ref)
			}
		}
	}
	t.Logf("%d data sets fitted; %d fits below the reference maximum (worst by %.3g)", fitted, misses, worst)
	if misses > 0 {
		t.Errorf("%d of %d fits are not the maximum of their likelihood", misses, fitted)
	}
}

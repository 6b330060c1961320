package analysis

import (
	"math"
	"math/bits"
	"slices"
)

// ExactMaxN is the largest n whose 2^n sign flips are enumerated exactly.
const ExactMaxN = 16

// SignFlip is the two-sided sign-flip permutation test of a mean of
// within-subject effects (under the null each participant's effect is as
// likely negative as positive) and the confidence interval that inverts
// it, so that the two always agree: the interval at level 1 − α excludes 0
// exactly when p < α.
//
// The statistic is |Σ(x − μ)|. For n ≤ ExactMaxN every one of the 2^n sign
// assignments is enumerated and p(μ) is the fraction with
// |Σ±(x − μ)| ≥ |Σ(x − μ)|, the observed one included; above, `permutations`
// random assignments from (seed, label) give
// p(μ) = (1 + #{as extreme}) / (1 + permutations). P is p(0); the interval
// is every μ with p(μ) ≥ 1 − level, the set of centres of symmetry the test
// does not reject. Its coverage is exact for symmetric data: the test at
// the true centre rejects with probability at most α.
//
// The interval is computed exactly, not by searching μ: a sign assignment
// that flips the set N of values (and keeps the set P) is as extreme as the
// observed one exactly for μ between mean(x over N) and mean(x over P), an
// interval that holds mean(x); so p(μ) only falls as μ leaves mean(x), and
// the ends of the interval are order statistics of those interval ends.
//
// With fewer than six values no assignment can give p < .05 (the two
// all-same-sign ones are always as extreme), and the interval is the whole
// line: CILow and CIHigh are then ±Inf. All three are NaN for empty x.
type SignFlip struct {
	P, CILow, CIHigh float64
}

// SignFlipTest runs the test on x; permutations ≤ 0 means
// DefaultPermutations (used only when len(x) > ExactMaxN).
func SignFlipTest(x []float64, level float64, permutations int, seed int64, label string) SignFlip {
	n := len(x)
	if n == 0 || !(level > 0 && level < 1) {
		return SignFlip{P: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
	}
	sum, scale := 0.0, 0.0
	for _, v := range x {
		sum += v
		scale += math.Abs(v)
	}
	// Sums that equal the observed one up to rounding count as extreme: μ
	// within tol of an interval counts as inside it.
	tol := 1e-9 * scale / float64(n)
	var e extremes
	if n <= ExactMaxN {
		e = exactExtremes(x, sum)
	} else {
		if permutations <= 0 {
			permutations = DefaultPermutations
		}
		e = sampledExtremes(x, sum, permutations, newPRNG(seed, "signflip/"+label))
	}
	var out SignFlip
	inside := e.always
	for i := range e.lo {
		if e.lo[i] <= tol && e.hi[i] >= -tol {
			inside++
		}
	}
	out.P = float64(inside) / float64(e.total)
	// p(μ) ≥ α ⇔ at least `need` assignments are as extreme at μ.
	need := int(math.Ceil((1-level)*float64(e.total) - 1e-9))
	out.CILow, out.CIHigh = math.Inf(-1), math.Inf(1)
	if k := need - e.always; k > 0 && k <= len(e.lo) {
		slices.Sort(e.lo)
		slices.Sort(e.hi)
		out.CILow = e.lo[k-1] - tol
		out.CIHigh = e.hi[len(e.hi)-k] + tol
	}
	return out
}

// extremes are, for each sign assignment that is not always as extreme as
// the observed one, the interval [lo, hi] of μ over which it is.
type extremes struct {
	lo, hi []float64
	always int // assignments as extreme for every μ (observed included)
	total  int // assignments counted
}

// add records the assignment that flips `flipped` values summing to sumN.
func (e *extremes) add(n, flipped int, sumN, sum float64) {
	e.total++
	if flipped == 0 || flipped == n {
		e.always++
		return
	}
	meanN := sumN / float64(flipped)
	meanP := (sum - sumN) / float64(n-flipped)
	e.lo = append(e.lo, min(meanN, meanP))
	e.hi = append(e.hi, max(meanN, meanP))
}

// exactExtremes walks all 2^n sign patterns in Gray-code order, flipping
// one value per step.
func exactExtremes(x []float64, sum float64) extremes {
	n := len(x)
	total := 1 << n
	e := extremes{lo: make([]float64, 0, total), hi: make([]float64, 0, total)}
	flippedSet := make([]bool, n)
	flipped, sumN := 0, 0.0
	e.add(n, 0, 0, sum)
	for k := 1; k < total; k++ {
		i := bits.TrailingZeros(uint(k)) // the value that changes from gray(k−1) to gray(k)
		flippedSet[i] = !flippedSet[i]
		if flippedSet[i] {
			flipped++
			sumN += x[i]
		} else {
			flipped--
			sumN -= x[i]
		}
		e.add(n, flipped, sumN, sum)
	}
	return e
}

// sampledExtremes draws random sign patterns; the observed one counts once
// more.
func sampledExtremes(x []float64, sum float64, permutations int, r interface{ Uint64() uint64 }) extremes {
	n := len(x)
	e := extremes{lo: make([]float64, 0, permutations), hi: make([]float64, 0, permutations), always: 1, total: 1}
	for range permutations {
		flipped, sumN := 0, 0.0
		var word uint64
		for i, v := range x {
			if i%64 == 0 {
				word = r.Uint64()
			}
			if word&1 == 1 {
				flipped++
				sumN += v
			}
			word >>= 1
		}
		e.add(n, flipped, sumN, sum)
	}
	return e
}

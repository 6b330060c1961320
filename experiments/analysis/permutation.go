package analysis

import (
	"math"
	"math/bits"
)

// ExactMaxN is the largest n whose 2^n sign flips are enumerated exactly.
const ExactMaxN = 16

// SignFlipP is the two-sided p-value of the sign-flip permutation test of
// mean(x) = 0 (a within-subject test: under the null each participant's
// effect is as likely negative as positive). The statistic is |Σx|. For
// n ≤ ExactMaxN every one of the 2^n sign assignments is enumerated and p
// is the fraction with |Σ±x| ≥ |Σx| (the observed one included); above,
// `permutations` random assignments from (seed, label) give
// p = (1 + #{|Σ±x| ≥ |Σx|}) / (1 + permutations). NaN for empty x.
func SignFlipP(x []float64, permutations int, seed int64, label string) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	obs, scale := 0.0, 0.0
	for _, v := range x {
		obs += v
		scale += math.Abs(v)
	}
	obs = math.Abs(obs)
	// Sums that equal the observed one up to rounding count as ≥.
	thresh := obs - 1e-9*scale
	if n <= ExactMaxN {
		return exactSignFlip(x, thresh)
	}
	if permutations <= 0 {
		permutations = DefaultPermutations
	}
	r := newPRNG(seed, "signflip/"+label)
	count := 0
	for range permutations {
		s := 0.0
		var word uint64
		for i, v := range x {
			if i%64 == 0 {
				word = r.Uint64()
			}
			if word&1 == 1 {
				s -= v
			} else {
				s += v
			}
			word >>= 1
		}
		if math.Abs(s) >= thresh {
			count++
		}
	}
	return float64(1+count) / float64(1+permutations)
}

// exactSignFlip walks all 2^n sign patterns in Gray-code order, flipping
// one sign per step.
func exactSignFlip(x []float64, thresh float64) float64 {
	n := len(x)
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	sign := make([]float64, n)
	for i := range sign {
		sign[i] = 1
	}
	total := uint64(1) << n
	count := 0
	if math.Abs(sum) >= thresh {
		count++
	}
	for k := uint64(1); k < total; k++ {
		i := bits.TrailingZeros64(k) // the bit that changes from gray(k−1) to gray(k)
		sum -= 2 * sign[i] * x[i]
		sign[i] = -sign[i]
		if math.Abs(sum) >= thresh {
			count++
		}
	}
	return float64(count) / float64(total)
}

package analysis

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mccollough/mccollough/experiments"
)

// BootstrapCI is the expanded percentile bootstrap confidence interval of
// the mean of x at the given level (e.g. 0.95): the means of `resamples`
// resamples of x with replacement, and their quantiles either side
// (linearly interpolated).
//
// The plain percentile interval is too narrow for small samples (it
// behaves like mean ± z·s/√n with the n-divisor SD): at n = 20 a nominal
// 95% interval covered the truth in about 92% of simulated studies. The
// expanded percentile interval (Hesterberg 2015, "What teachers should know
// about the bootstrap", §4.3) takes the quantiles at
// Φ(±√(n/(n−1))·t_{n−1}) instead of (1 ± level)/2, matching the t interval's
// width for normal data while keeping the bootstrap's shape.
//
// It is deterministic given seed and label; NaN with fewer than two values
// or no resamples.
func BootstrapCI(x []float64, level float64, resamples int, seed int64, label string) (lo, hi float64) {
	if len(x) < 2 || resamples <= 0 || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	return bootstrapCI(x, level, resamples, newPRNG(seed, "bootstrap/"+label))
}

func bootstrapCI(x []float64, level float64, resamples int, r *experiments.Stream) (lo, hi float64) {
	n := len(x)
	means := make([]float64, resamples)
	for b := range means {
		s := 0.0
		for range n {
			s += x[r.IntN(n)]
		}
		means[b] = s / float64(n)
	}
	slices.Sort(means)
	tail := expandedTail((1-level)/2, n)
	return stat.Quantile(tail, stat.LinInterp, means, nil), stat.Quantile(1-tail, stat.LinInterp, means, nil)
}

// expandedTail is the bootstrap quantile used for a nominal tail
// probability with n values: Φ(−√(n/(n−1))·t_{n−1}(1−tail)).
func expandedTail(tail float64, n int) float64 {
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - tail)
	return distuv.UnitNormal.CDF(-math.Sqrt(float64(n)/float64(n-1)) * t)
}

package analysis

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// BootstrapCI is the percentile bootstrap confidence interval of the mean
// of x at the given level (e.g. 0.95): the mean of `resamples` resamples
// of x with replacement, and their level/2 quantiles either side
// (linearly interpolated). It is deterministic given seed and label; NaN
// with fewer than two values or no resamples.
func BootstrapCI(x []float64, level float64, resamples int, seed int64, label string) (lo, hi float64) {
	if len(x) < 2 || resamples <= 0 || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	return bootstrapCI(x, level, resamples, newPRNG(seed, "bootstrap/"+label))
}

func bootstrapCI(x []float64, level float64, resamples int, r *prng) (lo, hi float64) {
	n := len(x)
	means := make([]float64, resamples)
	for b := range means {
		s := 0.0
		for range n {
			s += x[r.intN(n)]
		}
		means[b] = s / float64(n)
	}
	slices.Sort(means)
	tail := (1 - level) / 2
	return stat.Quantile(tail, stat.LinInterp, means, nil), stat.Quantile(1-tail, stat.LinInterp, means, nil)
}

package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat"
)

// CILevel is the confidence level of every interval.
const CILevel = 0.95

// CohenDZ is the standardised mean of within-subject effects:
// mean(x) / SD(x), with the n − 1 SD. NaN with fewer than two values or
// an SD of zero.
func CohenDZ(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	mean, sd := stat.MeanStdDev(x, nil)
	if !(sd > 0) {
		return math.NaN()
	}
	return mean / sd
}

// describe is the group statistic of per-participant values x: mean, SD,
// bootstrap CI, d_z and sign-flip p, from streams labelled by label.
func describe(x []float64, o Options, label string) Stat {
	s := Stat{N: len(x)}
	if len(x) == 0 {
		return s
	}
	s.Mean = num(stat.Mean(x, nil))
	s.P = num(SignFlipP(x, o.Permutations, o.Seed, label))
	if len(x) < 2 {
		return s
	}
	s.SD = num(stat.StdDev(x, nil))
	lo, hi := BootstrapCI(x, CILevel, o.Bootstrap, o.Seed, label)
	s.CILow, s.CIHigh = num(lo), num(hi)
	s.DZ = num(CohenDZ(x))
	return s
}

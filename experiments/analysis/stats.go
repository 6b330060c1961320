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
// d_z, and the sign-flip p with the interval that inverts it (SignFlip),
// from a stream labelled by label.
func describe(x []float64, o Options, label string) Stat {
	s := Stat{N: len(x)}
	if len(x) == 0 {
		return s
	}
	s.Mean = num(stat.Mean(x, nil))
	test := SignFlipTest(x, CILevel, o.Permutations, o.Seed, label)
	s.P, s.CILow, s.CIHigh = num(test.P), num(test.CILow), num(test.CIHigh)
	if len(x) < 2 {
		return s
	}
	s.SD = num(stat.StdDev(x, nil))
	s.DZ = num(CohenDZ(x))
	return s
}

// describeBounded is describe with bounds at their bound (see Stat).
func describeBounded(x []bounded, o Options, label string) Stat {
	vs := make([]float64, len(x))
	for i, b := range x {
		vs[i] = b.v
	}
	s := describe(vs, o, label)
	s.NCensored, s.Censored = censoring(x)
	return s
}

// censoring counts the bounds among x and says which way they point:
// "", "above", "below" or "both".
func censoring(x []bounded) (n int, way string) {
	var c Censor
	for _, b := range x {
		if b.c == Exact {
			continue
		}
		n++
		switch {
		case c == Exact:
			c = b.c
		case c != b.c:
			way = censoredBoth
		}
	}
	if way == "" {
		way = string(c)
	}
	return n, way
}

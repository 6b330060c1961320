// Package analysis turns stored trials into the McCollough measure
// (DESIGN.md §1): a psychometric fit per participant × pattern × phase, the
// per-pattern shift PSE(post) − PSE(baseline), the contingent effect
// shift(red-paired) − shift(green-paired), and group statistics (mean,
// Cohen's d_z, sign-flip permutation test and the interval that inverts
// it) for humans and for each machine-observer mechanism separately, over
// participants for humans and over networks for models. PSEs beyond the
// tested tints are bounds (Censor), carried through to the statistics.
//
// Everything is a pure function of its input and Options.Seed: the same
// data and seed give the same numbers, bit for bit. No value in the output
// is NaN or ±Inf; undefined numbers are nil pointers (JSON null).
//
// Tints are in CIELAB a* (positive = red). The psychometric function is
// P(red | tint) = λ + (1 − 2λ)·F((tint − α)/β) with F the logistic, fitted
// by maximum likelihood (mle.go); the PSE is α and "slope" is the spread β
// in a* (larger = shallower).
package analysis

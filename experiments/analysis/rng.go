package analysis

import "github.com/mccollough/mccollough/experiments"

// newPRNG is the resampling tests' stream for one purpose (label) of a
// seed: experiments.Stream, reproducible by any future build, so a CI or a
// p-value is too.
func newPRNG(seed int64, label string) *experiments.Stream {
	return experiments.NewStream(seed, label, uint64(len(label)))
}

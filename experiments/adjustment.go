package experiments

import "math"

// adjustmentTrials is trials_per_pattern nulling trials per pattern in a
// shuffled order. Start tints have |tint| uniform in [start_min,
// start_range] on the step grid; within each pattern exactly half start on
// the red side (an odd count's extra one gets a seeded side), so a
// participant who stops early at the start cannot bias the null point.
func adjustmentTrials(d Definition, seed int64, base Trial) []Trial {
	a := *d.Test.Adjustment
	r := NewStream(seed, "adjustment/"+string(base.Phase), 0)
	var trials []Trial
	for _, p := range d.PatternNames() {
		sides := balancedSides(r, a.TrialsPerPattern)
		for _, side := range sides {
			t := base
			t.Pattern = p
			t.StartTint = new(side * startMagnitude(r, a))
			t.MinTint, t.MaxTint = new(*a.Min), new(*a.Max)
			t.Step = a.Step
			trials = append(trials, t)
		}
	}
	r.Shuffle(len(trials), func(i, j int) { trials[i], trials[j] = trials[j], trials[i] })
	return trials
}

// balancedSides is n signs (+1 red, −1 green), half of each, the odd one
// out drawn from r, in a shuffled order.
func balancedSides(r *Stream, n int) []float64 {
	sides := make([]float64, n)
	for i := range sides {
		sides[i] = 1
		if i%2 == 1 {
			sides[i] = -1
		}
	}
	if n%2 == 1 && r.IntN(2) == 1 {
		sides[n-1] = -1
	}
	r.Shuffle(n, func(i, j int) { sides[i], sides[j] = sides[j], sides[i] })
	return sides
}

// startMagnitude draws |start| in [StartMin, StartRange], on the grid of the
// key step when the grid has a point in that range, so that key presses can
// reach 0 exactly.
func startMagnitude(r *Stream, a AdjustmentParams) float64 {
	lo := math.Ceil(a.StartMin/a.Step - 1e-9)
	hi := math.Floor(a.StartRange/a.Step + 1e-9)
	if lo <= hi && lo > 0 && hi-lo < 1e6 {
		return roundTint((lo + float64(r.IntN(int(hi-lo)+1))) * a.Step)
	}
	return a.StartMin + r.Float64()*(a.StartRange-a.StartMin)
}

// roundTint drops binary noise (k × 0.1) from computed tints so they print
// as the numbers a researcher would write.
func roundTint(v float64) float64 { return math.Round(v*1e9) / 1e9 }

// AdjustmentShows reports whether one of the plan's adjustment trials of
// pattern can put tint on the screen: a tint within the trial's range, on
// the grid of its key steps from its start, on the grid of its slider
// (from the range's ends), or one of the ends themselves. The session's
// image route serves nothing else, so a session cannot have arbitrary
// tints rendered.
func (p Plan) AdjustmentShows(pattern string, tint float64) bool {
	onGrid := func(x, from, step float64) bool {
		k := (x - from) / step
		return math.Abs(k-math.Round(k)) < 1e-6
	}
	for _, t := range p.Trials {
		if t.Method != Adjustment || t.Pattern != pattern || t.MinTint == nil || t.MaxTint == nil || t.StartTint == nil || t.Step <= 0 {
			continue
		}
		lo, hi := *t.MinTint, *t.MaxTint
		if !finite(tint) || tint < lo-tintTolerance || tint > hi+tintTolerance {
			continue
		}
		if math.Abs(tint-lo) <= tintTolerance || math.Abs(tint-hi) <= tintTolerance ||
			onGrid(tint, *t.StartTint, t.Step) || onGrid(tint, lo, t.Step) || onGrid(tint, hi, t.Step) {
			return true
		}
	}
	return false
}

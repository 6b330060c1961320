package experiments

import "github.com/mccollough/mccollough/stimuli"

// DefaultAperture is the circular soft-edged window every stimulus is seen
// through, so the square image border is no orientation cue. The background
// is left to stimuli's default: the mean luminance of a neutral grating, so
// the surround adds no luminance step, the same in test and induction.
func DefaultAperture(sizePx int) stimuli.Aperture {
	return stimuli.Aperture{Shape: stimuli.Circle, EdgePx: float64(sizePx) / 32}
}

// PatternSpec resolves a test pattern name ("a", "b" or an extra pattern's
// name) to its spec; for a morph extra pattern it also returns the morph
// target (B) and level, and the base is A.
func (d Definition) PatternSpec(name string) (base stimuli.Pattern, morphTo *stimuli.Pattern, morph float64, err error) {
	if d.Pair == nil {
		return stimuli.Pattern{}, nil, 0, Invalidf("the definition's pair_id has not been resolved to patterns")
	}
	switch name {
	case PatternA:
		return d.Pair.A, nil, 0, nil
	case PatternB:
		return d.Pair.B, nil, 0, nil
	}
	for _, e := range d.Test.ExtraPatterns {
		if e.Name != name {
			continue
		}
		switch {
		case e.Pattern != nil:
			return *e.Pattern, nil, 0, nil
		case e.Morph != nil:
			b := d.Pair.B
			return d.Pair.A, &b, *e.Morph, nil
		}
		return stimuli.Pattern{}, nil, 0, Invalidf("extra pattern %q has neither pattern nor morph", name)
	}
	return stimuli.Pattern{}, nil, 0, Errorf(NotFound, "no test pattern named %q", name)
}

// TestStimulus is the achromatic test stimulus: the pattern's light parts
// are the neutral grey shifted by tint along a*.
func (d Definition) TestStimulus(pattern string, tint float64) (stimuli.Stimulus, error) {
	base, to, morph, err := d.PatternSpec(pattern)
	if err != nil {
		return stimuli.Stimulus{}, err
	}
	if !finite(tint) || tint < -MaxAbsTint || tint > MaxAbsTint {
		return stimuli.Stimulus{}, Invalidf("tint %g is outside ±%g", tint, MaxAbsTint)
	}
	return stimuli.Stimulus{
		Pattern:   base,
		MorphTo:   to,
		Morph:     morph,
		Dark:      d.Colors.Dark,
		NeutralL:  d.Colors.NeutralL,
		Tint:      tint,
		Aperture:  DefaultAperture(d.SizePx),
		RefSizePx: d.SizePx,
	}, nil
}

// InductionStimulus is pattern "a" or "b" with its light parts in the
// induction colour "red" or "green".
func (d Definition) InductionStimulus(pattern, color string) (stimuli.Stimulus, error) {
	if pattern != PatternA && pattern != PatternB {
		return stimuli.Stimulus{}, Invalidf("induction pattern must be %q or %q, not %q", PatternA, PatternB, pattern)
	}
	var light string
	switch color {
	case Red:
		light = d.Colors.Red
	case Green:
		light = d.Colors.Green
	default:
		return stimuli.Stimulus{}, Invalidf("induction colour must be %q or %q, not %q", Red, Green, color)
	}
	base, _, _, err := d.PatternSpec(pattern)
	if err != nil {
		return stimuli.Stimulus{}, err
	}
	return stimuli.Stimulus{
		Pattern:   base,
		Dark:      d.Colors.Dark,
		Light:     light,
		NeutralL:  d.Colors.NeutralL, // decides the background, as in the test
		Aperture:  DefaultAperture(d.SizePx),
		RefSizePx: d.SizePx,
	}, nil
}

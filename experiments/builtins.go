package experiments

import "github.com/mccollough/mccollough/stimuli"

// ClassicPeriodPx is the period of the classic test gratings (DESIGN.md §1).
const ClassicPeriodPx = 26

// Classic reproduces the classic study: red horizontal and green vertical
// square gratings (counterbalanced), 180 s of induction switching every
// 2.4 s, constant stimuli at nine tints × 2 repeats on A, B and a 45°
// control, tested before and after induction.
func Classic() Definition {
	grating := func(deg float64) stimuli.Pattern {
		return stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: deg, PeriodPx: ClassicPeriodPx}.WithDefaults()
	}
	return Definition{
		Slug: "classic",
		Name: "Classic McCollough effect (horizontal vs vertical gratings)",
		Pair: &Pair{A: grating(0), B: grating(90)},
		Test: Test{
			Method:        ConstantStimuli,
			ExtraPatterns: []ExtraPattern{{Name: DefaultControl, Pattern: new(grating(45))}},
		},
	}.WithDefaults()
}

// CirclesCrosses is the seed project's pair: concentric circles (A) against
// a lattice of crosses (B), switching every second for two minutes.
//
// The control is a horizontal (0°) grating named "horizontal". The crosses
// are ±45° lines, so a 45° grating (the classic control) or a checkerboard
// (whose fundamental components are also at ±45°) would share B's
// orientations and inherit B's aftereffect; circles contain every
// orientation equally. A 0° grating is 45° away from both cross arms, the
// closest thing to "neither A nor B" among simple patterns.
func CirclesCrosses() Definition {
	return Definition{
		Slug: "circles-crosses",
		Name: "Circles vs crosses",
		Pair: &Pair{
			A: stimuli.Pattern{Kind: stimuli.Circles, PeriodPx: ClassicPeriodPx}.WithDefaults(),
			B: stimuli.Pattern{Kind: stimuli.Crosses, PeriodPx: ClassicPeriodPx}.WithDefaults(),
		},
		Induction: Induction{DurationS: 120, SwitchS: 1},
		Test: Test{
			Method: ConstantStimuli,
			ExtraPatterns: []ExtraPattern{{
				Name:    "horizontal",
				Pattern: new(stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: 0, PeriodPx: ClassicPeriodPx}.WithDefaults()),
			}},
		},
	}.WithDefaults()
}

// Builtins are the ready-made experiments, valid as they are.
func Builtins() []Definition {
	return []Definition{Classic(), CirclesCrosses()}
}

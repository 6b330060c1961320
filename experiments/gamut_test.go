package experiments

import (
	"testing"

	"github.com/mccollough/mccollough/stimuli"
)

// TestDefaultRangesCanBeShown: at any reasonable lightness the default
// staircase and adjustment ranges end where the screen can still show the
// colour, so no step and no slider position asks for a refused image.
func TestDefaultRangesCanBeShown(t *testing.T) {
	for _, l := range []float64{40, 60, 75, 82, 88, 92} {
		for _, m := range []Method{Staircase, Adjustment} {
			d := Classic()
			d.Colors.NeutralL = l
			d.Test.Method = m
			d.Test.Tints, d.Test.Repeats, d.Test.Staircase, d.Test.Adjustment = nil, 0, nil, nil
			d = d.WithDefaults()
			lo, hi := d.Test.Staircase, d.Test.Adjustment
			var bounds []float64
			if lo != nil {
				bounds = []float64{*lo.MinTint, *lo.MaxTint}
			} else {
				bounds = []float64{*hi.Min, *hi.Max}
			}
			for _, b := range bounds {
				if _, err := stimuli.TintColor(l, b); err != nil {
					t.Errorf("L*=%g %s: default bound %g cannot be shown: %v", l, m, b, err)
				}
			}
			// (Above L* 88 the default screening levels cannot be shown
			// either: a study there sets its own.)
			if errs := d.Validate(); len(errs) > 0 && l <= 88 {
				t.Errorf("L*=%g %s: defaults do not validate: %v", l, m, errs)
			}
		}
	}
	if b := TintBound(DefaultNeutralL); b != 28 {
		t.Errorf("bound at the default lightness %g, want 28 (red ends at a*≈28.2 at L* 82)", b)
	}
}

// TestTintsBeyondTheGamutAreRefused: a definition asking for a colour the
// screen cannot show is refused with the field named, before any
// participant meets a stimulus that cannot be drawn.
func TestTintsBeyondTheGamutAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Definition)
		field string
	}{
		{"a constant-stimuli tint", func(d *Definition) { d.Test.Tints = []float64{-4, 0, 4, 35} }, "test.tints[3]"},
		{"a staircase's red end", func(d *Definition) {
			*d = withMethod(Staircase)
			d.Test.Staircase.MaxTint = new(30.0)
		}, "test.staircase.max_tint"},
		{"a slider's red end", func(d *Definition) {
			*d = withMethod(Adjustment)
			d.Test.Adjustment.Max = new(30.0)
		}, "test.adjustment.max"},
		{"a slider's green end at a high lightness", func(d *Definition) {
			*d = withMethod(Adjustment)
			d.Colors.NeutralL = 95
			d.Test.Adjustment.Min, d.Test.Adjustment.Max = new(-30.0), new(5.0)
			d.Test.Adjustment.StartMin, d.Test.Adjustment.StartRange = 1, 4
		}, "test.adjustment.min"},
	} {
		d := Classic().WithDefaults()
		tc.edit(&d)
		found := false
		for _, e := range d.Validate() {
			if e.Field == tc.field {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no error on %s: %v", tc.name, tc.field, d.Validate())
		}
	}
}

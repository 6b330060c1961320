package server

import (
	"reflect"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/templates"
)

// TestDefinitionFormRoundTrip: the protocol editor shows every field of a
// definition, and submitting it unchanged gives the same definition back.
func TestDefinitionFormRoundTrip(t *testing.T) {
	f := 86400.0
	lo, hi := -20.0, 25.0
	staircase := experiments.Classic()
	staircase.Slug = "stairs"
	staircase.Test = experiments.Test{Method: experiments.Staircase, DurationMS: 700,
		Staircase:     &experiments.StaircaseParams{StartTint: 12, Steps: []float64{6, 3, 1.5}, MaxReversals: 6, MaxTrials: 30, MinTint: &lo, MaxTint: &hi},
		ExtraPatterns: []experiments.ExtraPattern{{Name: "mid", Morph: &[]float64{0.5}[0]}}}
	staircase.Phases = experiments.Phases{Reversal: true, Followup: true, FollowupAfterS: &f}
	staircase.Counterbalance = &[]bool{false}[0]
	adjust := experiments.CirclesCrosses()
	adjust.Test = experiments.Test{Method: experiments.Adjustment, ExtraPatterns: []experiments.ExtraPattern{}}
	adjust.InstructionsMD = "Press the arrow keys."
	adjust.CompletionURL = "https://example.org/done?c={code}"
	radial := experiments.Classic()
	radial.Pair.A = stimuli.Pattern{Kind: stimuli.Radial, Spokes: 12, Phase: 0.25}
	radial.Pair.B = stimuli.Pattern{Kind: stimuli.Grid, LineWidthPx: 3, PeriodPx: 30, Waveform: stimuli.Sine}

	// Every option beyond the protocol: no screening, own exclusion rules,
	// German with an own text, a contact; and a screening of its own.
	german := experiments.Classic()
	german.Slug, german.Language = "deutsch", "de"
	german.Screening = &experiments.Screening{Enabled: &[]bool{false}[0]}
	catch, exits := 0.9, 0
	german.Exclusions = &experiments.Exclusions{MinCatchAccuracy: &catch, MaxFullscreenExits: &exits}
	german.TextOverrides = map[string]string{"consent.yes": "Einverstanden", "duration.minutes.other": "{n} Min."}
	german.Contact = &experiments.Contact{Name: "Dr. Ada Muster", Email: "ada@example.org"}
	// The protocol options: practice, catch trials, breaks, pacing.
	gap, iti := 3.0, 400
	german.Induction.MaxGapS, german.Phases.PostDelayS = &gap, 30
	german.Practice = &experiments.Practice{Trials: 6, Feedback: new(false), Tint: 20}
	german.Test.CatchTrials, german.Test.CatchTint, german.Test.BreakEvery, german.Test.BreakS = 2, 18, 20, 15
	german.Test.ITIMS, german.Test.ResponseWindowMS = &iti, 3000
	screened := experiments.CirclesCrosses()
	screened.Screening = &experiments.Screening{Levels: []float64{10, 6}, Patches: 3, MinCorrect: 4,
		MinViewport: &experiments.Viewport{Width: 1024, Height: 700}, DesktopOnly: true}

	for _, d := range []experiments.Definition{experiments.Classic(), experiments.CirclesCrosses(), staircase, adjust, radial, german, screened} {
		d = d.WithDefaults()
		if errs := d.Validate(); len(errs) > 0 {
			t.Fatalf("%s: test definition invalid: %v", d.Slug, errs)
		}
		v := definitionValues(d)
		got, errs := parseDefinitionForm(v, d.Slug)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", d.Slug, errs)
		}
		got = got.WithDefaults()
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%s: round trip changed the definition\n got %+v\nwant %+v", d.Slug, got, d)
		}
	}
}

func TestFormErrorsLandNextToInputs(t *testing.T) {
	inputs := inputSet("test.tints", "test.extra_patterns", "test.method", "name")
	got := formErrors(experiments.FieldErrors{
		{Field: "test.tints[2]", Message: "must be between -100 and 100"},
		{Field: "test.tints[4]", Message: "duplicate tint 2 (use repeats)"},
		{Field: "test.extra_patterns[0].pattern.kind", Message: "is required"},
		{Field: "test", Message: "too many trials"},
		{Field: "name", Message: "is required"},
		{Field: "colors", Message: "mystery"},
	}, inputs, map[string]string{"test": "test.method"})
	want := templates.FormErrors{
		"test.tints":          "item 3: must be between -100 and 100; item 5: duplicate tint 2 (use repeats)",
		"test.extra_patterns": "item 1 (pattern.kind): is required",
		"test.method":         "too many trials",
		"name":                "is required",
		"":                    "colors: mystery",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

package experiments

import (
	"math"
	"slices"

	"github.com/mccollough/mccollough/stimuli"
)

// Defaults, from the classic literature (DESIGN.md §1).
const (
	DefaultRed        = "#ce2e2e"
	DefaultGreen      = "#189234"
	DefaultDark       = "#0c0c0e"
	DefaultNeutralL   = 82.0
	DefaultSizePx     = 512
	DefaultDurationS  = 180.0
	DefaultSwitchS    = 2.4
	DefaultJitterPx   = 20.0
	DefaultRepeats    = 2
	DefaultTestMS     = 1000
	DefaultControl    = "oblique"
	DefaultStartTint  = 10.0
	DefaultReversals  = 8
	DefaultMaxTrials  = 40
	DefaultTintBound  = 30.0 // staircase and adjustment range: ±30 a*, or less where the gamut ends (TintBound)
	DefaultStartMin   = 5.0
	DefaultStartRange = 15.0
	DefaultAdjustStep = 0.5
	DefaultAdjustN    = 4
	// DefaultMaxGapS: an induction out of sight for longer starts again.
	DefaultMaxGapS = 5.0
	// DefaultITIMS is the dark interval after an answer (the runner's
	// pause before this setting existed).
	DefaultITIMS = 250
	// DefaultCatchTint: catch trials and practice show ±16 a*, beyond
	// any McCollough shift, so the right answer is obvious.
	DefaultCatchTint    = 16.0
	DefaultPracticeTint = DefaultCatchTint
	DefaultBreakS       = 20.0
)

// DefaultTints are the constant-stimuli tint levels in a*.
func DefaultTints() []float64 { return []float64{-12, -8, -4, -2, 0, 2, 4, 8, 12} }

// DefaultSteps are the staircase step sizes in a*.
func DefaultSteps() []float64 { return []float64{8, 4, 2, 1} }

// DefaultConsent is the consent text, in lang, used when a definition has
// none. It says what ethics boards and the seed post insist on: the effect
// can last days, and how to undo it (the reversal, when the experiment
// offers one).
func DefaultConsent(lang string, reversal bool) string {
	return defaultMarkdown(lang, "consent_md", reversal)
}

// DefaultDebrief is the closing text, in lang, used when a definition has
// none. Who to contact is shown beside it (Contact), not written into it.
func DefaultDebrief(lang string, reversal bool) string {
	return defaultMarkdown(lang, "debrief_md", reversal)
}

// isBuiltinText reports whether md is the built-in consent_md or
// debrief_md (key) of some language.
func isBuiltinText(key, md string) bool {
	for _, lang := range Languages() {
		for _, reversal := range []bool{false, true} {
			if md == defaultMarkdown(lang, key, reversal) {
				return true
			}
		}
	}
	return false
}

func defaultMarkdown(lang, key string, reversal bool) string {
	t := Definition{Language: lang}.Texts()
	undo := t.Get(key + ".undo")
	if reversal {
		undo = t.Get(key + ".undo_reversal")
	}
	return t.Get(key, "undo", undo)
}

// withDefaults fills the classic colours where none are given.
// TintBound is the default staircase and adjustment range, ±TintBound a*:
// DefaultTintBound, or less at a lightness where the screen cannot show
// that much red or green (±28 a* at the default L* of 82), so that no step
// of a staircase and no slider position asks for a colour the renderer
// refuses.
func TintBound(neutralL float64) float64 {
	if !finite(neutralL) || neutralL <= 0 || neutralL >= 100 {
		return DefaultTintBound // colors.neutral_l is reported
	}
	return min(DefaultTintBound, math.Floor(stimuli.MaxTint(neutralL)))
}

func (c Colors) withDefaults() Colors {
	if c.Red == "" {
		c.Red = DefaultRed
	}
	if c.Green == "" {
		c.Green = DefaultGreen
	}
	if c.Dark == "" {
		c.Dark = DefaultDark
	}
	if c.NeutralL == 0 {
		c.NeutralL = DefaultNeutralL
	}
	return c
}

// WithDefaults fills every absent field with its default. It is idempotent
// and keeps explicit values (including explicit empty extra_patterns).
// Method-specific blocks are filled only for the chosen method, so a stored
// definition shows only what applies to it.
func (d Definition) WithDefaults() Definition {
	if d.Pair != nil {
		p := Pair{A: d.Pair.A.WithDefaults(), B: d.Pair.B.WithDefaults()}
		d.Pair = &p
	}
	d.Colors = d.Colors.withDefaults()
	if d.SizePx == 0 {
		d.SizePx = DefaultSizePx
	}
	if d.Counterbalance == nil {
		d.Counterbalance = new(true)
	}
	in := &d.Induction
	if in.DurationS == 0 {
		in.DurationS = DefaultDurationS
	}
	if in.SwitchS == 0 {
		in.SwitchS = DefaultSwitchS
	}
	if in.JitterPx == nil {
		in.JitterPx = new(DefaultJitterPx)
	}
	if in.MaxGapS == nil {
		in.MaxGapS = new(DefaultMaxGapS)
	}
	d.Test = d.Test.withDefaults(d.Pair, d.Colors.NeutralL)
	if d.Phases.Baseline == nil {
		d.Phases.Baseline = new(true)
	}
	if d.Phases.Post == nil {
		d.Phases.Post = new(true)
	}
	d.Screening = d.Screening.withDefaults()
	d.Practice = d.Practice.withDefaults()
	d.Exclusions = d.Exclusions.withDefaults()
	if d.Language == "" {
		d.Language = DefaultLanguage
	}
	d.TextOverrides = renameTextKeys(d.TextOverrides)
	// A built-in text (of any language, with or without the reversal)
	// follows the definition's language and reversal; a researcher's own
	// text stays as written.
	if d.ConsentMD == "" || isBuiltinText("consent_md", d.ConsentMD) {
		d.ConsentMD = DefaultConsent(d.Language, d.Phases.Reversal)
	}
	if d.DebriefMD == "" || isBuiltinText("debrief_md", d.DebriefMD) {
		d.DebriefMD = DefaultDebrief(d.Language, d.Phases.Reversal)
	}
	return d
}

func (t Test) withDefaults(pair *Pair, neutralL float64) Test {
	if t.Method == "" {
		t.Method = ConstantStimuli
	}
	if t.DurationMS == 0 {
		t.DurationMS = DefaultTestMS
	}
	if t.CatchTrials > 0 && t.CatchTint == 0 {
		t.CatchTint = DefaultCatchTint
	}
	if t.BreakEvery > 0 && t.BreakS == 0 {
		t.BreakS = DefaultBreakS
	}
	if t.ITIMS == nil {
		t.ITIMS = new(DefaultITIMS)
	}
	if t.ExtraPatterns == nil && pair != nil {
		t.ExtraPatterns = []ExtraPattern{{Name: DefaultControl, Pattern: new(obliqueLike(pair.A))}}
	} else if t.ExtraPatterns != nil {
		// Copy before filling so the caller's slice is never modified.
		t.ExtraPatterns = slices.Clone(t.ExtraPatterns)
		for i, e := range t.ExtraPatterns {
			if e.Pattern != nil {
				t.ExtraPatterns[i].Pattern = new(e.Pattern.WithDefaults())
			}
		}
	}
	switch t.Method {
	case ConstantStimuli:
		if t.Tints == nil {
			t.Tints = DefaultTints()
		}
		if t.Repeats == 0 {
			t.Repeats = DefaultRepeats
		}
	case Staircase:
		s := StaircaseParams{}
		if t.Staircase != nil {
			s = *t.Staircase
		}
		if s.StartTint == 0 {
			s.StartTint = DefaultStartTint
		}
		if s.Steps == nil {
			s.Steps = DefaultSteps()
		}
		if s.MaxReversals == 0 {
			s.MaxReversals = DefaultReversals
		}
		if s.MaxTrials == 0 {
			s.MaxTrials = DefaultMaxTrials
		}
		if s.MinTint == nil {
			s.MinTint = new(-TintBound(neutralL))
		}
		if s.MaxTint == nil {
			s.MaxTint = new(TintBound(neutralL))
		}
		t.Staircase = &s
	case Adjustment:
		a := AdjustmentParams{}
		if t.Adjustment != nil {
			a = *t.Adjustment
		}
		if a.StartMin == 0 {
			a.StartMin = DefaultStartMin
		}
		if a.StartRange == 0 {
			a.StartRange = DefaultStartRange
		}
		if a.Step == 0 {
			a.Step = DefaultAdjustStep
		}
		if a.Min == nil {
			a.Min = new(-TintBound(neutralL))
		}
		if a.Max == nil {
			a.Max = new(TintBound(neutralL))
		}
		if a.TrialsPerPattern == 0 {
			a.TrialsPerPattern = DefaultAdjustN
		}
		t.Adjustment = &a
	}
	return t
}

// obliqueLike is the default control: a 45° grating with A's period, duty
// and waveform, paired with neither colour, so a colour shift on it would be
// a global (non-contingent) drift rather than the McCollough effect.
// An invalid A is reported once, at pair.a, not again here.
func obliqueLike(a stimuli.Pattern) stimuli.Pattern {
	o := stimuli.Pattern{
		Kind:           stimuli.Grating,
		OrientationDeg: 45,
		PeriodPx:       a.PeriodPx,
		Duty:           a.Duty,
		Waveform:       a.Waveform,
	}.WithDefaults()
	if len(o.Validate()) > 0 {
		return stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: 45}.WithDefaults()
	}
	return o
}

package experiments

import (
	"fmt"

	"github.com/mccollough/mccollough/stimuli"
)

// Practice is a short block before the first test: patterns so strongly
// tinted that the answer is obvious, with feedback after each answer, so
// that participants learn the task (and its pace) before any data counts.
// Practice trials are stored with phase "practice" and never analysed.
type Practice struct {
	// Trials is how many practice trials run; 0 means no practice.
	Trials int `json:"trials"`
	// Feedback says after each answer whether it was right (nil: true).
	Feedback *bool `json:"feedback,omitempty"`
	// Tint is the |a*| of the practice patterns (DefaultPracticeTint).
	Tint float64 `json:"tint,omitempty"`
}

// MaxPracticeTrials bounds the practice block.
const MaxPracticeTrials = 50

// On reports whether the practice block runs.
func (p *Practice) On() bool { return p != nil && p.Trials > 0 }

// withDefaults fills absent fields of a practice that runs.
func (p *Practice) withDefaults() *Practice {
	if p == nil {
		return nil
	}
	out := *p
	if !out.On() {
		return &out
	}
	if out.Feedback == nil {
		out.Feedback = new(true)
	}
	if out.Tint == 0 {
		out.Tint = DefaultPracticeTint
	}
	return &out
}

func (p *Practice) validate(neutralL float64, test Test) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if p.Trials < 0 || p.Trials > MaxPracticeTrials {
		errs.Add("trials", "must be between 0 (no practice) and %d", MaxPracticeTrials)
	}
	if !p.On() {
		return errs
	}
	if msg := checkStrongTint(p.Tint, neutralL); msg != "" {
		errs.Add("tint", "%s", msg)
	} else if a := test.Adjustment; test.Method == Adjustment && a != nil && a.Min != nil && a.Max != nil &&
		(p.Tint > *a.Max || -p.Tint < *a.Min) {
		errs.Add("tint", "must lie within test.adjustment min and max on both sides (±%g)", p.Tint)
	}
	return errs
}

// checkStrongTint says what is wrong with the |a*| of a tint meant to be
// obvious (practice, catch trials), or "".
func checkStrongTint(tint, neutralL float64) string {
	if !finite(tint) || tint <= 0 || tint > MaxAbsTint {
		return fmt.Sprintf("must be a positive a* value of at most %g", MaxAbsTint)
	}
	if !finite(neutralL) || neutralL <= 0 || neutralL >= 100 {
		return "" // colors.neutral_l is reported
	}
	if lo, hi := stimuli.TintRange(neutralL); tint > hi || -tint < lo {
		return fmt.Sprintf("a* ±%g at L*=%g is outside the sRGB gamut (%.1f to %.1f)", tint, neutralL, lo, hi)
	}
	return ""
}

// strongTrials are n trials of patterns a and b at ±tint, balanced over
// pattern and side (exactly for multiples of 4), shuffled with r.
func strongTrials(n int, tint float64, r *Stream, base Trial) []Trial {
	trials := make([]Trial, n)
	for i := range trials {
		t := base
		t.Pattern = PatternA
		if i%2 == 1 {
			t.Pattern = PatternB
		}
		sign := 1.0
		if (i/2)%2 == 1 {
			sign = -1
		}
		t.Tint = new(sign * tint)
		trials[i] = t
	}
	r.Shuffle(n, func(i, j int) { trials[i], trials[j] = trials[j], trials[i] })
	return trials
}

// practiceTrials are the practice block's trials: red/green answers, or
// for an adjustment study nulling trials that start at ±tint.
func practiceTrials(d Definition, seed int64, base Trial) []Trial {
	p := d.Practice
	base.Feedback = *p.Feedback
	base.Method = ConstantStimuli
	trials := strongTrials(p.Trials, p.Tint, NewStream(seed, "practice", 0), base)
	if a := d.Test.Adjustment; d.Test.Method == Adjustment && a != nil {
		for i := range trials {
			t := &trials[i]
			t.Method = Adjustment
			t.StartTint, t.Tint = t.Tint, nil
			t.MinTint, t.MaxTint = new(*a.Min), new(*a.Max)
			t.Step = a.Step
		}
	}
	return trials
}

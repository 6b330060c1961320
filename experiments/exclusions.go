package experiments

import (
	"fmt"
	"math"

	"github.com/mccollough/mccollough/stimuli"
)

// Exclusions are the definition's rules for leaving a session out of the
// results. Every rule is judged on a session's facts (SessionFacts) by
// Judge; a session that breaks a rule carries the rule's flag and is
// excluded, with the flag as the reason. Absent fields take the defaults.
type Exclusions struct {
	// MinCatchAccuracy is the smallest share (0–1) of catch trials answered
	// right; 0 switches the rule off.
	MinCatchAccuracy *float64 `json:"min_catch_accuracy,omitempty"`
	// MaxDroppedFrameRate is the largest share (0–1) of test-stimulus frames
	// dropped or late; 1 switches the rule off.
	MaxDroppedFrameRate *float64 `json:"max_dropped_frame_rate,omitempty"`
	// MinRefreshHz and MaxRefreshHz bound the refresh rate measured in the
	// screen check; MaxRefreshSDMS bounds the spread of its frame intervals.
	MinRefreshHz   *float64 `json:"min_refresh_hz,omitempty"`
	MaxRefreshHz   *float64 `json:"max_refresh_hz,omitempty"`
	MaxRefreshSDMS *float64 `json:"max_refresh_sd_ms,omitempty"`
	// MaxFullscreenExits is how often a participant may leave full screen
	// during the protocol (the runner's own exit at the end does not count).
	MaxFullscreenExits *int `json:"max_fullscreen_exits,omitempty"`
	// MaxInductionRestarts is how often the induction may have started again
	// from the beginning (after a long pause or a reload): each restart adds
	// an unplanned partial dose.
	MaxInductionRestarts *int `json:"max_induction_restarts,omitempty"`
	// ExcludeSeparated leaves out participants with a perfectly separated
	// fit (every answer green below some tint, red above). Off by default:
	// such a fit still places the PSE in the gap, and excluding it would
	// drop the sharpest observers; the flag is reported either way.
	ExcludeSeparated *bool `json:"exclude_separated,omitempty"`
}

// Exclusion defaults. The catch tint is obvious, so three in four right is
// a lenient floor for attention; more than 5% of stimulus frames lost means
// the machine could not keep up; below 50 Hz or with frame intervals
// varying by more than 2 ms, durations are not what the plan says.
const (
	DefaultMinCatchAccuracy     = 0.75
	DefaultMaxDroppedFrameRate  = 0.05
	DefaultMinRefreshHz         = 50.0
	DefaultMaxRefreshHz         = 1000.0
	DefaultMaxRefreshSDMS       = 2.0
	DefaultMaxFullscreenExits   = 2
	DefaultMaxInductionRestarts = 0
)

// Exclusion flags: why a session is left out of the results. Each names the
// rule it broke (the results page and sessions.csv show them).
const (
	FlagCatch         = "catch"          // catch accuracy below min_catch_accuracy
	FlagDroppedFrames = "dropped_frames" // dropped-frame rate above max_dropped_frame_rate
	FlagRefresh       = "refresh"        // refresh rate outside the range, or unstable
	FlagFullscreen    = "fullscreen"     // more full-screen exits than max_fullscreen_exits
	// FlagInductionInterrupted: more induction restarts than
	// max_induction_restarts, so the dose differs from the plan.
	FlagInductionInterrupted = "induction_interrupted"
	// FlagSeparated: a perfectly separated fit, where exclude_separated
	// is set (the analysis decides it, from the fits).
	FlagSeparated = "separated"
)

// SeparatedExcludes reports whether the rules leave out a participant
// with a perfectly separated fit.
func (x *Exclusions) SeparatedExcludes() bool { return *x.withDefaults().ExcludeSeparated }

// withDefaults fills every absent rule.
func (x *Exclusions) withDefaults() *Exclusions {
	out := Exclusions{}
	if x != nil {
		out = *x
	}
	fill := func(p **float64, v float64) {
		if *p == nil {
			*p = new(v)
		}
	}
	fill(&out.MinCatchAccuracy, DefaultMinCatchAccuracy)
	fill(&out.MaxDroppedFrameRate, DefaultMaxDroppedFrameRate)
	fill(&out.MinRefreshHz, DefaultMinRefreshHz)
	fill(&out.MaxRefreshHz, DefaultMaxRefreshHz)
	fill(&out.MaxRefreshSDMS, DefaultMaxRefreshSDMS)
	if out.MaxFullscreenExits == nil {
		out.MaxFullscreenExits = new(DefaultMaxFullscreenExits)
	}
	if out.MaxInductionRestarts == nil {
		out.MaxInductionRestarts = new(DefaultMaxInductionRestarts)
	}
	if out.ExcludeSeparated == nil {
		out.ExcludeSeparated = new(false)
	}
	return &out
}

// MaxCountLimit bounds the count rules (max_fullscreen_exits,
// max_induction_restarts); the limit itself means "no rule".
const MaxCountLimit = 1000

func (x *Exclusions) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	share := func(name string, v *float64) {
		if v != nil && (!finite(*v) || *v < 0 || *v > 1) {
			errs.Add(name, "must be a share between 0 and 1")
		}
	}
	share("min_catch_accuracy", x.MinCatchAccuracy)
	share("max_dropped_frame_rate", x.MaxDroppedFrameRate)
	hz := func(name string, v *float64) bool {
		if v != nil && (!finite(*v) || *v < 0 || *v > 1000) {
			errs.Add(name, "must be between 0 and 1000 Hz")
			return false
		}
		return v != nil
	}
	if hz("min_refresh_hz", x.MinRefreshHz) && hz("max_refresh_hz", x.MaxRefreshHz) && *x.MinRefreshHz > *x.MaxRefreshHz {
		errs.Add("max_refresh_hz", "must be at least min_refresh_hz (%g)", *x.MinRefreshHz)
	}
	if v := x.MaxRefreshSDMS; v != nil && (!finite(*v) || *v < 0 || *v > 1000) {
		errs.Add("max_refresh_sd_ms", "must be between 0 and 1000 ms")
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"max_fullscreen_exits", x.MaxFullscreenExits}, {"max_induction_restarts", x.MaxInductionRestarts}} {
		if c.v != nil && (*c.v < 0 || *c.v > MaxCountLimit) {
			errs.Add(c.name, "must be between 0 and %d", MaxCountLimit)
		}
	}
	return errs
}

// SessionFacts are what storage knows about one session, counted from its
// screen check, events and trials. They are facts, not judgements: Judge
// applies the definition's rules to them.
type SessionFacts struct {
	Screen ScreenInfo
	// FullscreenExits counts the participant's exits from full screen during
	// the protocol; HiddenCount the times the tab was hidden.
	FullscreenExits int
	HiddenCount     int
	// InductionPauses and InductionRestarts count the induction's pauses
	// (stimulus not visible) and restarts from the beginning.
	InductionPauses   int
	InductionRestarts int
	// TestFrames and DroppedFrames are summed over the test trials.
	TestFrames    int
	DroppedFrames int
	// CatchTrials counts the answered catch trials, CatchCorrect the right ones.
	CatchTrials  int
	CatchCorrect int
}

// DroppedFrameRate is the share of test-stimulus frames dropped or late;
// NaN without measured frames (a model, or no test trial yet).
func (f SessionFacts) DroppedFrameRate() float64 {
	if f.TestFrames <= 0 {
		return math.NaN()
	}
	return float64(f.DroppedFrames) / float64(f.TestFrames)
}

// CatchAccuracy is the share of catch trials answered right; NaN without
// catch trials.
func (f SessionFacts) CatchAccuracy() float64 {
	if f.CatchTrials <= 0 {
		return math.NaN()
	}
	return float64(f.CatchCorrect) / float64(f.CatchTrials)
}

// Judged is a session's flags under the rules, each with a detail that
// says, in numbers, why (for the results page).
type Judged struct {
	Flag   string `json:"flag"`
	Detail string `json:"detail"`
}

// Judge applies the rules (nil: the defaults) to a session's facts and
// returns the broken ones, in a fixed order. A rule with nothing to judge
// (no refresh measured, no catch trial, no frame) is not broken: a model
// participant has no screen, an old version no catch trials.
func (x *Exclusions) Judge(f SessionFacts) []Judged {
	x = x.withDefaults()
	var out []Judged
	if hz := f.Screen.RefreshHz; hz > 0 {
		sd := f.Screen.RefreshSDMS
		switch {
		case hz < *x.MinRefreshHz || hz > *x.MaxRefreshHz:
			out = append(out, Judged{FlagRefresh, fmt.Sprintf("refresh rate %.1f Hz, outside %g–%g Hz", hz, *x.MinRefreshHz, *x.MaxRefreshHz)})
		case sd > *x.MaxRefreshSDMS:
			out = append(out, Judged{FlagRefresh, fmt.Sprintf("frame intervals varied by %.1f ms (SD), more than %g ms", sd, *x.MaxRefreshSDMS)})
		}
	}
	if r := f.DroppedFrameRate(); !math.IsNaN(r) && r > *x.MaxDroppedFrameRate {
		out = append(out, Judged{FlagDroppedFrames, fmt.Sprintf("%d of %d stimulus frames dropped (%.1f%%), more than %g%%",
			f.DroppedFrames, f.TestFrames, 100*r, 100**x.MaxDroppedFrameRate)})
	}
	if a := f.CatchAccuracy(); !math.IsNaN(a) && a < *x.MinCatchAccuracy {
		out = append(out, Judged{FlagCatch, fmt.Sprintf("%d of %d catch trials right (%.0f%%), fewer than %g%%",
			f.CatchCorrect, f.CatchTrials, 100*a, 100**x.MinCatchAccuracy)})
	}
	if f.FullscreenExits > *x.MaxFullscreenExits {
		out = append(out, Judged{FlagFullscreen, fmt.Sprintf("left full screen %d times, more than %d", f.FullscreenExits, *x.MaxFullscreenExits)})
	}
	if f.InductionRestarts > *x.MaxInductionRestarts {
		out = append(out, Judged{FlagInductionInterrupted, fmt.Sprintf("the induction started again %d times, more than %d",
			f.InductionRestarts, *x.MaxInductionRestarts)})
	}
	return out
}

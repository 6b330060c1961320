package experiments

import (
	"fmt"
	"math"

	"github.com/mccollough/mccollough/stimuli"
)

// Screening checks, before any test, that a participant can see the
// red–green tints the study is about and has a suitable screen: about 8% of
// men have a red–green colour-vision deficiency, for whom a McCollough study
// is meaningless. On by default.
type Screening struct {
	// Enabled: nil means the default, on.
	Enabled *bool `json:"enabled,omitempty"`
	// Levels are the |a*| of the tinted patch; each is shown once on the red
	// and once on the green side.
	Levels []float64 `json:"levels,omitempty"`
	// Patches is how many patches a trial shows; one is tinted.
	Patches int `json:"patches,omitempty"`
	// MinCorrect is how many trials must be answered right to pass.
	MinCorrect int `json:"min_correct,omitempty"`
	// MinViewport is the smallest browser window (CSS px) accepted.
	MinViewport *Viewport `json:"min_viewport,omitempty"`
	// DesktopOnly turns away touch-only devices (phones, tablets).
	DesktopOnly bool `json:"desktop_only,omitempty"`
}

// Screening defaults: 6 trials (±12, ±8, ±5 a*) among 4 patches, at most one
// mistake. Guessing passes with p = 6·(1/4)^5·(3/4) + (1/4)^6 ≈ 0.005.
var (
	DefaultScreeningLevels = []float64{12, 8, 5}
	DefaultMinViewport     = Viewport{Width: 800, Height: 600}
)

const (
	DefaultScreeningPatches = 4
	MaxScreeningLevels      = 10
	MaxScreeningPatches     = 9
)

// On reports whether the screening runs.
func (s *Screening) On() bool { return s == nil || s.Enabled == nil || *s.Enabled }

// Passmark is how many screening trials must be answered right to pass;
// 0 when the screening is off.
func (s *Screening) Passmark() int {
	if !s.On() {
		return 0
	}
	return s.withDefaults().MinCorrect
}

// withDefaults fills absent fields (only for an enabled screening).
func (s *Screening) withDefaults() *Screening {
	out := Screening{}
	if s != nil {
		out = *s
	}
	if !out.On() {
		return &out
	}
	out.Enabled = new(true)
	if out.Levels == nil {
		out.Levels = append([]float64(nil), DefaultScreeningLevels...)
	}
	if out.Patches == 0 {
		out.Patches = DefaultScreeningPatches
	}
	if out.MinCorrect == 0 {
		out.MinCorrect = max(1, 2*len(out.Levels)-1)
	}
	if out.MinViewport == nil {
		v := DefaultMinViewport
		out.MinViewport = &v
	}
	return &out
}

func (s *Screening) validate(neutralL float64) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if !s.On() {
		return errs
	}
	switch {
	case len(s.Levels) == 0:
		errs.Add("levels", "needs at least one tint level")
	case len(s.Levels) > MaxScreeningLevels:
		errs.Add("levels", "at most %d levels", MaxScreeningLevels)
	}
	lo, hi := stimuli.TintRange(neutralL)
	lightnessOK := finite(neutralL) && neutralL > 0 && neutralL < 100 // else colors.neutral_l is reported
	for i, l := range s.Levels {
		switch {
		case !finite(l) || l <= 0:
			errs.Add(fmt.Sprintf("levels[%d]", i), "must be a positive a* value")
		case lightnessOK && (l > hi || -l < lo):
			errs.Add(fmt.Sprintf("levels[%d]", i), "a* ±%g at L*=%g is outside the sRGB gamut (%.1f to %.1f)", l, neutralL, lo, hi)
		}
	}
	if s.Patches < 2 || s.Patches > MaxScreeningPatches {
		errs.Add("patches", "must be between 2 and %d", MaxScreeningPatches)
	}
	if n := 2 * len(s.Levels); s.MinCorrect < 1 || s.MinCorrect > n {
		errs.Add("min_correct", "must be between 1 and the number of trials (%d)", n)
	}
	if v := s.MinViewport; v != nil && (v.Width < 0 || v.Height < 0 || v.Width > 10000 || v.Height > 10000) {
		errs.Add("min_viewport", "width and height must be between 0 and 10000 CSS px")
	}
	return errs
}

// screeningTrials are the screening's trials: every level on both sides,
// shuffled, each with the tinted patch at a seeded position (Target).
func screeningTrials(s *Screening, seed int64, base Trial) []Trial {
	r := NewStream(seed, "screening", 0)
	var trials []Trial
	for _, l := range s.Levels {
		for _, sign := range []float64{1, -1} {
			t := base
			t.Tint = new(sign * l)
			t.Patches = s.Patches
			t.Target = new(r.IntN(s.Patches))
			trials = append(trials, t)
		}
	}
	r.Shuffle(len(trials), func(i, j int) { trials[i], trials[j] = trials[j], trials[i] })
	return trials
}

// Screening outcomes' reasons (stored as the session's status_reason).
const (
	ScreenReasonColorVision = "color_vision"
	// ScreenReasonSkipped: test answers came before every screening answer.
	ScreenReasonSkipped     = "screening_skipped"
	ScreenReasonViewport    = "viewport_too_small"
	ScreenReasonTouchDevice = "touch_device"
)

// ScreenDevice checks the participant's screen against the rules; "" means
// it is suitable, otherwise the reason.
func (s *Screening) ScreenDevice(info ScreenInfo) string {
	if !s.On() {
		return ""
	}
	s = s.withDefaults() // nil means the default screening
	if v := s.MinViewport; v != nil && info.Viewport != nil &&
		(info.Viewport.Width < v.Width || info.Viewport.Height < v.Height) {
		return ScreenReasonViewport
	}
	if s.DesktopOnly && info.Pointer == "coarse" {
		return ScreenReasonTouchDevice
	}
	return ""
}

// ScreeningPickRight reports whether a screening answer (the position of
// the patch picked) is the tinted patch, target.
func ScreeningPickRight(target int, pick float64) bool { return math.Round(pick) == float64(target) }

// HasScreening reports whether the plan screens colour vision (model
// sessions' plans do not).
func (p Plan) HasScreening() bool {
	for _, t := range p.Trials {
		if t.Method == MethodScreening {
			return true
		}
	}
	return false
}

// WaitsForScreening reports whether an answer to trial t is taken only
// once the session has passed its screening: every trial but the
// screening's own, when the plan has one. The server decides the
// screening; the runner only shows it.
func (p Plan) WaitsForScreening(t Trial) bool {
	return t.Method != MethodScreening && p.HasScreening()
}

// ScoreScreening counts the screening trials answered right (the chosen
// patch, a response's Setting, is the tinted one) and decides: passed, or
// the reason. Unanswered trials count as wrong.
func ScoreScreening(p Plan, stored []Response, minCorrect int) (correct int, passed bool) {
	answer := map[int]float64{}
	for _, r := range stored {
		if r.Setting != nil {
			answer[r.Index] = *r.Setting
		}
	}
	for _, t := range p.Trials {
		if t.Method != MethodScreening || t.Target == nil {
			continue
		}
		if a, ok := answer[t.Index]; ok && ScreeningPickRight(*t.Target, a) {
			correct++
		}
	}
	return correct, correct >= minCorrect
}

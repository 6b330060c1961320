package experiments

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/mccollough/mccollough/stimuli"
)

// Response is a participant's (or the ConvNet's) answer to one trial.
type Response struct {
	// Index is the trial index; the API takes it from the URL.
	Index int `json:"index"`
	// Tint is the tint that was shown (for adjustment: the final setting).
	Tint float64 `json:"tint"`
	// TintFromPlan: the answer did not say which tint was shown (a browser
	// is never told), so the trial's planned tint is taken (WithPlannedTint).
	TintFromPlan bool `json:"-"`
	// Response is "red" or "green" for constant stimuli and staircases, or
	// Timeout when the trial's response window passed without an answer.
	Response string `json:"response,omitempty"`
	// Setting is the null point chosen in an adjustment trial.
	Setting *float64 `json:"setting,omitempty"`
	// Input is how the answer was given: InputKey, InputClick or
	// InputTouch ("" when not reported, e.g. by the ConvNet).
	Input string `json:"input,omitempty"`
	TrialResult
}

// How a participant answered.
const (
	InputKey   = "key"
	InputClick = "click" // mouse, trackpad or pen
	InputTouch = "touch"
)

// TrialResult is the timing the runner measured for one trial (all in ms
// from the runner's clock, frames counted on requestAnimationFrame).
type TrialResult struct {
	RTMS          float64 `json:"rt_ms"`
	OnsetMS       float64 `json:"onset_ms"`
	IntendedMS    float64 `json:"intended_ms"`
	MeasuredMS    float64 `json:"measured_ms"`
	Frames        int     `json:"frames"`
	DroppedFrames int     `json:"dropped_frames"`
	// SinceInductionMS is the time from the end of the induction to the
	// pattern's onset (post-test trials), for the decay of the effect.
	SinceInductionMS *float64 `json:"since_induction_ms,omitempty"`
}

// MaxTimingMS bounds the timing fields (a day), so garbage cannot pass as data.
const MaxTimingMS = 24 * 3600 * 1000.0

// MaxFrames bounds the frame counts: a day at 1000 Hz (well inside the
// database's 32-bit integers).
const MaxFrames = int(MaxTimingMS)

// responseJSON is the wire form of a trial response: "response" is a string
// ("red"/"green") or, for adjustment, a number (the setting).
// The timing fields are spelled out rather than embedded so that type
// errors name them by their JSON path ("frames", not "TrialResult.frames").
type responseJSON struct {
	Response      json.RawMessage `json:"response"`
	Tint          *float64        `json:"tint"`
	Input         string          `json:"input"`
	RTMS          float64         `json:"rt_ms"`
	OnsetMS       float64         `json:"onset_ms"`
	IntendedMS    float64         `json:"intended_ms"`
	MeasuredMS    float64         `json:"measured_ms"`
	Frames        int             `json:"frames"`
	DroppedFrames int             `json:"dropped_frames"`
	// SinceInductionMS: post-test trials only.
	SinceInductionMS *float64 `json:"since_induction_ms"`
}

// DecodeResponse decodes the body of a trial PUT strictly: fields response
// ("red", "green", "timeout" or a number), tint (optional: the plan knows
// it; see WithPlannedTint), rt_ms, onset_ms, intended_ms, measured_ms, frames,
// dropped_frames, input ("key", "click" or "touch") and, on post-test
// trials, since_induction_ms. The
// caller sets Index from the URL and checks it with ValidateResponse.
func DecodeResponse(data []byte) (Response, error) {
	var w responseJSON
	if err := stimuli.DecodeStrict(data, &w); err != nil {
		return Response{}, asInvalid(err)
	}
	var errs stimuli.FieldErrors
	r := Response{Input: w.Input, TrialResult: TrialResult{
		RTMS: w.RTMS, OnsetMS: w.OnsetMS, IntendedMS: w.IntendedMS,
		MeasuredMS: w.MeasuredMS, Frames: w.Frames, DroppedFrames: w.DroppedFrames,
		SinceInductionMS: w.SinceInductionMS,
	}}
	raw := bytes.TrimSpace(w.Response)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		errs.Add("response", "is required: %q, %q or a number (adjustment)", Red, Green)
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &r.Response); err != nil || (r.Response != Red && r.Response != Green && r.Response != Timeout) {
			errs.Add("response", "must be %q, %q or %q", Red, Green, Timeout)
		}
	default:
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			errs.Add("response", "must be %q, %q or a number (adjustment)", Red, Green)
		} else {
			r.Setting = &v
			r.Tint = v
		}
	}
	if w.Tint != nil {
		r.Tint = *w.Tint
	}
	r.TintFromPlan = w.Tint == nil
	t := r.TrialResult
	for _, f := range []struct {
		name string
		v    float64
	}{{"rt_ms", t.RTMS}, {"onset_ms", t.OnsetMS}, {"intended_ms", t.IntendedMS}, {"measured_ms", t.MeasuredMS}} {
		if f.v < 0 || f.v > MaxTimingMS {
			errs.Add(f.name, "must be between 0 and %g", MaxTimingMS)
		}
	}
	switch r.Input {
	case "", InputKey, InputClick, InputTouch:
	default:
		errs.Add("input", "must be %q, %q or %q", InputKey, InputClick, InputTouch)
	}
	if v := t.SinceInductionMS; v != nil && (!finite(*v) || *v < 0 || *v > MaxTimingMS) {
		errs.Add("since_induction_ms", "must be between 0 and %g", MaxTimingMS)
	}
	if t.Frames < 0 || t.Frames > MaxFrames {
		errs.Add("frames", "must be between 0 and %d", MaxFrames)
	}
	if t.DroppedFrames < 0 || t.DroppedFrames > MaxFrames {
		errs.Add("dropped_frames", "must be between 0 and %d", MaxFrames)
	}
	if len(errs) > 0 {
		return Response{}, InvalidFields(errs)
	}
	return r, nil
}

// WithPlannedTint is r with the tint trial t showed when r does not say it:
// the server takes a planned (or staircase) trial's tint from the plan, so
// that a browser, which is never told the tints, need not send it. A tint
// that r does say must be that one (ValidateResponse).
func (r Response) WithPlannedTint(t Trial) Response {
	if r.TintFromPlan && t.Tint != nil {
		r.Tint, r.TintFromPlan = *t.Tint, false
	}
	return r
}

// ValidateResponse checks a response against the trial it answers: a
// red/green response for constant stimuli and staircases (with the tint
// that trial showed, within its range), a finite setting within [min, max]
// for adjustment. For a staircase, pass the trial from NextStaircaseTrial,
// whose tint the response must match.
func ValidateResponse(t Trial, r Response) error {
	var errs stimuli.FieldErrors
	lo, hi := -MaxAbsTint, MaxAbsTint
	if t.MinTint != nil {
		lo = *t.MinTint
	}
	if t.MaxTint != nil {
		hi = *t.MaxTint
	}
	if r.Index != t.Index {
		errs.Add("index", "is %d, but the trial is %d", r.Index, t.Index)
	}
	switch t.Method {
	case ConstantStimuli, Staircase:
		switch {
		case r.Response == Timeout && t.ResponseWindowMS == 0:
			errs.Add("response", "%q applies only to a trial with a response window", Timeout)
		case r.Response != Red && r.Response != Green && r.Response != Timeout:
			errs.Add("response", "must be %q or %q", Red, Green)
		}
		if r.Setting != nil {
			errs.Add("response", "must be %q or %q, not a number, for a %s trial", Red, Green, t.Method)
		}
		switch {
		case r.TintFromPlan:
			errs.Add("tint", "is required: trial %d has no planned tint", t.Index)
		case !finite(r.Tint):
			errs.Add("tint", "must be a number")
		case t.Tint != nil && math.Abs(r.Tint-*t.Tint) > tintTolerance:
			errs.Add("tint", wrongTint)
		case r.Tint < lo-tintTolerance || r.Tint > hi+tintTolerance:
			errs.Add("tint", "must be between %g and %g", lo, hi)
		}
	case MethodScreening:
		switch {
		case r.Setting == nil || *r.Setting != math.Trunc(*r.Setting) || *r.Setting < 0 || int(*r.Setting) >= t.Patches:
			errs.Add("response", "must be the chosen patch's position, 0 to %d", t.Patches-1)
		case t.Tint != nil && math.Abs(r.Tint-*t.Tint) > tintTolerance:
			errs.Add("tint", wrongTint)
		}
	case Adjustment:
		switch {
		case r.Setting == nil:
			errs.Add("response", "must be a number (the setting) for an adjustment trial")
		case !finite(*r.Setting) || *r.Setting < lo-tintTolerance || *r.Setting > hi+tintTolerance:
			errs.Add("response", "must be a setting between %g and %g", lo, hi)
		}
		if r.Response != "" {
			errs.Add("response", "must be a number, not %q, for an adjustment trial", r.Response)
		}
	default:
		return Invalidf("trial %d has unknown method %q", t.Index, t.Method)
	}
	if r.SinceInductionMS != nil && t.Phase != PhasePost {
		errs.Add("since_induction_ms", "applies only to post-test trials, not %s", t.Phase)
	}
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// wrongTint refuses a tint that is not the one the trial showed, without
// saying which one it was: a browser must not learn it by guessing.
const wrongTint = "is not the tint this trial showed: leave it out, the server knows it"

package experiments

import (
	"regexp"
	"sort"

	"github.com/mccollough/mccollough/stimuli"
)

// Session statuses.
const (
	StatusStarted   = "started"
	StatusComplete  = "complete"
	StatusAbandoned = "abandoned"
	// StatusWithdrawn: the participant withdrew; their data is deleted.
	StatusWithdrawn = "withdrawn"
	// StatusScreenedOut: the screening found the study unsuitable for them
	// (colour vision, screen); no test data is collected.
	StatusScreenedOut = "screened_out"
)

// Participant kinds: the two kinds of observer that run the same plans.
const (
	KindHuman = "human"
	KindModel = "model"
)

// ScreenInfo is what the runner measured of the participant's display.
// Nothing here identifies a person (no IP address, no user agent).
type ScreenInfo struct {
	RefreshHz        float64   `json:"refresh_hz,omitempty"`
	RefreshSDMS      float64   `json:"refresh_sd_ms,omitempty"`
	DevicePixelRatio float64   `json:"device_pixel_ratio,omitempty"`
	Viewport         *Viewport `json:"viewport,omitempty"`
	PxPerCM          float64   `json:"px_per_cm,omitempty"`
	// Pointer is the CSS media feature: "fine" (mouse) or "coarse" (touch only).
	Pointer string `json:"pointer,omitempty"`
	// ScreenSize is the whole screen's size in CSS pixels (screen.width
	// and screen.height).
	ScreenSize *Viewport `json:"screen_size,omitempty"`
}

// Device is the coarse browser and operating system a session ran on,
// derived from the User-Agent header when the session is created. The
// header itself is never stored: families and a major version describe a
// setup without helping to single anyone out.
type Device struct {
	Browser        string `json:"browser,omitempty"`         // e.g. "Chrome", "Firefox", "Safari"
	BrowserVersion int    `json:"browser_version,omitempty"` // the major version
	OS             string `json:"os,omitempty"`              // e.g. "Windows", "MacOS", "Android"
	// Type is the device type: "Desktop", "Mobile", "Tablet", "TV" or "Bot".
	Type string `json:"type,omitempty"`
}

// Viewport is the browser window's inner size in CSS pixels.
type Viewport struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Validate checks the measurements are physically plausible.
func (s ScreenInfo) Validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if !finite(s.RefreshHz) || s.RefreshHz < 0 || s.RefreshHz > 1000 {
		errs.Add("refresh_hz", "must be between 0 and 1000")
	}
	if !finite(s.RefreshSDMS) || s.RefreshSDMS < 0 || s.RefreshSDMS > 1000 {
		errs.Add("refresh_sd_ms", "must be between 0 and 1000")
	}
	if !finite(s.DevicePixelRatio) || s.DevicePixelRatio < 0 || s.DevicePixelRatio > 16 {
		errs.Add("device_pixel_ratio", "must be between 0 and 16")
	}
	for _, v := range []struct {
		name string
		size *Viewport
	}{{"viewport", s.Viewport}, {"screen_size", s.ScreenSize}} {
		if v.size == nil {
			continue
		}
		if v.size.Width < 0 || v.size.Width > 100000 {
			errs.Add(v.name+".width", "must be between 0 and 100000")
		}
		if v.size.Height < 0 || v.size.Height > 100000 {
			errs.Add(v.name+".height", "must be between 0 and 100000")
		}
	}
	if !finite(s.PxPerCM) || s.PxPerCM < 0 || s.PxPerCM > 10000 {
		errs.Add("px_per_cm", "must be between 0 and 10000")
	}
	switch s.Pointer {
	case "", "fine", "coarse", "none":
	default:
		errs.Add("pointer", `must be "fine", "coarse" or "none"`)
	}
	return errs
}

// Limits on the study link's query parameters kept with a session.
const (
	MaxParams        = 20
	MaxParamValueLen = 200
)

var paramNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidateParams checks the study link's query parameters (PROLIFIC_PID,
// STUDY_ID, SESSION_ID or any pid the recruiter adds).
func ValidateParams(params map[string]string) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if len(params) > MaxParams {
		errs.Add("params", "at most %d parameters", MaxParams)
		return errs
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !paramNameRE.MatchString(k) {
			errs.Add("params", "parameter name %q must be 1-64 letters, digits, '_', '.' or '-'", k)
		}
		if len(params[k]) > MaxParamValueLen {
			errs.Add("params."+k, "must be at most %d characters", MaxParamValueLen)
		}
	}
	return errs
}

// ParticipantRef picks the participant's identifier from the study link:
// Prolific's PROLIFIC_PID, else a generic pid/participant parameter.
func ParticipantRef(params map[string]string) string {
	for _, k := range []string{"PROLIFIC_PID", "pid", "PID", "participant", "participant_id"} {
		if v := params[k]; v != "" {
			return v
		}
	}
	return ""
}

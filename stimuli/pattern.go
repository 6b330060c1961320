// Package stimuli describes the patterns of a McCollough experiment and renders
// them. It is the one renderer: participants' browsers and the ConvNet observer
// both get their pixels from here, so "the same stimuli" is literally true.
// Pure Go, no I/O.
package stimuli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// Kind is the family of a pattern.
type Kind string

const (
	Grating      Kind = "grating"      // parallel stripes
	Circles      Kind = "circles"      // concentric rings
	Grid         Kind = "grid"         // two orthogonal line sets
	Crosses      Kind = "crosses"      // the ±45° line lattice
	Radial       Kind = "radial"       // spokes from the centre
	Checkerboard Kind = "checkerboard" // alternating squares
)

// Kinds lists every pattern kind, in a stable order.
var Kinds = []Kind{Grating, Circles, Grid, Crosses, Radial, Checkerboard}

// Oriented reports whether turning a pattern of kind k changes it: every
// kind but concentric circles (a radial pattern's orientation turns its
// spokes).
func (k Kind) Oriented() bool { return k != Circles }

// Waveform is the luminance profile across one period.
type Waveform string

const (
	Square Waveform = "square" // hard (anti-aliased) edges
	Sine   Waveform = "sine"   // smooth sinusoidal modulation
)

// Limits of a pattern spec. They keep specs renderable and meaningful.
const (
	MinPeriodPx = 2.0
	MaxPeriodPx = 4096.0
	MaxSpokes   = 360
)

// Pattern is the spec of one achromatic pattern: where it is "on" (light) and
// where it is "off" (dark). Colour is applied separately (see Stimulus).
type Pattern struct {
	Kind Kind `json:"kind"`
	// OrientationDeg rotates the pattern counter-clockwise; 0 is horizontal
	// stripes for a grating. Always 0 for kinds that have no orientation
	// (WithDefaults clears it).
	OrientationDeg float64 `json:"orientation_deg"`
	// PeriodPx is the distance from one light stripe (ring, line, square) to
	// the next, in pixels at the stimulus' reference size.
	PeriodPx float64 `json:"period_px"`
	// Duty is the fraction of each period that is light (0..1, exclusive).
	// It shapes square waveforms only (a sine is half light on average).
	// A checkerboard is light where both axes are "on" or both "off", so its
	// light fraction is duty²+(1−duty)²; radial spokes are duty of the turn.
	Duty     float64  `json:"duty"`
	Waveform Waveform `json:"waveform"`
	// Phase shifts the pattern by this fraction of a period (0..1).
	Phase float64 `json:"phase"`
	// Spokes is the number of light spokes of a radial pattern.
	Spokes int `json:"spokes,omitempty"`
	// LineWidthPx is the width of the light lines of a grid or crosses
	// pattern; when zero it is Duty × PeriodPx.
	LineWidthPx float64 `json:"line_width_px,omitempty"`
}

// WithDefaults fills unset fields with the conventional values: square wave,
// duty 0.5, period 26 px (the classic test grating), 16 spokes for radial.
// It clears the orientation of a kind that has none, so that a stored spec
// carrying one still loads, draws the same image and has the same key as
// the spec without it.
func (p Pattern) WithDefaults() Pattern {
	if !p.Kind.Oriented() {
		p.OrientationDeg = 0
	}
	if p.Waveform == "" {
		p.Waveform = Square
	}
	if p.Duty == 0 {
		p.Duty = 0.5
	}
	if p.PeriodPx == 0 {
		p.PeriodPx = 26
	}
	if p.Kind == Radial && p.Spokes == 0 {
		p.Spokes = 16
	}
	return p
}

// Validate reports every out-of-range or inconsistent field; field paths are
// the JSON names.
func (p Pattern) Validate() FieldErrors {
	var errs FieldErrors
	switch p.Kind {
	case Grating, Circles, Grid, Crosses, Radial, Checkerboard:
	case "":
		errs.Add("kind", "is required (one of %s)", kindList())
	default:
		errs.Add("kind", "unknown kind %q (one of %s)", p.Kind, kindList())
	}
	if !finite(p.OrientationDeg) || p.OrientationDeg < -360 || p.OrientationDeg > 360 {
		errs.Add("orientation_deg", "must be between -360 and 360")
	}
	if !finite(p.PeriodPx) || p.PeriodPx < MinPeriodPx || p.PeriodPx > MaxPeriodPx {
		errs.Add("period_px", "must be between %g and %g", MinPeriodPx, MaxPeriodPx)
	}
	if !finite(p.Duty) || p.Duty <= 0 || p.Duty >= 1 {
		errs.Add("duty", "must be greater than 0 and less than 1")
	}
	switch p.Waveform {
	case Square, Sine:
	default:
		errs.Add("waveform", "must be %q or %q", Square, Sine)
	}
	if !finite(p.Phase) || p.Phase < 0 || p.Phase > 1 {
		errs.Add("phase", "must be between 0 and 1")
	}
	switch {
	case p.Kind == Radial && (p.Spokes < 2 || p.Spokes > MaxSpokes):
		errs.Add("spokes", "must be between 2 and %d", MaxSpokes)
	case p.Kind != Radial && p.Spokes != 0:
		errs.Add("spokes", "applies only to kind %q", Radial)
	}
	switch {
	case !finite(p.LineWidthPx) || p.LineWidthPx < 0:
		errs.Add("line_width_px", "must be 0 (use duty) or positive")
	case p.LineWidthPx != 0 && p.Kind != Grid && p.Kind != Crosses:
		errs.Add("line_width_px", "applies only to kinds %q and %q", Grid, Crosses)
	case p.LineWidthPx != 0 && finite(p.PeriodPx) && p.LineWidthPx >= p.PeriodPx:
		errs.Add("line_width_px", "must be less than period_px")
	}
	return errs
}

// ParsePattern decodes a JSON pattern spec strictly (unknown fields and
// trailing data are errors), fills defaults and validates it.
func ParsePattern(data []byte) (Pattern, error) {
	var p Pattern
	if err := DecodeStrict(data, &p); err != nil {
		return Pattern{}, err
	}
	p = p.WithDefaults()
	if errs := p.Validate(); len(errs) > 0 {
		return Pattern{}, errs
	}
	return p, nil
}

// DecodeStrict decodes one JSON value into v, rejecting unknown fields,
// wrong types, trailing data and text the database cannot store
// (CheckJSONText) with a FieldErrors naming the field.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		err = jsonFieldError(err)
		// encoding/json names an unknown key without its parents; find
		// its full path so "pattern.foo" and "morph_to.foo" differ.
		var fe FieldErrors
		if errors.As(err, &fe) && len(fe) == 1 && fe[0].Message == "unknown field" {
			if path, ok := unknownFieldPath(data, reflect.TypeOf(v)); ok {
				fe[0].Field = path
			}
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return FieldErrors{{Field: "", Message: "unexpected data after the JSON value"}}
	}
	if errs := CheckJSONText(data); len(errs) > 0 {
		return errs
	}
	return nil
}

// jsonFieldError turns encoding/json's errors into a FieldErrors that names
// the offending field where json tells it.
func jsonFieldError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return FieldErrors{{Field: typeErr.Field, Message: fmt.Sprintf("must be of type %s, not %s", typeErr.Type, typeErr.Value)}}
	case errors.As(err, &syntaxErr):
		return FieldErrors{{Field: "", Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err)}}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return FieldErrors{{Field: "", Message: "empty or truncated JSON"}}
	}
	msg := err.Error()
	const unknown = "json: unknown field "
	if len(msg) > len(unknown) && msg[:len(unknown)] == unknown {
		name := msg[len(unknown):]
		if len(name) >= 2 && name[0] == '"' {
			name = name[1 : len(name)-1]
		}
		return FieldErrors{{Field: name, Message: "unknown field"}}
	}
	return FieldErrors{{Field: "", Message: "invalid JSON: " + msg}}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func kindList() string {
	s := ""
	for i, k := range Kinds {
		if i > 0 {
			s += ", "
		}
		s += string(k)
	}
	return s
}

package stimuli

import "math"

// Stimulus is everything that decides the pixels of one image: the pattern
// (optionally morphed towards a second one), its colours and the aperture.
// Render(s, size) is a pure function of it.
type Stimulus struct {
	Pattern Pattern `json:"pattern"`
	// MorphTo, when set, blends Pattern's modulation with MorphTo's:
	// Morph 0 is Pattern, 1 is MorphTo (see Render).
	MorphTo *Pattern `json:"morph_to,omitempty"`
	Morph   float64  `json:"morph,omitempty"`

	// Dark is the sRGB hex colour of the "off" parts.
	Dark string `json:"dark"`
	// Light is the sRGB hex colour of the "on" parts during induction. When
	// empty, the on parts are a neutral grey of CIELAB lightness NeutralL
	// shifted along a* by Tint (the test stimuli).
	Light    string  `json:"light,omitempty"`
	NeutralL float64 `json:"neutral_l,omitempty"`
	Tint     float64 `json:"tint,omitempty"`

	Aperture Aperture `json:"aperture"`
	// RefSizePx is the size the pattern's lengths are given at; rendering
	// at another size scales them so cycles per image stay the same.
	// Zero means "the render size".
	RefSizePx int `json:"ref_size_px,omitempty"`
}

// ApertureShape is the outline through which the pattern is seen.
type ApertureShape string

const (
	Circle     ApertureShape = "circle"
	SquareArea ApertureShape = "square"
)

// Aperture hides the image border (whose orientation would otherwise be a
// cue) behind a soft edge onto a neutral background.
type Aperture struct {
	Shape ApertureShape `json:"shape"`
	// EdgePx is the width of the raised-cosine soft edge, at RefSizePx;
	// 0 (with an explicit shape) is a hard edge anti-aliased over one pixel.
	// The circle's diameter and the square's side are the image size.
	EdgePx float64 `json:"edge_px"`
	// Background is the sRGB hex colour outside the aperture (default: see
	// Stimulus.WithDefaults).
	Background string `json:"background"`
}

// Defaults and limits of a Stimulus.
const (
	DefaultNeutralL = 82.0      // CIELAB L* of the light stripes of a test stimulus
	DefaultDark     = "#0c0c0e" // the dark stripes: near black, as in the literature
	// DefaultEdgeFrac is the soft aperture edge as a fraction of RefSizePx.
	DefaultEdgeFrac = 0.04
	// DefaultEdgePx is the soft edge when RefSizePx is 0 (lengths are then
	// in render pixels): about 3% of a typical 512-px stimulus.
	DefaultEdgePx = 16.0
	MaxSizePx     = 8192  // largest render size and RefSizePx
	MaxTintAbs    = 200.0 // |tint| beyond this is never in gamut; checked before the gamut
)

// WithDefaults fills unset fields and normalises spellings, so that two
// specs that mean the same image are equal (see Canonical):
//   - pattern (and morph_to) defaults as Pattern.WithDefaults; morph_to
//     inherits pattern's waveform when it gives none;
//   - morph 0 drops morph_to (the image is pattern alone);
//   - neutral_l 82, dark #0c0c0e, hex colours as lower-case #rrggbb;
//   - an aperture without a shape becomes a circle and, if edge_px is 0, gets
//     a soft edge of 4% of ref_size_px (16 px when ref_size_px is 0). Give a
//     shape explicitly to choose edge_px 0 (a hard, anti-aliased edge);
//   - background: the mean, in linear light, of dark and the untinted neutral
//     light — the average colour of a 0.5-duty neutral grating, so the
//     surround adds no luminance step and is the same for every stimulus of
//     an experiment.
func (s Stimulus) WithDefaults() Stimulus {
	s.Pattern = s.Pattern.WithDefaults()
	if s.Morph == 0 {
		s.MorphTo = nil
	}
	if s.MorphTo != nil {
		m := *s.MorphTo
		if m.Waveform == "" {
			m.Waveform = s.Pattern.Waveform
		}
		m = m.WithDefaults()
		s.MorphTo = &m
	}
	if s.NeutralL == 0 {
		s.NeutralL = DefaultNeutralL
	}
	if s.Dark == "" {
		s.Dark = DefaultDark
	}
	s.Dark = normHexOrKeep(s.Dark)
	s.Light = normHexOrKeep(s.Light)
	if s.Aperture.Shape == "" {
		s.Aperture.Shape = Circle
		if s.Aperture.EdgePx == 0 {
			s.Aperture.EdgePx = DefaultEdgePx
			if s.RefSizePx > 0 {
				s.Aperture.EdgePx = DefaultEdgeFrac * float64(s.RefSizePx)
			}
		}
	}
	if s.Aperture.Background == "" {
		if bg, ok := defaultBackground(s.Dark, s.NeutralL); ok {
			s.Aperture.Background = bg
		}
	}
	s.Aperture.Background = normHexOrKeep(s.Aperture.Background)
	return s
}

func normHexOrKeep(s string) string {
	if n, ok := normHex(s); ok {
		return n
	}
	return s
}

// Validate reports every invalid field with its JSON path (pattern.period_px,
// morph_to.kind, tint, aperture.shape...). Call it on s.WithDefaults():
// fields that have defaults are required here.
func (s Stimulus) Validate() FieldErrors {
	errs := s.Pattern.Validate().Prefixed("pattern")
	switch {
	case !finite(s.Morph) || s.Morph < 0 || s.Morph > 1:
		errs.Add("morph", "must be between 0 and 1")
	case s.Morph > 0 && s.MorphTo == nil:
		errs.Add("morph_to", "is required when morph > 0")
	}
	if s.MorphTo != nil {
		errs = append(errs, s.MorphTo.Validate().Prefixed("morph_to")...)
		if s.MorphTo.Waveform != s.Pattern.Waveform {
			errs.Add("morph_to.waveform", "must equal pattern.waveform (%q)", s.Pattern.Waveform)
		}
	}
	darkOK := checkHex(&errs, "dark", s.Dark, true)
	if s.Light != "" {
		checkHex(&errs, "light", s.Light, false)
	}
	lOK := finite(s.NeutralL) && s.NeutralL > 0 && s.NeutralL <= 100
	if !lOK {
		errs.Add("neutral_l", "must be greater than 0 and at most 100")
	}
	switch {
	case !finite(s.Tint) || math.Abs(s.Tint) > MaxTintAbs:
		errs.Add("tint", "must be between %g and %g", -MaxTintAbs, MaxTintAbs)
	case s.Light != "" && s.Tint != 0:
		errs.Add("tint", "applies only when light is empty (a test stimulus)")
	case s.Light == "" && lOK:
		if _, err := TintColor(s.NeutralL, s.Tint); err != nil {
			errs.Add("tint", "%s", err.Error())
		}
	}
	switch s.Aperture.Shape {
	case Circle, SquareArea:
	case "":
		errs.Add("aperture.shape", "is required (%q or %q)", Circle, SquareArea)
	default:
		errs.Add("aperture.shape", "unknown shape %q (%q or %q)", s.Aperture.Shape, Circle, SquareArea)
	}
	maxEdge := float64(MaxSizePx) / 2
	if s.RefSizePx > 0 {
		maxEdge = float64(s.RefSizePx) / 2
	}
	if e := s.Aperture.EdgePx; !finite(e) || e < 0 || e > maxEdge {
		errs.Add("aperture.edge_px", "must be between 0 and %g (half the reference size)", maxEdge)
	}
	// An empty background that WithDefaults could not fill is the fault of
	// dark (or neutral_l), already reported.
	if s.Aperture.Background != "" || darkOK && lOK {
		checkHex(&errs, "aperture.background", s.Aperture.Background, true)
	}
	if s.RefSizePx < 0 || s.RefSizePx > MaxSizePx {
		errs.Add("ref_size_px", "must be 0 (the render size) or between 1 and %d", MaxSizePx)
	}
	return errs
}

// checkHex reports field unless v is a valid hex colour; it says whether v is.
func checkHex(errs *FieldErrors, field, v string, required bool) bool {
	if v == "" {
		if required {
			errs.Add(field, "is required (an sRGB hex colour like #808080)")
		}
		return false
	}
	if _, ok := normHex(v); !ok {
		errs.Add(field, "%q is not an sRGB hex colour (#rrggbb)", v)
		return false
	}
	return true
}

// ParseStimulus decodes a JSON stimulus strictly (unknown fields and
// trailing data are errors), fills defaults and validates it.
func ParseStimulus(data []byte) (Stimulus, error) {
	var s Stimulus
	if err := DecodeStrict(data, &s); err != nil {
		return Stimulus{}, err
	}
	s = s.WithDefaults()
	if errs := s.Validate(); len(errs) > 0 {
		return Stimulus{}, errs
	}
	return s, nil
}

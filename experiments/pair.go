package experiments

import (
	"strings"
	"unicode/utf8"

	"github.com/mccollough/mccollough/stimuli"
)

// PatternPair is a researcher's named pair of induction patterns, with the
// induction colours an experiment made from it starts with.
type PatternPair struct {
	Name   string          `json:"name"`
	A      stimuli.Pattern `json:"a"`
	B      stimuli.Pattern `json:"b"`
	Colors *Colors         `json:"colors,omitempty"`
}

// WithDefaults fills the patterns' and colours' defaults.
func (p PatternPair) WithDefaults() PatternPair {
	p.A, p.B = p.A.WithDefaults(), p.B.WithDefaults()
	c := Colors{}
	if p.Colors != nil {
		c = *p.Colors
	}
	c = c.withDefaults()
	p.Colors = &c
	p.Name = strings.TrimSpace(p.Name)
	return p
}

// Validate reports every problem with JSON paths (a.period_px, colors.red).
func (p PatternPair) Validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	switch {
	case p.Name == "":
		errs.Add("name", "is required")
	case stimuli.TextProblem(p.Name) != "":
		errs.Add("name", "%s", stimuli.TextProblem(p.Name))
	case utf8.RuneCountInString(p.Name) > MaxNameRunes:
		errs.Add("name", "must be at most %d characters", MaxNameRunes)
	}
	errs = append(errs, p.A.Validate().Prefixed("a")...)
	errs = append(errs, p.B.Validate().Prefixed("b")...)
	if p.Colors != nil {
		errs = append(errs, p.Colors.validate().Prefixed("colors")...)
	}
	return errs
}

// ParsePatternPair decodes a pair strictly, fills defaults and validates.
func ParsePatternPair(data []byte) (PatternPair, error) {
	var p PatternPair
	if err := stimuli.DecodeStrict(data, &p); err != nil {
		return PatternPair{}, asInvalid(err)
	}
	p = p.WithDefaults()
	if errs := p.Validate(); len(errs) > 0 {
		return PatternPair{}, InvalidFields(errs)
	}
	return p, nil
}

// FromPair is a new definition with the classic protocol on a stored pair:
// its patterns and colours, the given slug and name.
func FromPair(slug, name string, p PatternPair) Definition {
	d := Classic()
	d.Slug, d.Name = slug, name
	d.Pair = &Pair{A: p.A, B: p.B}
	if p.Colors != nil {
		d.Colors = *p.Colors
	}
	// The classic control is a 45° grating like A; for other pairs it may
	// share B's orientation, so the researcher chooses controls explicitly.
	if p.A.Kind != stimuli.Grating || p.B.Kind != stimuli.Grating {
		d.Test.ExtraPatterns = []ExtraPattern{}
	}
	return d.WithDefaults()
}

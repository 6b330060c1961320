package stimuli

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// fieldsOf returns the field paths named by err (a FieldErrors).
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not FieldErrors", err, err)
	}
	var out []string
	for _, e := range fe {
		out = append(out, e.Field)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestParseStimulusInvalidFields(t *testing.T) {
	for _, tc := range []struct {
		json  string
		field string
	}{
		{`{"pattern":{}}`, "pattern.kind"},
		{`{"pattern":{"kind":"spiral"}}`, "pattern.kind"},
		{`{"pattern":{"kind":"grating","period_px":1}}`, "pattern.period_px"},
		{`{"pattern":{"kind":"grating","period_px":5000}}`, "pattern.period_px"},
		{`{"pattern":{"kind":"grating","period_px":-3}}`, "pattern.period_px"},
		{`{"pattern":{"kind":"grating","duty":1}}`, "pattern.duty"},
		{`{"pattern":{"kind":"grating","duty":-0.1}}`, "pattern.duty"},
		{`{"pattern":{"kind":"grating","waveform":"triangle"}}`, "pattern.waveform"},
		{`{"pattern":{"kind":"grating","phase":1.5}}`, "pattern.phase"},
		{`{"pattern":{"kind":"grating","orientation_deg":400}}`, "pattern.orientation_deg"},
		{`{"pattern":{"kind":"grating","spokes":8}}`, "pattern.spokes"},
		{`{"pattern":{"kind":"radial","spokes":1}}`, "pattern.spokes"},
		{`{"pattern":{"kind":"radial","spokes":1000}}`, "pattern.spokes"},
		{`{"pattern":{"kind":"grating","line_width_px":3}}`, "pattern.line_width_px"},
		{`{"pattern":{"kind":"grid","line_width_px":-3}}`, "pattern.line_width_px"},
		{`{"pattern":{"kind":"grid","period_px":20,"line_width_px":20}}`, "pattern.line_width_px"},
		{`{"pattern":{"kind":"grating"},"morph":0.5}`, "morph_to"},
		{`{"pattern":{"kind":"grating"},"morph":1.5,"morph_to":{"kind":"circles"}}`, "morph"},
		{`{"pattern":{"kind":"grating"},"morph":-0.5,"morph_to":{"kind":"circles"}}`, "morph"},
		{`{"pattern":{"kind":"grating"},"morph":0.5,"morph_to":{"kind":"blob"}}`, "morph_to.kind"},
		{`{"pattern":{"kind":"grating"},"morph":0.5,"morph_to":{"kind":"circles","period_px":1}}`, "morph_to.period_px"},
		{`{"pattern":{"kind":"grating"},"morph":0.5,"morph_to":{"kind":"circles","waveform":"sine"}}`, "morph_to.waveform"},
		{`{"pattern":{"kind":"grating"},"dark":"black"}`, "dark"},
		{`{"pattern":{"kind":"grating"},"dark":"#12345"}`, "dark"},
		{`{"pattern":{"kind":"grating"},"light":"#xyzxyz"}`, "light"},
		{`{"pattern":{"kind":"grating"},"light":"#ce2e2e","tint":5}`, "tint"},
		{`{"pattern":{"kind":"grating"},"tint":80}`, "tint"},
		{`{"pattern":{"kind":"grating"},"tint":-90}`, "tint"},
		{`{"pattern":{"kind":"grating"},"tint":1e300}`, "tint"},
		{`{"pattern":{"kind":"grating"},"neutral_l":101}`, "neutral_l"},
		{`{"pattern":{"kind":"grating"},"neutral_l":-5}`, "neutral_l"},
		{`{"pattern":{"kind":"grating"},"aperture":{"shape":"hexagon"}}`, "aperture.shape"},
		{`{"pattern":{"kind":"grating"},"aperture":{"shape":"circle","edge_px":-1}}`, "aperture.edge_px"},
		{`{"pattern":{"kind":"grating"},"ref_size_px":512,"aperture":{"shape":"circle","edge_px":300}}`, "aperture.edge_px"},
		{`{"pattern":{"kind":"grating"},"aperture":{"background":"grey"}}`, "aperture.background"},
		{`{"pattern":{"kind":"grating"},"ref_size_px":-1}`, "ref_size_px"},
		{`{"pattern":{"kind":"grating"},"ref_size_px":100000}`, "ref_size_px"},
		// decoding errors name the field too
		{`{"pattern":{"kind":"grating"},"colour":"#fff"}`, "colour"},
		{`{"pattern":{"kind":"grating","perod_px":20}}`, "pattern.perod_px"},
		{`{"pattern":{"kind":"grating"},"morph":0.5,"morph_to":{"kind":"circles","x":1}}`, "morph_to.x"},
		{`{"pattern":{"kind":"grating"},"aperture":{"shape":"circle","radius":3}}`, "aperture.radius"},
		{`{"pattern":{"kind":"grating","period_px":"26"}}`, "pattern.period_px"},
		{`{"pattern":{"kind":"grating"},"ref_size_px":1.5}`, "ref_size_px"},
		{`{"pattern":{"kind":"grating"},"tint":"red"}`, "tint"},
		{`{"pattern":{"kind":"grating"}} {}`, ""},
		{`{"pattern":`, ""},
		{``, ""},
		{`[1,2]`, ""},
	} {
		_, err := ParseStimulus([]byte(tc.json))
		if err == nil {
			t.Errorf("%s: accepted", tc.json)
			continue
		}
		if got := fieldsOf(t, err); !contains(got, tc.field) {
			t.Errorf("%s: error %v names %q, want %q", tc.json, err, got, tc.field)
		}
	}
}

func TestOutOfGamutTintMessage(t *testing.T) {
	_, err := ParseStimulus([]byte(`{"pattern":{"kind":"grating"},"tint":80}`))
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 {
		t.Fatalf("error %v", err)
	}
	if want := (FieldError{Field: "tint", Message: "a*=80 at L*=82 is outside the sRGB gamut"}); fe[0] != want {
		t.Errorf("got %+v, want %+v", fe[0], want)
	}
}

func TestValidateCollectsAll(t *testing.T) {
	s := Stimulus{
		Pattern:  Pattern{Kind: "x", PeriodPx: 1, Duty: 2, Waveform: "w", Phase: 2},
		Dark:     "nope",
		Tint:     math.NaN(),
		NeutralL: 82,
		Aperture: Aperture{Shape: "oval", EdgePx: -1, Background: "#fff"},
	}
	got := fieldsOf(t, s.Validate())
	for _, f := range []string{"pattern.kind", "pattern.period_px", "pattern.duty", "pattern.waveform", "pattern.phase", "dark", "tint", "aperture.shape", "aperture.edge_px"} {
		if !contains(got, f) {
			t.Errorf("missing %s in %v", f, got)
		}
	}
}

func TestParseStimulusValid(t *testing.T) {
	for _, js := range []string{
		`{"pattern":{"kind":"grating"}}`,
		`{"pattern":{"kind":"grating","orientation_deg":90,"period_px":30},"light":"#CE2E2E"}`,
		`{"pattern":{"kind":"circles"},"tint":-12.5,"neutral_l":70}`,
		`{"pattern":{"kind":"radial"},"aperture":{"shape":"square","edge_px":0,"background":"#000"}}`,
		`{"pattern":{"kind":"grid","line_width_px":4},"morph":0.3,"morph_to":{"kind":"crosses"}}`,
		`{"pattern":{"kind":"checkerboard","waveform":"sine"},"morph":1,"morph_to":{"kind":"grating"}}`,
		`{"pattern":{"kind":"grating"},"morph_to":{"kind":"circles"}}`,
		`{"pattern":{"kind":"grating"},"ref_size_px":512}`,
	} {
		s, err := ParseStimulus([]byte(js))
		if err != nil {
			t.Errorf("%s: %v", js, err)
			continue
		}
		if errs := s.Validate(); len(errs) > 0 {
			t.Errorf("%s: parsed stimulus does not validate: %v", js, errs)
		}
		if s.WithDefaults().Canonical() == nil || string(s.Canonical()) != string(s.WithDefaults().Canonical()) {
			t.Errorf("%s: WithDefaults not idempotent under Canonical", js)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Grating}}.WithDefaults()
	if s.NeutralL != 82 || s.Dark != "#0c0c0e" || s.Aperture.Shape != Circle || s.Aperture.EdgePx != DefaultEdgePx {
		t.Errorf("defaults: %+v", s)
	}
	if s.Pattern.PeriodPx != 26 || s.Pattern.Duty != 0.5 || s.Pattern.Waveform != Square {
		t.Errorf("pattern defaults: %+v", s.Pattern)
	}
	if bg, _ := defaultBackground("#0c0c0e", 82); s.Aperture.Background != bg || !strings.HasPrefix(bg, "#") {
		t.Errorf("background %q, want %q", s.Aperture.Background, bg)
	}
	if s := (Stimulus{RefSizePx: 500}).WithDefaults(); s.Aperture.EdgePx != 20 {
		t.Errorf("edge at ref 500: %g, want 4%% = 20", s.Aperture.EdgePx)
	}
	// An explicit shape keeps an explicit zero edge.
	if s := (Stimulus{Aperture: Aperture{Shape: SquareArea}}).WithDefaults(); s.Aperture.EdgePx != 0 {
		t.Errorf("explicit square: edge %g, want 0", s.Aperture.EdgePx)
	}
	// A shapeless aperture with an edge keeps its edge.
	if s := (Stimulus{Aperture: Aperture{EdgePx: 7}}).WithDefaults(); s.Aperture.EdgePx != 7 || s.Aperture.Shape != Circle {
		t.Errorf("edge 7: %+v", s.Aperture)
	}
	// morph_to inherits the waveform; morph 0 drops morph_to.
	m := Stimulus{Pattern: Pattern{Kind: Grating, Waveform: Sine}, MorphTo: &Pattern{Kind: Circles}, Morph: 0.5}.WithDefaults()
	if m.MorphTo.Waveform != Sine || m.MorphTo.PeriodPx != 26 {
		t.Errorf("morph_to defaults: %+v", *m.MorphTo)
	}
	if m := (Stimulus{MorphTo: &Pattern{Kind: Circles}}).WithDefaults(); m.MorphTo != nil {
		t.Error("morph 0 kept morph_to")
	}
	// Hex colours are normalised.
	h := Stimulus{Dark: "#ABC", Light: "#CE2E2E", Aperture: Aperture{Background: "#FfF"}}.WithDefaults()
	if h.Dark != "#aabbcc" || h.Light != "#ce2e2e" || h.Aperture.Background != "#ffffff" {
		t.Errorf("hex not normalised: %q %q %q", h.Dark, h.Light, h.Aperture.Background)
	}
	// WithDefaults does not modify the caller's MorphTo.
	mt := &Pattern{Kind: Circles}
	_ = Stimulus{Pattern: Pattern{Kind: Grating}, MorphTo: mt, Morph: 0.5}.WithDefaults()
	if mt.PeriodPx != 0 || mt.Waveform != "" {
		t.Errorf("caller's morph_to modified: %+v", *mt)
	}
}

func TestUnknownFieldPath(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	type embedded struct {
		E int `json:"e"`
	}
	type doc struct {
		embedded
		In    inner            `json:"in"`
		List  []inner          `json:"list"`
		Map   map[string]inner `json:"map"`
		Ptr   *inner           `json:"ptr"`
		Plain int
		Skip  int `json:"-"`
	}
	for _, tc := range []struct{ json, want string }{
		{`{"in":{"a":1,"b":2}}`, "in.b"},
		{`{"list":[{"a":1},{"c":1}]}`, "list[1].c"},
		{`{"map":{"k":{"d":1}}}`, "map.k.d"},
		{`{"ptr":{"a":1,"z":1}}`, "ptr.z"},
		{`{"e":1,"Plain":2,"plain":3,"IN":{"q":1}}`, "IN.q"},
		{`{"Skip":1}`, "Skip"},
		{`{"in":{"a":1},"zz":[1,{"y":2}]}`, "zz"},
	} {
		var d doc
		err := DecodeStrict([]byte(tc.json), &d)
		if err == nil {
			t.Errorf("%s: accepted", tc.json)
			continue
		}
		if got := fieldsOf(t, err); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: fields %q, want %q", tc.json, got, tc.want)
		}
	}
}

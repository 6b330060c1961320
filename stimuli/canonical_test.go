package stimuli

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

func TestCanonicalEquivalentSpellings(t *testing.T) {
	base := Stimulus{Pattern: Pattern{Kind: Grating}}
	for _, tc := range []struct {
		name string
		s    Stimulus
	}{
		{"explicit defaults", Stimulus{
			Pattern:  Pattern{Kind: Grating, PeriodPx: 26, Duty: 0.5, Waveform: Square},
			NeutralL: 82, Dark: "#0C0C0E",
			Aperture: Aperture{Shape: Circle, EdgePx: DefaultEdgePx, Background: base.WithDefaults().Aperture.Background},
		}},
		{"negative zero", Stimulus{Pattern: Pattern{Kind: Grating, OrientationDeg: math.Copysign(0, -1), Phase: math.Copysign(0, -1)}, Tint: math.Copysign(0, -1)}},
		{"morph_to with morph 0", Stimulus{Pattern: Pattern{Kind: Grating}, MorphTo: &Pattern{Kind: Circles}}},
		{"short hex", Stimulus{Pattern: Pattern{Kind: Grating}, Dark: "#0c0c0e"}},
	} {
		if got, want := string(tc.s.Canonical()), string(base.Canonical()); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
		if Key(tc.s, 512) != Key(base, 512) {
			t.Errorf("%s: keys differ", tc.name)
		}
	}
	if strings.Contains(string(base.Canonical()), "-0") {
		t.Errorf("canonical contains -0: %s", base.Canonical())
	}
}

// TestOrientationOfUnorientedKinds: turning concentric circles changes
// nothing, so a circles spec carries no orientation: one stored with one
// still parses, draws the same pixels and has the key of the spec without.
func TestOrientationOfUnorientedKinds(t *testing.T) {
	for _, k := range Kinds {
		plain := Stimulus{Pattern: Pattern{Kind: k}}
		turned := Stimulus{Pattern: Pattern{Kind: k, OrientationDeg: 30}}
		parsed, err := ParseStimulus([]byte(`{"pattern": {"kind": "` + string(k) + `", "orientation_deg": 30}}`))
		if err != nil {
			t.Fatalf("%s: a stored spec with an orientation does not parse: %v", k, err)
		}
		a, err := RenderPNG(plain.WithDefaults(), 64)
		if err != nil {
			t.Fatal(err)
		}
		b, err := RenderPNG(turned.WithDefaults(), 64)
		if err != nil {
			t.Fatal(err)
		}
		samePixels := string(a) == string(b)
		sameKey := Key(turned, 64) == Key(plain, 64) && Key(parsed, 64) == Key(plain, 64)
		if k.Oriented() {
			if samePixels || sameKey || parsed.Pattern.OrientationDeg != 30 {
				t.Errorf("%s: the orientation is lost (same pixels %v, same key %v, parsed %g)", k, samePixels, sameKey, parsed.Pattern.OrientationDeg)
			}
			continue
		}
		if !samePixels {
			t.Errorf("%s: the orientation changes the image, yet the kind counts as unoriented", k)
		}
		if !sameKey || parsed.Pattern.OrientationDeg != 0 || turned.WithDefaults().Pattern.OrientationDeg != 0 {
			t.Errorf("%s: the unused orientation is kept (same key %v, parsed %g)", k, sameKey, parsed.Pattern.OrientationDeg)
		}
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, s := range determinismSet() {
		c := s.Canonical()
		p, err := ParseStimulus(c)
		if err != nil {
			t.Fatalf("canonical %s does not parse: %v", c, err)
		}
		if string(p.Canonical()) != string(c) {
			t.Errorf("round trip changed\n%s\n%s", c, p.Canonical())
		}
		if !json.Valid(c) {
			t.Errorf("invalid JSON %s", c)
		}
	}
}

func TestCanonicalFieldOrderStable(t *testing.T) {
	c := string(Stimulus{Pattern: Pattern{Kind: Radial}, Tint: 3, RefSizePx: 512}.Canonical())
	want := `{"pattern":{"kind":"radial","orientation_deg":0,"period_px":26,"duty":0.5,"waveform":"square","phase":0,"spokes":16},"dark":"#0c0c0e","neutral_l":82,"tint":3,"aperture":{"shape":"circle","edge_px":20.48,"background":"#969696"},"ref_size_px":512}`
	if c != want {
		t.Errorf("canonical\n got %s\nwant %s", c, want)
	}
}

func TestKey(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Grating}, Tint: 2}
	k := Key(s, 512)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k) {
		t.Fatalf("key %q", k)
	}
	if Key(s, 512) != k {
		t.Error("key not stable")
	}
	seen := map[string]string{k: "base"}
	for name, other := range map[string]string{
		"size":  Key(s, 256),
		"tint":  Key(Stimulus{Pattern: Pattern{Kind: Grating}, Tint: 2.0001}, 512),
		"kind":  Key(Stimulus{Pattern: Pattern{Kind: Circles}, Tint: 2}, 512),
		"phase": Key(Stimulus{Pattern: Pattern{Kind: Grating, Phase: 0.5}, Tint: 2}, 512),
	} {
		if prev, dup := seen[other]; dup {
			t.Errorf("%s has the same key as %s", name, prev)
		}
		seen[other] = name
	}
	// Non-finite values (impossible from JSON) still give a key.
	if k := Key(Stimulus{Tint: math.NaN()}, 8); len(k) != 32 {
		t.Errorf("NaN key %q", k)
	}
}

func TestCanonicalNonFiniteIsStable(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Grating}, Tint: math.Inf(1), MorphTo: &Pattern{Kind: Circles}, Morph: 0.5}
	a, b := string(s.Canonical()), string(s.Canonical())
	c := Stimulus{Pattern: Pattern{Kind: Grating}, Tint: math.Inf(1), MorphTo: &Pattern{Kind: Circles}, Morph: 0.5}.Canonical()
	if a != b || a != string(c) || strings.Contains(a, "0x") {
		t.Errorf("canonical of a non-finite stimulus is not stable: %s / %s", a, c)
	}
}

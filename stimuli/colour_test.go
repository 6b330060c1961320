package stimuli

import (
	"math"
	"testing"

	"github.com/lucasb-eyer/go-colorful"
)

func TestParseHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // normalised; "" = invalid
	}{
		{"#0c0c0e", "#0c0c0e"},
		{"#CE2E2E", "#ce2e2e"},
		{"#AbC", "#aabbcc"},
		{"#fff", "#ffffff"},
		{"0c0c0e", ""},
		{"#0c0c0", ""},
		{"#0c0c0e0", ""},
		{"#+f+f+f", ""},
		{"#ggg", ""},
		{"", ""},
		{"#", ""},
		{"red", ""},
	} {
		got, ok := normHex(tc.in)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("normHex(%q) = %q, want %q", tc.in, got, tc.want)
		}
		c, err := ParseHex(tc.in)
		if (err == nil) != (tc.want != "") {
			t.Errorf("ParseHex(%q) error = %v", tc.in, err)
		}
		if err == nil && c.Hex() != tc.want {
			t.Errorf("ParseHex(%q) = %s, want %s", tc.in, c.Hex(), tc.want)
		}
	}
}

func TestTintColorRoundTrip(t *testing.T) {
	for _, l := range []float64{50, 70, 82, 90} {
		lo, hi := TintRange(l)
		for _, a := range []float64{lo, lo / 2, -3, -0.5, 0, 0.5, 3, hi / 2, hi} {
			c, err := TintColor(l, a)
			if err != nil {
				t.Fatalf("L*=%g a*=%g: %v", l, a, err)
			}
			// go-colorful scales L*a*b* by 1/100.
			gl, ga, gb := c.Lab()
			gl, ga, gb = gl*100, ga*100, gb*100
			if !near(gl, l, 1e-6) || !near(ga, a, 1e-6) || !near(gb, 0, 1e-6) {
				t.Errorf("Lab(%g, %g, 0) → sRGB → Lab = (%g, %g, %g)", l, a, gl, ga, gb)
			}
			// Through 8-bit sRGB (what is displayed) it stays within 0.5.
			r8, g8, b8 := c.RGB255()
			q := colorful.Color{R: float64(r8) / 255, G: float64(g8) / 255, B: float64(b8) / 255}
			ql, qa, qb := q.Lab()
			if d := math.Hypot(math.Hypot(ql*100-l, qa*100-a), qb*100); d > 0.5 {
				t.Errorf("L*=%g a*=%g: 8-bit round trip off by ΔE %g", l, a, d)
			}
		}
	}
}

func TestTintRange(t *testing.T) {
	lo, hi := TintRange(DefaultNeutralL)
	if !(lo < -10 && hi > 10) {
		t.Fatalf("TintRange(82) = %g, %g", lo, hi)
	}
	if _, err := TintColor(DefaultNeutralL, hi-1e-6); err != nil {
		t.Errorf("just inside hi: %v", err)
	}
	if _, err := TintColor(DefaultNeutralL, hi+1e-6); err == nil {
		t.Error("just outside hi: no error")
	}
	if _, err := TintColor(DefaultNeutralL, lo+1e-6); err != nil {
		t.Errorf("just inside lo: %v", err)
	}
	if _, err := TintColor(DefaultNeutralL, lo-1e-6); err == nil {
		t.Error("just outside lo: no error")
	}
	if m := MaxTint(DefaultNeutralL); m != math.Min(-lo, hi) {
		t.Errorf("MaxTint = %g", m)
	}
	if lo, hi := TintRange(120); lo != 0 || hi != 0 {
		t.Errorf("TintRange(120) = %g, %g, want 0, 0", lo, hi)
	}
}

func TestTintColorErrors(t *testing.T) {
	_, err := TintColor(82, 80)
	if err == nil || err.Error() != "a*=80 at L*=82 is outside the sRGB gamut" {
		t.Errorf("TintColor(82, 80) error = %v", err)
	}
	if _, err := TintColor(math.NaN(), 0); err == nil {
		t.Error("NaN L*: no error")
	}
}

func TestLinToSRGBTable(t *testing.T) {
	tab := linToSRGBTable()
	// Exactly the rounding of go-colorful's transfer function at each code's
	// own linear value, and monotone.
	for v := range 256 {
		lin := srgbToLin[v]
		if got := toSRGB8(tab, lin); int(got) != v {
			t.Errorf("code %d → linear %g → %d", v, lin, got)
		}
	}
	for i := 1; i < len(tab); i++ {
		if tab[i] < tab[i-1] {
			t.Fatalf("table not monotone at %d", i)
		}
	}
	if toSRGB8(tab, -1) != 0 || toSRGB8(tab, 2) != 255 {
		t.Error("no clamping")
	}
	// Spot-check against colorful's LinearRgb on a fine grid.
	for i := 0; i <= 1000; i++ {
		v := float64(i) / 1000
		want := colorful.LinearRgb(v, v, v).Clamped()
		w, _, _ := want.RGB255()
		if got := toSRGB8(tab, v); abs(int(got)-int(w)) > 1 || (got != w && !boundary(v)) {
			t.Errorf("linear %g → %d, colorful says %d", v, got, w)
		}
	}
}

// boundary reports whether v is within table resolution of a code boundary.
func boundary(v float64) bool {
	c := colorful.LinearRgb(v, v, v)
	x := c.R*255 + 0.5
	return math.Abs(x-math.Round(x)) < 0.01
}

func TestDefaultBackground(t *testing.T) {
	bg, ok := defaultBackground(DefaultDark, DefaultNeutralL)
	if !ok {
		t.Fatal("no default background")
	}
	// Its luminance is the mean of dark's and neutral light's.
	n, _ := TintColor(DefaultNeutralL, 0)
	nr, ng, nb := n.LinearRgb()
	want := (hexLuminance(t, DefaultDark) + 0.2126*nr + 0.7152*ng + 0.0722*nb) / 2
	if got := hexLuminance(t, bg); math.Abs(got-want) > 0.005 {
		t.Errorf("background %s luminance %g, want %g", bg, got, want)
	}
	if _, ok := defaultBackground("nope", 82); ok {
		t.Error("background from an invalid dark")
	}
}

func TestAtan2(t *testing.T) {
	for i := range 20000 {
		a := float64(i) / 20000 * 2 * math.Pi
		for _, r := range []float64{1e-3, 1, 300} {
			y, x := r*math.Sin(a), r*math.Cos(a)
			if d := math.Abs(atan2(y, x) - math.Atan2(y, x)); d > 2e-6 && d < 2*math.Pi-1e-5 {
				t.Fatalf("atan2(%g, %g) = %g, math says %g", y, x, atan2(y, x), math.Atan2(y, x))
			}
		}
	}
	if atan2(0, 0) != 0 {
		t.Error("atan2(0, 0) != 0")
	}
}

func TestCos01(t *testing.T) {
	for i := -5000; i <= 5000; i++ {
		x := float64(i) * 0.000731
		if d := math.Abs(cos01(x) - math.Cos(2*math.Pi*x)); d > 1e-6 {
			t.Fatalf("cos01(%g) off by %g", x, d)
		}
	}
	for _, x := range []float64{-1e-17, 1 - 1e-17, -1 + 1e-17, 3.0, -2.5} {
		if d := math.Abs(cos01(x) - math.Cos(2*math.Pi*x)); d > 1e-6 {
			t.Errorf("cos01(%g) off by %g", x, d)
		}
	}
}

func TestWrapFrac(t *testing.T) {
	for _, x := range []float64{-3.7, -2.5, -0.5, -0.2, 0, 0.2, 0.5, 0.7, 2.5, 1e6 + 0.25, -1e6 - 0.25} {
		if w, want := wrap(x), x-math.Floor(x+0.5); w != want {
			t.Errorf("wrap(%g) = %g, want %g", x, w, want)
		}
		if f, want := frac(x), x-math.Floor(x); f != want {
			t.Errorf("frac(%g) = %g, want %g", x, f, want)
		}
	}
}

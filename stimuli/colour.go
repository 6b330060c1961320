package stimuli

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/lucasb-eyer/go-colorful"
)

// gamutEps tolerates the rounding of the CIELAB→sRGB conversion at the gamut
// boundary, so a colour that is in gamut on paper is not rejected for 1e-15.
const gamutEps = 1e-9

// ParseHex parses an sRGB colour written "#rrggbb" or "#rgb" (hex digits in
// either case). It is stricter than colorful.Hex, which lets strconv accept
// things like "#+f+f+f".
func ParseHex(s string) (colorful.Color, error) {
	n, ok := normHex(s)
	if !ok {
		return colorful.Color{}, fmt.Errorf("%q is not an sRGB hex colour (#rrggbb)", s)
	}
	return colorful.Hex(n)
}

// normHex returns s as lower-case "#rrggbb", so "#ABC" and "#aabbcc" are one
// colour with one canonical spelling (and one cache key).
func normHex(s string) (string, bool) {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", false
		}
	}
	s = strings.ToLower(s)
	if len(s) == 4 {
		s = string([]byte{'#', s[1], s[1], s[2], s[2], s[3], s[3]})
	}
	return s, true
}

// TintColor is the light-stripe colour of a test stimulus: CIELAB (D65)
// L*=neutralL, a*=tint, b*=0, converted to sRGB. Tint is in a* units
// everywhere in the project (positive = red, negative = green). An error is
// returned when the colour cannot be shown on an sRGB display.
func TintColor(neutralL, tint float64) (colorful.Color, error) {
	if !finite(neutralL) || !finite(tint) {
		return colorful.Color{}, fmt.Errorf("colour L*=%g, a*=%g is not finite", neutralL, tint)
	}
	c := colorful.Lab(neutralL/100, tint/100, 0) // colorful's Lab uses L in 0..1
	if !inGamut(c) {
		return colorful.Color{}, fmt.Errorf("a*=%g at L*=%g is outside the sRGB gamut", tint, neutralL)
	}
	return c.Clamped(), nil
}

func inGamut(c colorful.Color) bool {
	return c.R >= -gamutEps && c.R <= 1+gamutEps &&
		c.G >= -gamutEps && c.G <= 1+gamutEps &&
		c.B >= -gamutEps && c.B <= 1+gamutEps
}

// TintRange returns the most negative and most positive a* that keep the
// neutral colour of lightness neutralL inside the sRGB gamut (both 0 when
// even the neutral grey is out of gamut). Found by bisection on TintColor.
func TintRange(neutralL float64) (lo, hi float64) {
	if _, err := TintColor(neutralL, 0); err != nil {
		return 0, 0
	}
	edge := func(sign float64) float64 {
		in, out := 0.0, 256.0 // |a*| of 256 is out of gamut at every L*
		for range 60 {
			mid := (in + out) / 2
			if _, err := TintColor(neutralL, sign*mid); err == nil {
				in = mid
			} else {
				out = mid
			}
		}
		return sign * in
	}
	return edge(-1), edge(1)
}

// MaxTint is the largest |a*| that is in gamut with both signs at lightness
// neutralL: the symmetric tint range a UI slider can offer.
func MaxTint(neutralL float64) float64 {
	lo, hi := TintRange(neutralL)
	return math.Min(-lo, hi)
}

// linear returns the colour in linear-light RGB, the space where light adds
// and where blending preserves mean luminance.
func linear(c colorful.Color) [3]float64 {
	r, g, b := c.LinearRgb()
	return [3]float64{r, g, b}
}

// defaultBackground is the space-averaged colour of a 0.5-duty grating of
// dark and the untinted neutral light: the mean, in linear light, of the two.
// An aperture surround of that colour adds no luminance edge to a test
// stimulus, and it is the same for every stimulus of an experiment (it does
// not depend on tint or on induction colours).
func defaultBackground(dark string, neutralL float64) (string, bool) {
	d, err := ParseHex(dark)
	if err != nil {
		return "", false
	}
	n, err := TintColor(neutralL, 0)
	if err != nil {
		return "", false
	}
	dl, nl := linear(d), linear(n)
	c := colorful.LinearRgb((dl[0]+nl[0])/2, (dl[1]+nl[1])/2, (dl[2]+nl[2])/2)
	return c.Clamped().Hex(), true
}

// Linear light to 8-bit sRGB goes through one table of linSteps+1 entries,
// built once from go-colorful's sRGB transfer function: a lookup instead of
// math.Pow per pixel. The table is exact (correctly rounded) at its grid
// points; linear values are quantised to 1/linSteps, far finer than the
// spacing of 8-bit sRGB codes in linear light (≥ 3e-4).
const linSteps = 1 << 16

var (
	srgbOnce  sync.Once
	srgbTable []uint8
)

func linToSRGBTable() []uint8 {
	srgbOnce.Do(func() {
		// bound[k] is the linear value where sRGB code k+1 starts.
		var bound [255]float64
		for k := range bound {
			r, _, _ := colorful.Color{R: (float64(k) + 0.5) / 255}.LinearRgb()
			bound[k] = r
		}
		t := make([]uint8, linSteps+1)
		code := 0
		for i := range t {
			v := float64(i) / linSteps
			for code < 255 && v >= bound[code] {
				code++
			}
			t[i] = uint8(code)
		}
		srgbTable = t
	})
	return srgbTable
}

// toSRGB8 converts one linear-light channel value to an 8-bit sRGB code.
func toSRGB8(table []uint8, v float64) uint8 {
	switch {
	case v <= 0:
		return table[0]
	case v >= 1:
		return table[linSteps]
	}
	return table[int(v*linSteps+0.5)]
}

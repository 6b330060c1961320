package stimuli

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	"math"
	"testing"

	"github.com/lucasb-eyer/go-colorful"
)

// srgbToLin[v] is the linear-light value of 8-bit sRGB code v.
var srgbToLin = func() (t [256]float64) {
	for i := range t {
		t[i], _, _ = colorful.Color{R: float64(i) / 255}.LinearRgb()
	}
	return t
}()

// luminance is the relative luminance (CIE Y) of pixel (x, y).
func luminance(img *image.NRGBA, x, y int) float64 {
	p := img.Pix[img.PixOffset(x, y):]
	return 0.2126*srgbToLin[p[0]] + 0.7152*srgbToLin[p[1]] + 0.0722*srgbToLin[p[2]]
}

// hexLuminance is the relative luminance of a hex colour.
func hexLuminance(t *testing.T, h string) float64 {
	t.Helper()
	c, err := ParseHex(h)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b := c.LinearRgb()
	return 0.2126*r + 0.7152*g + 0.0722*b
}

// coverageOf maps a pixel's luminance back to the light fraction (0 dark,
// 1 light) of stimulus s: light and dark are mixed in linear light, so this
// inverts the renderer up to 8-bit rounding.
func coverageOf(t *testing.T, s Stimulus) func(img *image.NRGBA, x, y int) float64 {
	t.Helper()
	s = s.WithDefaults()
	light, err := lightColour(s)
	if err != nil {
		t.Fatal(err)
	}
	lr, lg, lb := light.LinearRgb()
	yl := 0.2126*lr + 0.7152*lg + 0.0722*lb
	yd := hexLuminance(t, s.Dark)
	return func(img *image.NRGBA, x, y int) float64 {
		return (luminance(img, x, y) - yd) / (yl - yd)
	}
}

func mustRender(t testing.TB, s Stimulus, size int) *image.NRGBA {
	t.Helper()
	img, err := Render(s, size)
	if err != nil {
		t.Fatalf("Render(%+v, %d): %v", s, size, err)
	}
	return img
}

func pixelHash(img *image.NRGBA) string {
	h := sha256.Sum256(img.Pix)
	return hex.EncodeToString(h[:])
}

func rgbAt(img *image.NRGBA, x, y int) [3]uint8 {
	o := img.PixOffset(x, y)
	return [3]uint8(img.Pix[o : o+3])
}

// full is a square aperture with a hard edge: the pattern covers every pixel.
var full = Aperture{Shape: SquareArea}

func maxAbsDiff(a, b [3]uint8) int {
	m := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

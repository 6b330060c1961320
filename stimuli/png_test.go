package stimuli

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// TestEncodePNGRoundTrip: the fast encoder's files decode (with the
// standard decoder) to exactly the rendered pixels, for every kind, and
// non-opaque images still go through image/png.
func TestEncodePNGRoundTrip(t *testing.T) {
	for _, k := range Kinds {
		for _, size := range []int{17, 128} {
			s := Stimulus{Pattern: Pattern{Kind: k, OrientationDeg: 30, PeriodPx: 9}, Tint: 5}.WithDefaults()
			img, err := Render(s, size)
			if err != nil {
				t.Fatal(err)
			}
			data, err := EncodePNG(img)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s/%d: %v", k, size, err)
			}
			for y := range size {
				for x := range size {
					r1, g1, b1, a1 := dec.At(x, y).RGBA()
					r2, g2, b2, a2 := img.At(x, y).RGBA()
					if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
						t.Fatalf("%s/%d: pixel (%d,%d) differs after the round trip", k, size, x, y)
					}
				}
			}
		}
	}
	translucent := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	translucent.Pix[3] = 128
	data, err := EncodePNG(translucent)
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := png.Decode(bytes.NewReader(data)); err != nil || dec.(*image.NRGBA).Pix[3] != 128 {
		t.Fatalf("a translucent image lost its alpha: %v", err)
	}
}

// TestRenderPNGHoldsOnlyItsBytes: the PNG a caller caches is allocated at
// its size (a buffer grown for the worst case made a 256 MiB cache hold
// gigabytes).
func TestRenderPNGHoldsOnlyItsBytes(t *testing.T) {
	for _, kind := range []Kind{Grating, Radial} {
		data, err := RenderPNG(Stimulus{Pattern: Pattern{Kind: kind}, Tint: 3}.WithDefaults(), 1024)
		if err != nil {
			t.Fatal(err)
		}
		if cap(data) != len(data) {
			t.Errorf("%s: %d bytes in a %d-byte buffer", kind, len(data), cap(data))
		}
	}
}

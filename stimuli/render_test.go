package stimuli

import (
	"fmt"
	"image"
	"math"
	"testing"
)

func TestGratingRowsOrColumnsConstant(t *testing.T) {
	for _, tc := range []struct {
		deg  float64
		rows bool // constant along rows (else along columns)
	}{{0, true}, {180, true}, {-180, true}, {90, false}, {270, false}, {-90, false}} {
		for _, wf := range []Waveform{Square, Sine} {
			for _, phase := range []float64{0, 0.3} {
				name := fmt.Sprintf("%g/%s/%g", tc.deg, wf, phase)
				t.Run(name, func(t *testing.T) {
					s := Stimulus{Pattern: Pattern{Kind: Grating, OrientationDeg: tc.deg, PeriodPx: 23.7, Waveform: wf, Phase: phase}, Aperture: full}
					img := mustRender(t, s, 96)
					for i := range 96 {
						for j := range 96 {
							x, y := j, i // along row i
							if !tc.rows {
								x, y = i, j // along column i
							}
							if got, want := rgbAt(img, x, y), rgbAt(img, min(x, y*0+x), y); got != want {
								t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
							}
							ref := rgbAt(img, 0, y)
							if !tc.rows {
								ref = rgbAt(img, x, 0)
							}
							if got := rgbAt(img, x, y); got != ref {
								t.Fatalf("pixel (%d,%d) = %v differs from %v along the stripe", x, y, got, ref)
							}
						}
					}
					// And it is not uniform.
					if rgbAt(img, 0, 0) == rgbAt(img, 95, 95) && rgbAt(img, 0, 0) == rgbAt(img, 48, 48) && rgbAt(img, 0, 0) == rgbAt(img, 11, 11) {
						t.Fatal("image looks uniform")
					}
				})
			}
		}
	}
}

// crossings returns the positions (in samples, linearly interpolated) where
// the sequence c rises through 0.5.
func crossings(c []float64) []float64 {
	var out []float64
	for i := 1; i < len(c); i++ {
		if c[i-1] < 0.5 && c[i] >= 0.5 {
			out = append(out, float64(i-1)+(0.5-c[i-1])/(c[i]-c[i-1]))
		}
	}
	return out
}

func meanSpacing(x []float64) float64 {
	return (x[len(x)-1] - x[0]) / float64(len(x)-1)
}

func TestMeasuredPeriod(t *testing.T) {
	for _, tc := range []struct {
		deg, period float64
		ref, size   int
		want        float64 // period in render pixels
	}{
		{0, 26, 0, 512, 26},
		{90, 26, 0, 512, 26},
		{45, 26, 0, 512, 26},
		{0, 30, 0, 256, 30},
		{90, 7.5, 0, 256, 7.5},
		{45, 13, 0, 256, 13},
		{0, 26, 512, 256, 13},   // scaled to half size
		{90, 26, 512, 1024, 52}, // doubled
		{45, 26, 512, 128, 6.5},
	} {
		t.Run(fmt.Sprintf("%g°/%gpx/ref%d/%d", tc.deg, tc.period, tc.ref, tc.size), func(t *testing.T) {
			s := Stimulus{Pattern: Pattern{Kind: Grating, OrientationDeg: tc.deg, PeriodPx: tc.period}, Aperture: full, RefSizePx: tc.ref}
			img := mustRender(t, s, tc.size)
			cov := coverageOf(t, s)
			c := make([]float64, tc.size)
			step := 1.0
			for i := range c {
				switch tc.deg {
				case 0:
					c[i] = cov(img, tc.size/3, i) // down a column
				case 90:
					c[i] = cov(img, i, tc.size/3) // along a row
				default:
					c[i] = cov(img, i, i) // down the diagonal, across 45° stripes
					step = math.Sqrt2
				}
			}
			xs := crossings(c)
			if len(xs) < 3 {
				t.Fatalf("only %d crossings", len(xs))
			}
			t.Logf("period %.4f", meanSpacing(xs)*step)
			if got := meanSpacing(xs) * step; !near(got, tc.want, 0.5) {
				t.Errorf("measured period %.3f px, want %g ± 0.5", got, tc.want)
			}
		})
	}
}

// TestDutyAndMeanLuminance: the light fraction measured from luminance
// equals duty, and the mean luminance does not depend on orientation. The
// period divides the image, so the 0° and 90° windows hold whole periods.
func TestDutyAndMeanLuminance(t *testing.T) {
	for _, duty := range []float64{0.5, 0.3, 0.8} {
		var means []float64
		for _, deg := range []float64{0, 45, 90, 30, 135} {
			s := Stimulus{Pattern: Pattern{Kind: Grating, OrientationDeg: deg, PeriodPx: 32, Duty: duty, Phase: 0.1}, Aperture: full}
			img := mustRender(t, s, 512)
			cov := coverageOf(t, s)
			var sumY, sumC float64
			for y := range 512 {
				for x := range 512 {
					sumY += luminance(img, x, y)
					sumC += cov(img, x, y)
				}
			}
			n := 512.0 * 512
			t.Logf("duty %g, %g°: measured %.5f, mean Y %.5f", duty, deg, sumC/n, sumY/n)
			if got := sumC / n; !near(got, duty, 0.01) {
				t.Errorf("duty %g, %g°: measured duty %.4f", duty, deg, got)
			}
			means = append(means, sumY/n)
		}
		for i, m := range means {
			if math.Abs(m-means[0]) > 0.01*means[0] {
				t.Errorf("duty %g: mean luminance %.5f differs from 0°'s %.5f by more than 1%% (orientation #%d)", duty, m, means[0], i)
			}
		}
	}
}

// In a circular window the mean of a grating is the same at every
// orientation for any period, so this checks the anti-aliasing alone.
func TestMeanLuminanceInCircle(t *testing.T) {
	for _, wf := range []Waveform{Square, Sine} {
		var means []float64
		for _, deg := range []float64{0, 45, 90, 22.5, 60} {
			s := Stimulus{Pattern: Pattern{Kind: Grating, OrientationDeg: deg, PeriodPx: 26, Waveform: wf}, Aperture: Aperture{Shape: Circle}}
			img := mustRender(t, s, 512)
			var sum float64
			var n int
			for y := range 512 {
				for x := range 512 {
					u, v := float64(x)+0.5-256, float64(y)+0.5-256
					if u*u+v*v < 250*250 {
						sum += luminance(img, x, y)
						n++
					}
				}
			}
			means = append(means, sum/float64(n))
		}
		for i, m := range means {
			if math.Abs(m-means[0]) > 0.01*means[0] {
				t.Errorf("%s: mean luminance %.5f differs from 0°'s %.5f (orientation #%d)", wf, m, means[0], i)
			}
		}
	}
}

func TestCirclesRadiallySymmetric(t *testing.T) {
	for _, s := range []Stimulus{
		{Pattern: Pattern{Kind: Circles, PeriodPx: 26}},
		{Pattern: Pattern{Kind: Circles, PeriodPx: 9.3, Phase: 0.4, Duty: 0.3}, Aperture: Aperture{Shape: Circle, EdgePx: 30}},
		{Pattern: Pattern{Kind: Circles, PeriodPx: 17, Waveform: Sine}},
	} {
		for _, size := range []int{256, 255} {
			img := mustRender(t, s, size)
			// Pixels at exactly the same distance from the centre (u²+v² is
			// exact for these half-integer or integer coordinates) must be
			// equal; that includes non-mirror pairs like (0.5, 3.5) and (2.5, 2.5).
			byR2 := map[float64][3]uint8{}
			h := float64(size) / 2
			pairs := 0
			for y := range size {
				for x := range size {
					u, v := float64(x)+0.5-h, float64(y)+0.5-h
					r2 := u*u + v*v
					p := rgbAt(img, x, y)
					if q, ok := byR2[r2]; ok {
						pairs++
						if d := maxAbsDiff(p, q); d > 1 {
							t.Fatalf("size %d %+v: pixel (%d,%d) = %v, another pixel at r²=%g = %v", size, s.Pattern, x, y, p, r2, q)
						}
					} else {
						byR2[r2] = p
					}
				}
			}
			if pairs == 0 {
				t.Fatal("no equal-radius pairs")
			}
		}
	}
}

func transpose(img *image.NRGBA) *image.NRGBA {
	n := img.Rect.Dx()
	out := image.NewNRGBA(img.Rect)
	for y := range n {
		for x := range n {
			copy(out.Pix[out.PixOffset(y, x):out.PixOffset(y, x)+4], img.Pix[img.PixOffset(x, y):img.PixOffset(x, y)+4])
		}
	}
	return out
}

func TestRotate90Transposes(t *testing.T) {
	for _, tc := range []struct {
		p    Pattern
		ap   Aperture
		size int
	}{
		{Pattern{Kind: Grating, PeriodPx: 26}, Aperture{}, 128},
		{Pattern{Kind: Grating, PeriodPx: 7.3, Phase: 0.37, Duty: 0.2}, Aperture{Shape: Circle, EdgePx: 9}, 101},
		{Pattern{Kind: Grating, PeriodPx: 19, Waveform: Sine, Phase: 0.9}, full, 64},
		{Pattern{Kind: Grating, PeriodPx: 19, OrientationDeg: 180, Phase: 0.25}, full, 64},
	} {
		a := Stimulus{Pattern: tc.p, Aperture: tc.ap}
		b := a
		b.Pattern.OrientationDeg += 90
		ia, ib := mustRender(t, a, tc.size), mustRender(t, b, tc.size)
		if pixelHash(transpose(ia)) != pixelHash(ib) {
			t.Errorf("%+v: the 90°-rotated image is not the transpose", tc.p)
		}
	}
}

// Patterns that are symmetric under a quarter turn render symmetric.
func TestQuarterTurnSymmetricKinds(t *testing.T) {
	for _, p := range []Pattern{
		{Kind: Grid, PeriodPx: 20, LineWidthPx: 3},
		{Kind: Crosses, PeriodPx: 20},
		{Kind: Checkerboard, PeriodPx: 40},
		{Kind: Radial, Spokes: 12},
		{Kind: Circles, PeriodPx: 11},
	} {
		img := mustRender(t, Stimulus{Pattern: p}, 128)
		if pixelHash(transpose(img)) != pixelHash(img) {
			t.Errorf("%s is not symmetric about the diagonal", p.Kind)
		}
	}
}

func TestAperture(t *testing.T) {
	const size = 200
	bgHex := "#123456"
	bg := [3]uint8{0x12, 0x34, 0x56}
	t.Run("square hard edge covers the image", func(t *testing.T) {
		img := mustRender(t, Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 10}, Aperture: Aperture{Shape: SquareArea, Background: bgHex}}, size)
		for y := range size {
			for x := range size {
				if rgbAt(img, x, y) == bg {
					t.Fatalf("background at (%d,%d)", x, y)
				}
			}
		}
	})
	t.Run("circle corners are background", func(t *testing.T) {
		img := mustRender(t, Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 10}, Aperture: Aperture{Shape: Circle, EdgePx: 10, Background: bgHex}}, size)
		for _, p := range [][2]int{{0, 0}, {size - 1, 0}, {0, size - 1}, {size - 1, size - 1}, {20, 20}} {
			if got := rgbAt(img, p[0], p[1]); got != bg {
				t.Errorf("(%d,%d) = %v, want background %v", p[0], p[1], got, bg)
			}
		}
		if got := rgbAt(img, size/2, size/2); got == bg {
			t.Error("centre is background")
		}
	})
	t.Run("soft edge fades monotonically", func(t *testing.T) {
		// A uniform-looking pattern: sine grating with a tiny period would
		// alias; use a light field (duty close to 1) along the row through the centre.
		s := Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 1000, Duty: 0.99}, Aperture: Aperture{Shape: Circle, EdgePx: 40, Background: "#000000"}}
		img := mustRender(t, s, size)
		prev := -1.0
		for x := range size / 2 {
			l := luminance(img, x, size/2)
			if l < prev-1e-9 {
				t.Fatalf("luminance falls from %g to %g at x=%d", prev, l, x)
			}
			prev = l
		}
		if l, c := luminance(img, 0, size/2), luminance(img, size/2, size/2); l > 0.01*c {
			t.Errorf("outermost pixel luminance %g, want about the background's 0 (centre %g)", l, c)
		}
		if l0, l1 := luminance(img, 60, size/2), luminance(img, size/2, size/2); l0 != l1 {
			t.Errorf("inside the edge luminance %g differs from the centre's %g", l0, l1)
		}
	})
}

func TestTint(t *testing.T) {
	light := func(tint float64) [3]uint8 {
		// Duty close to 1 and a large period: the centre pixel is pure light.
		img := mustRender(t, Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 1000, Duty: 0.9}, Tint: tint}, 32)
		return rgbAt(img, 16, 16)
	}
	n := light(0)
	if abs(int(n[0])-int(n[1])) > 1 || abs(int(n[1])-int(n[2])) > 1 {
		t.Errorf("tint 0 is not neutral: %v", n)
	}
	for _, tint := range []float64{1, 5, 20} {
		if p := light(tint); p[0] <= p[1] {
			t.Errorf("tint %g: %v is not reddish (R > G)", tint, p)
		}
		if p := light(-tint); p[1] <= p[0] {
			t.Errorf("tint %g: %v is not greenish (G > R)", -tint, p)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestMorph(t *testing.T) {
	for _, tc := range []struct{ a, b Pattern }{
		{Pattern{Kind: Grating, PeriodPx: 26}, Pattern{Kind: Grating, PeriodPx: 26, OrientationDeg: 90}},
		{Pattern{Kind: Circles, PeriodPx: 20}, Pattern{Kind: Radial, Spokes: 10}},
		{Pattern{Kind: Grid, PeriodPx: 30, LineWidthPx: 4}, Pattern{Kind: Crosses, PeriodPx: 30}},
		{Pattern{Kind: Checkerboard, PeriodPx: 30}, Pattern{Kind: Grating, PeriodPx: 12, Duty: 0.3}},
		{Pattern{Kind: Grating, PeriodPx: 26, Waveform: Sine}, Pattern{Kind: Circles, PeriodPx: 26, Waveform: Sine}},
	} {
		name := string(tc.a.Kind) + "→" + string(tc.b.Kind) + "/" + string(tc.a.Waveform)
		t.Run(name, func(t *testing.T) {
			b := tc.b
			a := mustRender(t, Stimulus{Pattern: tc.a}, 128)
			bb := mustRender(t, Stimulus{Pattern: tc.b}, 128)
			at := func(m float64) string {
				return pixelHash(mustRender(t, Stimulus{Pattern: tc.a, MorphTo: &b, Morph: m}, 128))
			}
			if at(0) != pixelHash(a) {
				t.Error("morph 0 differs from pattern A")
			}
			if at(1) != pixelHash(bb) {
				t.Error("morph 1 differs from pattern B")
			}
			if h := at(0.5); h == pixelHash(a) || h == pixelHash(bb) {
				t.Error("morph 0.5 equals A or B")
			}
			// Nearly 0 and nearly 1 are close to A and B.
			if d := meanAbsDiff(a, mustRender(t, Stimulus{Pattern: tc.a, MorphTo: &b, Morph: 1e-9}, 128)); d > 0.01 {
				t.Errorf("morph 1e-9 differs from A by %g per channel", d)
			}
		})
	}
}

func meanAbsDiff(a, b *image.NRGBA) float64 {
	var s float64
	for i := range a.Pix {
		s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return s / float64(len(a.Pix))
}

// TestMorphContinuum: along a continuum the image changes gradually.
func TestMorphContinuum(t *testing.T) {
	a := Pattern{Kind: Grating, PeriodPx: 26}
	b := Pattern{Kind: Grating, PeriodPx: 26, OrientationDeg: 90}
	prev := mustRender(t, Stimulus{Pattern: a}, 64)
	for i := 1; i <= 10; i++ {
		img := mustRender(t, Stimulus{Pattern: a, MorphTo: &b, Morph: float64(i) / 10}, 64)
		if d := meanAbsDiff(prev, img); d == 0 || d > 60 {
			t.Errorf("step %d: mean change %g", i, d)
		}
		prev = img
	}
}

func TestRenderSizes(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Radial, Spokes: 7}, RefSizePx: 512}
	for _, size := range []int{1, 2, 3, 16, 17, 64, 333} {
		img := mustRender(t, s, size)
		if img.Rect.Dx() != size || img.Rect.Dy() != size {
			t.Fatalf("size %d: got %v", size, img.Rect)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 0xff {
				t.Fatalf("size %d: alpha %d", size, img.Pix[i])
			}
		}
	}
	for _, size := range []int{0, -1, MaxSizePx + 1} {
		if _, err := Render(s, size); err == nil {
			t.Errorf("size %d: no error", size)
		}
	}
	if _, err := Render(Stimulus{Pattern: Pattern{Kind: "nope"}}, 16); err == nil {
		t.Error("invalid stimulus rendered")
	}
}

func TestEveryKindRendersSomething(t *testing.T) {
	for _, k := range Kinds {
		for _, wf := range []Waveform{Square, Sine} {
			s := Stimulus{Pattern: Pattern{Kind: k, Waveform: wf, OrientationDeg: 17}, Aperture: full}
			img := mustRender(t, s, 128)
			cov := coverageOf(t, s)
			var lo, hi, sum float64 = 1, 0, 0
			for y := range 128 {
				for x := range 128 {
					c := cov(img, x, y)
					lo, hi, sum = math.Min(lo, c), math.Max(hi, c), sum+c
				}
			}
			if lo > 0.01 || hi < 0.99 {
				t.Errorf("%s/%s: coverage range [%g, %g], want dark and light", k, wf, lo, hi)
			}
			mean := sum / (128 * 128)
			if mean < 0.2 || mean > 0.9 {
				t.Errorf("%s/%s: mean coverage %g", k, wf, mean)
			}
		}
	}
}

// TestLightFractionPerKind: the light fraction of each kind is what its
// geometry says, measured from luminance (periods divide the image).
func TestLightFractionPerKind(t *testing.T) {
	for _, tc := range []struct {
		p    Pattern
		disc bool // measure inside a centred disc (rotation-invariant kinds)
		want float64
	}{
		{Pattern{Kind: Grid, PeriodPx: 32, LineWidthPx: 8}, false, 1 - 0.75*0.75},
		{Pattern{Kind: Grid, PeriodPx: 32, Duty: 0.125}, false, 1 - 0.875*0.875},
		{Pattern{Kind: Crosses, PeriodPx: 32, LineWidthPx: 8}, false, 1 - 0.75*0.75},
		{Pattern{Kind: Checkerboard, PeriodPx: 32}, false, 0.5},
		{Pattern{Kind: Checkerboard, PeriodPx: 32, Duty: 0.25}, false, 0.25*0.25 + 0.75*0.75},
		{Pattern{Kind: Radial, Spokes: 12, Duty: 0.3}, true, 0.3},
		{Pattern{Kind: Radial, Spokes: 5, Duty: 0.5, Phase: 0.3, OrientationDeg: 10}, true, 0.5},
		{Pattern{Kind: Circles, PeriodPx: 16, Duty: 0.5, Phase: 0.5}, true, 0.5},
	} {
		s := Stimulus{Pattern: tc.p, Aperture: full}
		img := mustRender(t, s, 512)
		cov := coverageOf(t, s)
		var sum float64
		var n int
		for y := range 512 {
			for x := range 512 {
				u, v := float64(x)+0.5-256, float64(y)+0.5-256
				if tc.disc && u*u+v*v >= 240*240 {
					continue
				}
				sum += cov(img, x, y)
				n++
			}
		}
		if got := sum / float64(n); !near(got, tc.want, 0.01) {
			t.Errorf("%+v: light fraction %.4f, want %.4f", tc.p, got, tc.want)
		}
	}
}

// The induction colours and dark are displayed exactly as specified.
func TestInductionColoursExact(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 40}, Light: "#ce2e2e", Dark: "#0C0C0E", Aperture: Aperture{Shape: SquareArea, Background: "#808080"}}
	img := mustRender(t, s, 80)
	seen := map[[3]uint8]bool{}
	for y := range 80 {
		seen[rgbAt(img, 0, y)] = true
	}
	for _, c := range [][3]uint8{{0xce, 0x2e, 0x2e}, {0x0c, 0x0c, 0x0e}} {
		if !seen[c] {
			t.Errorf("colour %x not rendered exactly; got %v", c, seen)
		}
	}
}

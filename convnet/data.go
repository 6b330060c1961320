package convnet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lucasb-eyer/go-colorful"
	"github.com/mccollough/mccollough/stimuli"
)

// PatternClasses are the labels of the pattern head: kind × orientation
// bin, with each kind's own symmetry (a grating repeats every 180°, a grid
// or checkerboard every 90°, circles and radial patterns have no
// orientation to report). Crosses are a grid turned by 45° (stimuli draws
// them as the ±45° line lattice), so they share the grid classes; giving
// them classes of their own would ask the network to tell apart two
// identical images.
var PatternClasses = []string{
	"grating/0", "grating/45", "grating/90", "grating/135",
	"grid/0", "grid/45",
	"checkerboard/0", "checkerboard/45",
	"circles", "radial",
}

// PatternClass returns the index in PatternClasses of a pattern spec.
func PatternClass(p stimuli.Pattern) int {
	bin := func(deg, period float64, n int) int {
		d := math.Mod(deg, period)
		if d < 0 {
			d += period
		}
		step := period / float64(n)
		return int(math.Floor(d/step+0.5)) % n
	}
	switch p.Kind {
	case stimuli.Grating:
		return bin(p.OrientationDeg, 180, 4)
	case stimuli.Grid:
		return 4 + bin(p.OrientationDeg, 90, 2)
	case stimuli.Crosses:
		return 4 + bin(p.OrientationDeg+45, 90, 2)
	case stimuli.Checkerboard:
		return 6 + bin(p.OrientationDeg, 90, 2)
	case stimuli.Circles:
		return 8
	}
	return 9
}

// Distribution is the pretraining distribution, "a lifetime of experience":
// random patterns of every kind, orientation, period, phase and duty, and an
// independent random colour of the light parts, so that colour and pattern
// are uncorrelated and the feature layer must code both. Images are seen
// through the same soft circular aperture as the test stimuli, on a
// neutral surround of random lightness, translated by up to ShiftPx (the
// gaze is never perfectly still). It is saved with the weights (the spec
// of how they were trained).
//
// Three colour regimes are mixed:
//   - NearFrac test-like: a grey near the test lightness shifted along a*
//     within ±NearTint (b* within ±NearB), so the tint decision is learnt
//     densely around neutral, where the psychometric functions live;
//   - NeutralFrac exactly neutral (a* = b* = 0), labelled P(red) = 0.5:
//     neutral must look neutral for every pattern, not only be
//     interpolated between reddish and greenish examples;
//   - the rest vivid: any lightness in [VividLMin, LMax], b* in [BMin,
//     BMax] and |a*| up to WideTint, which covers the induction colours
//     (#ce2e2e is L* 46, a* +61, b* +40; #189234 is L* 53, a* −52, b* +40),
//     so the red and green of the induction are colours the network has
//     seen and codes as red and green.
//
// The tint label is a function of a* (TrainConfig.tintTarget).
type Distribution struct {
	RefSizePx   int     `json:"ref_size_px"`  // lengths below are at this size (the human stimulus size)
	PeriodMin   float64 `json:"period_min"`   // px at RefSizePx, log-uniform
	PeriodMax   float64 `json:"period_max"`   //
	SineFrac    float64 `json:"sine_frac"`    // fraction of sine waveforms
	DutyMin     float64 `json:"duty_min"`     //
	DutyMax     float64 `json:"duty_max"`     //
	GratingP    float64 `json:"grating_p"`    // probability of a grating; other kinds share the rest
	NeutralFrac float64 `json:"neutral_frac"` // fraction of exactly neutral colours (a* = b* = 0)
	NearFrac    float64 `json:"near_frac"`    // fraction of test-like colours
	NearTint    float64 `json:"near_tint"`    // |a*| bound of test-like colours
	NearLMin    float64 `json:"near_l_min"`   // lightness of test-like colours
	NearB       float64 `json:"near_b"`       // |b*| bound of test-like colours
	WideTint    float64 `json:"wide_tint"`    // |a*| bound of vivid colours
	VividLMin   float64 `json:"vivid_l_min"`  //
	LMax        float64 `json:"l_max"`        //
	BMin        float64 `json:"b_min"`        //
	BMax        float64 `json:"b_max"`        //
	BgLMin      float64 `json:"bg_l_min"`     // neutral_l of the surround: uniform in [BgLMin, BgLMax]
	BgLMax      float64 `json:"bg_l_max"`     //
	DarkMax     float64 `json:"dark_max"`     // dark parts: a grey up to this sRGB level (0..1)
	ShiftPx     int     `json:"shift_px"`     // images are translated by up to ±ShiftPx render pixels (gaze jitter)
	SpokesMin   int     `json:"spokes_min"`   //
	SpokesMax   int     `json:"spokes_max"`   //
	MinAbsTint  float64 `json:"min_abs_tint"` // tints closer to 0 are redrawn (held-out scoring only)
}

// DefaultDistribution is the pretraining distribution used by
// DefaultTrainConfig.
func DefaultDistribution() Distribution {
	return Distribution{
		RefSizePx: 512,
		PeriodMin: 20, PeriodMax: 80,
		SineFrac: 0.2, DutyMin: 0.35, DutyMax: 0.65,
		GratingP:    0.4,
		NeutralFrac: 0.15,
		NearFrac:    0.5, NearTint: 12, NearLMin: 72, NearB: 4,
		WideTint: 70, VividLMin: 40, LMax: 90, BMin: -10, BMax: 45,
		BgLMin: 72, BgLMax: 90,
		DarkMax:   0.08,
		ShiftPx:   3,
		SpokesMin: 8, SpokesMax: 24,
	}
}

// Sample is one pretraining image's spec and labels.
type Sample struct {
	Stimulus stimuli.Stimulus
	AStar    float64 // a* of the light parts (the tint label is a function of it)
	Class    int     // index in PatternClasses
	ShiftX   int     // translation in render pixels
	ShiftY   int
}

// Draw samples one image spec from the distribution.
func (d Distribution) Draw(r *rand.Rand) Sample {
	p := d.drawPattern(r)
	light, a := d.drawColour(r)
	bgL := d.BgLMin + r.Float64()*(d.BgLMax-d.BgLMin)
	v := d.DarkMax * r.Float64()
	dark := colorful.Color{R: v, G: v, B: v}.Hex()
	s := stimuli.Stimulus{
		Pattern:   p,
		Dark:      dark,
		Light:     light,
		NeutralL:  bgL,
		Aperture:  stimuli.Aperture{Shape: stimuli.Circle, EdgePx: float64(d.RefSizePx) / 32},
		RefSizePx: d.RefSizePx,
	}
	smp := Sample{Stimulus: s, AStar: a, Class: PatternClass(p)}
	if d.ShiftPx > 0 {
		smp.ShiftX = r.IntN(2*d.ShiftPx+1) - d.ShiftPx
		smp.ShiftY = r.IntN(2*d.ShiftPx+1) - d.ShiftPx
	}
	return smp
}

func (d Distribution) drawPattern(r *rand.Rand) stimuli.Pattern {
	kinds := []stimuli.Kind{stimuli.Circles, stimuli.Grid, stimuli.Crosses, stimuli.Radial, stimuli.Checkerboard}
	kind := stimuli.Grating
	if r.Float64() >= d.GratingP {
		kind = kinds[r.IntN(len(kinds))]
	}
	p := stimuli.Pattern{
		Kind:           kind,
		OrientationDeg: 180 * r.Float64(),
		PeriodPx:       d.PeriodMin * math.Exp(r.Float64()*math.Log(d.PeriodMax/d.PeriodMin)),
		Duty:           d.DutyMin + r.Float64()*(d.DutyMax-d.DutyMin),
		Waveform:       stimuli.Square,
		Phase:          r.Float64(),
	}
	if r.Float64() < d.SineFrac {
		p.Waveform = stimuli.Sine
	}
	if kind == stimuli.Radial {
		p.Spokes = d.SpokesMin + r.IntN(d.SpokesMax-d.SpokesMin+1)
	}
	return p
}

// drawColour returns the light colour as hex and its a*. The a* is drawn
// uniformly (both signs) and redrawn while the colour is outside the sRGB
// gamut at the drawn lightness and b*.
func (d Distribution) drawColour(r *rand.Rand) (string, float64) {
	for {
		var l, a, b float64
		u := r.Float64()
		if u < d.NeutralFrac && d.MinAbsTint == 0 {
			l = d.NearLMin + r.Float64()*(d.LMax-d.NearLMin)
			c, err := stimuli.TintColor(l, 0)
			if err != nil {
				continue
			}
			return c.Hex(), 0
		}
		if u < d.NeutralFrac+d.NearFrac {
			l = d.NearLMin + r.Float64()*(d.LMax-d.NearLMin)
			b = d.NearB * (2*r.Float64() - 1)
			a = d.NearTint * (2*r.Float64() - 1)
		} else {
			l = d.VividLMin + r.Float64()*(d.LMax-d.VividLMin)
			b = d.BMin + r.Float64()*(d.BMax-d.BMin)
			a = d.WideTint * (2*r.Float64() - 1)
		}
		if math.Abs(a) < d.MinAbsTint {
			continue
		}
		c := colorful.Lab(l/100, a/100, b/100)
		if c.R < 0 || c.R > 1 || c.G < 0 || c.G > 1 || c.B < 0 || c.B > 1 {
			continue
		}
		return c.Hex(), a
	}
}

// renderer renders specs into network input tensors, reusing its scratch.
type renderer struct {
	size    int
	scratch []float32
	shift   []float32
}

func newRenderer(size int) *renderer {
	return &renderer{size: size, scratch: make([]float32, 3*size*size)}
}

// render draws s into dst (len 3·size²) as network input (see
// toOpponent), translated by (dx, dy) render pixels (right, down) with the
// vacated border filled by the image's corner colour (the aperture's
// background).
func (rr *renderer) render(s stimuli.Stimulus, dx, dy int, dst []float32) error {
	n := rr.size
	if err := stimuli.Tensor(s, n, rr.scratch); err != nil {
		return err
	}
	if dx <= -n || dx >= n || dy <= -n || dy >= n {
		return fmt.Errorf("convnet: shift (%d, %d) is larger than the image", dx, dy)
	}
	src := rr.scratch
	if dx != 0 || dy != 0 {
		src = rr.shifted(dx, dy)
	}
	toOpponent(src, dst, n*n)
	return nil
}

// shifted translates the scratch image into rr.shift.
func (rr *renderer) shifted(dx, dy int) []float32 {
	n := rr.size
	if rr.shift == nil {
		rr.shift = make([]float32, 3*n*n)
	}
	for c := range 3 {
		src := rr.scratch[c*n*n : (c+1)*n*n]
		out := rr.shift[c*n*n : (c+1)*n*n]
		bg := src[0]
		for y := range n {
			sy := y - dy
			row := out[y*n : (y+1)*n]
			if sy < 0 || sy >= n {
				for x := range row {
					row[x] = bg
				}
				continue
			}
			srow := src[sy*n : (sy+1)*n]
			for x := range row {
				sx := x - dx
				if sx < 0 || sx >= n {
					row[x] = bg
				} else {
					row[x] = srow[sx]
				}
			}
		}
	}
	return rr.shift
}

// Input channels. The network does not see sRGB planes directly but a
// fixed, retina-like linear recoding of them: a luminance channel and two
// colour-opponent channels (red−green, blue−yellow), each scaled to a
// comparable range. Why: the test tints are a few 8-bit steps (a* = 4 at
// L* 82 is R +8, G −3 of 255), and in raw RGB that signal hides in a
// direction the first layer must first discover under luminance contrast
// a hundred times larger; with opponent channels it is an axis of the
// input, pretraining learns the tint decision several times faster, and
// the neutral point is better calibrated. The recoding is part of the
// network (a fixed 1×1 convolution), so the stimulus is still exactly
// stimuli's tensor.
const (
	lumOffset = 0.5 // subtracted from (R+G+B)/3
	rgGain    = 4.0 // (R−G) gain
	byGain    = 2.0 // (B − (R+G)/2) gain
)

// toOpponent writes the opponent channels of the channels-first RGB image
// src (n pixels per plane) into dst.
func toOpponent(src, dst []float32, n int) {
	r, g, b := src[:n], src[n:2*n], src[2*n:3*n]
	lo, rg, by := dst[:n], dst[n:2*n], dst[2*n:3*n]
	for i := range n {
		lo[i] = (r[i]+g[i]+b[i])/3 - lumOffset
		rg[i] = rgGain * (r[i] - g[i])
		by[i] = byGain * (b[i] - (r[i]+g[i])/2)
	}
}

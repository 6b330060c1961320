package stimuli

import (
	"fmt"
	"image"
	"math"

	"github.com/lucasb-eyer/go-colorful"
)

// renderer is a Stimulus prepared for one size: fields, colours and
// aperture. Render and Tensor share its row loop, so their pixels agree.
type renderer struct {
	size     int
	a, b     field
	morph    float64
	hasMorph bool
	sine     bool
	ap       aperture
	srgb     []uint8 // linear → sRGB table
	darkLin  [3]float64
	lightLin [3]float64
	bgLin    [3]float64
	dark     [3]uint8
	light    [3]uint8
	bg       [3]uint8
}

func newRenderer(s Stimulus, size int) (*renderer, error) {
	if size < 1 || size > MaxSizePx {
		return nil, fmt.Errorf("stimuli: size %d is not between 1 and %d", size, MaxSizePx)
	}
	s = s.WithDefaults()
	if errs := s.Validate(); len(errs) > 0 {
		return nil, errs
	}
	scale := 1.0
	if s.RefSizePx > 0 {
		scale = float64(size) / float64(s.RefSizePx)
	}
	dark, err := ParseHex(s.Dark)
	if err != nil {
		return nil, err
	}
	light, err := lightColour(s)
	if err != nil {
		return nil, err
	}
	bg, err := ParseHex(s.Aperture.Background)
	if err != nil {
		return nil, err
	}
	r := &renderer{
		size: size,
		a:    newField(s.Pattern, scale),
		sine: s.Pattern.Waveform == Sine,
		ap:   newAperture(s.Aperture, size, scale),
		srgb: linToSRGBTable(),
	}
	switch {
	case s.MorphTo != nil && s.Morph == 1: // exactly pattern B
		r.a = newField(*s.MorphTo, scale)
	case s.MorphTo != nil && s.Morph > 0:
		r.hasMorph = true
		r.morph = s.Morph
		r.b = newField(*s.MorphTo, scale)
	}
	r.darkLin, r.lightLin, r.bgLin = linear(dark), linear(light), linear(bg)
	for k := range 3 {
		r.dark[k] = toSRGB8(r.srgb, r.darkLin[k])
		r.light[k] = toSRGB8(r.srgb, r.lightLin[k])
		r.bg[k] = toSRGB8(r.srgb, r.bgLin[k])
	}
	return r, nil
}

// lightColour is the colour of the light parts: Light when given (induction),
// else the neutral grey tinted along a* (test).
func lightColour(s Stimulus) (c colorful.Color, err error) {
	if s.Light != "" {
		return ParseHex(s.Light)
	}
	return TintColor(s.NeutralL, s.Tint)
}

// coverage returns the light fraction of a sine or morphed stimulus at
// centred coordinates (u, y up), in [0, 1]. (Plain square-wave patterns take
// the specialised loops of covSpan.)
//
// Morphing blends the two patterns' modulations pixel by pixel BEFORE
// thresholding: for square waveforms the signed edge distances are blended
// (each distance is already relative to its own duty threshold, so this is
// thresholding the blended modulation at the blended duty level) and the
// result is anti-aliased with the blended gradient; for sine waveforms the
// modulations are blended and used directly. Morph 0 is exactly pattern A,
// morph 1 exactly pattern B.
func (r *renderer) coverage(u, y float64) float64 {
	switch {
	case r.sine && !r.hasMorph:
		return clamp01(0.5 + 0.5*r.a.wave(u, y))
	case r.sine:
		wa, wb := r.a.wave(u, y), r.b.wave(u, y)
		return clamp01(0.5 + 0.5*((1-r.morph)*wa+r.morph*wb))
	case !r.hasMorph:
		d, _, _ := r.a.dist(u, y)
		return clamp01(0.5 + d)
	}
	da, gxa, gya := r.a.dist(u, y)
	db, gxb, gyb := r.b.dist(u, y)
	m := r.morph
	d := (1-m)*da + m*db
	gx, gy := (1-m)*gxa+m*gxb, (1-m)*gya+m*gyb
	g2 := gx*gx + gy*gy
	switch {
	case g2 > 1e-12:
		return clamp01(0.5 + d/math.Sqrt(g2))
	case d > 0:
		return 1
	}
	return 0
}

func clamp01(c float64) float64 {
	if c <= 0 {
		return 0
	}
	if c >= 1 {
		return 1
	}
	return c
}

// covSpan sets cov[x] to the coverage of pixels x0 ≤ x < x1 of the row at
// y (up). Square-wave patterns get one tight loop per kind: this is the hot
// path of rendering.
func (r *renderer) covSpan(y float64, x0, x1 int, cov []float64) {
	h := float64(r.size) / 2
	f := &r.a
	if r.sine || r.hasMorph {
		for x := x0; x < x1; x++ {
			cov[x] = r.coverage(float64(x)+0.5-h, y)
		}
		return
	}
	u0 := float64(x0) + 0.5 - h
	switch f.kind {
	case Grating:
		c := f.ayp*y - f.phase
		for x, u := x0, u0; x < x1; x, u = x+1, u+1 {
			cov[x] = clamp01(0.5 + f.sd(f.axp*u+c))
		}
	case Grid, Crosses:
		ca, cb := f.ayp*y-f.phase, f.byp*y-f.phase
		for x, u := x0, u0; x < x1; x, u = x+1, u+1 {
			cov[x] = clamp01(0.5 + math.Max(f.sd(f.axp*u+ca), f.sd(f.bxp*u+cb)))
		}
	case Checkerboard:
		ca, cb := f.ayp*y-f.phase, f.byp*y-f.phase
		for x, u := x0, u0; x < x1; x, u = x+1, u+1 {
			d1, d2 := f.sd(f.axp*u+ca), f.sd(f.bxp*u+cb)
			d := sign(d1) * d2
			if math.Abs(d1) <= math.Abs(d2) {
				d = sign(d2) * d1
			}
			cov[x] = clamp01(0.5 + d)
		}
	case Circles:
		y2 := y * y
		for x, u := x0, u0; x < x1; x, u = x+1, u+1 {
			cov[x] = clamp01(0.5 + f.sd(math.Sqrt(u*u+y2)*f.invP-f.phase))
		}
	default:
		for x, u := x0, u0; x < x1; x, u = x+1, u+1 {
			d, _, _ := f.dist(u, y)
			cov[x] = clamp01(0.5 + d)
		}
	}
}

// row renders image row y as 3 sRGB bytes per pixel, pixel x at
// out[x*stride:]; cov is scratch of length size.
func (r *renderer) row(y int, out []uint8, stride int, cov []float64) {
	h := float64(r.size) / 2
	v := float64(y) + 0.5 - h // image coordinates, y down (aperture)
	sp := r.ap.span(v, r.size)
	for x := 0; x < sp.x0; x++ {
		o := x * stride
		out[o], out[o+1], out[o+2] = r.bg[0], r.bg[1], r.bg[2]
	}
	for x := sp.x1; x < r.size; x++ {
		o := x * stride
		out[o], out[o+1], out[o+2] = r.bg[0], r.bg[1], r.bg[2]
	}
	if sp.x0 >= sp.x1 {
		return
	}
	r.covSpan(-v, sp.x0, sp.x1, cov) // patterns use y up
	dark, light := r.dark, r.light
	for x := sp.in0; x < sp.in1; x++ { // inside the aperture: opacity 1
		o := x * stride
		p := out[o : o+3 : o+3]
		switch c := cov[x]; {
		case c <= 0:
			p[0], p[1], p[2] = dark[0], dark[1], dark[2]
		case c >= 1:
			p[0], p[1], p[2] = light[0], light[1], light[2]
		default:
			r.mix(p, c)
		}
	}
	r.edge(v, sp.x0, sp.in0, out, stride, cov)
	r.edge(v, sp.in1, sp.x1, out, stride, cov)
}

// edge renders pixels x0 ≤ x < x1 of a row that may be in the aperture's
// soft edge: pattern and background are mixed in linear light.
func (r *renderer) edge(v float64, x0, x1 int, out []uint8, stride int, cov []float64) {
	h := float64(r.size) / 2
	for x := x0; x < x1; x++ {
		o := x * stride
		p := out[o : o+3 : o+3]
		al := r.ap.alpha(float64(x)+0.5-h, v)
		if al == 0 {
			p[0], p[1], p[2] = r.bg[0], r.bg[1], r.bg[2]
			continue
		}
		if al == 1 {
			r.colour(p, cov[x])
			continue
		}
		c := cov[x]
		for k := range 3 {
			lin := r.darkLin[k] + c*(r.lightLin[k]-r.darkLin[k])
			p[k] = toSRGB8(r.srgb, r.bgLin[k]+al*(lin-r.bgLin[k]))
		}
	}
}

// colour writes the sRGB bytes of coverage c (0 dark, 1 light).
func (r *renderer) colour(p []uint8, c float64) {
	switch {
	case c <= 0:
		p[0], p[1], p[2] = r.dark[0], r.dark[1], r.dark[2]
	case c >= 1:
		p[0], p[1], p[2] = r.light[0], r.light[1], r.light[2]
	default:
		r.mix(p, c)
	}
}

// mix writes the colour of a partly light pixel. Dark and light are mixed in
// linear light, so a partly covered pixel (an edge) or a sine wave has the
// mean luminance of what it averages.
func (r *renderer) mix(p []uint8, c float64) {
	for k := range 3 {
		p[k] = toSRGB8(r.srgb, r.darkLin[k]+c*(r.lightLin[k]-r.darkLin[k]))
	}
}

// Render draws the stimulus as a size×size image. It is a pure function of
// (s.WithDefaults(), size): the same inputs give the same bytes (no
// goroutines, no maps, no clock). An invalid stimulus gives its FieldErrors.
//
// Geometry: pattern coordinates are centred on the image centre (pixel
// centres at x+0.5−size/2), y up, orientation counter-clockwise, so a 90°
// grating is exactly the transpose of a 0° one and circles are radially
// symmetric. Lengths are pixels at s.RefSizePx, scaled by size/RefSizePx
// (cycles per image stay the same). Each pixel's light fraction is computed
// analytically (signed distance to the nearest edge, see field), dark and
// light are mixed in linear light and converted to 8-bit sRGB once, and the
// aperture's raised-cosine edge blends onto the background in linear light
// too. Periods below ~2 render pixels alias, as any sampled grating would.
func Render(s Stimulus, size int) (*image.NRGBA, error) {
	r, err := newRenderer(s, size)
	if err != nil {
		return nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	r.draw(img)
	return img, nil
}

// draw renders into img, which must be size×size at the origin. Every byte
// of the image is written.
func (r *renderer) draw(img *image.NRGBA) {
	cov := make([]float64, r.size)
	for y := range r.size {
		row := img.Pix[y*img.Stride : y*img.Stride+4*r.size]
		r.row(y, row, 4, cov)
		for x := 3; x < len(row); x += 4 {
			row[x] = 0xff
		}
	}
}

// byteToUnit[v] = v/255 as float32: Tensor's values are exactly Render's
// pixels divided by 255.
var byteToUnit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// Tensor renders the stimulus into dst as channels-first float32 (R plane,
// G plane, B plane, each size×size row-major) in [0, 1]: sRGB/255, the
// ConvNet's input. dst must have length 3·size·size. It shares Render's row
// loop, so Tensor equals Render's pixels/255 exactly, without building an
// image.
func Tensor(s Stimulus, size int, dst []float32) error {
	if size < 1 || size > MaxSizePx {
		return fmt.Errorf("stimuli: size %d is not between 1 and %d", size, MaxSizePx)
	}
	if len(dst) != 3*size*size {
		return fmt.Errorf("stimuli: tensor of size %d needs len 3·%d·%d = %d, got %d", size, size, size, 3*size*size, len(dst))
	}
	r, err := newRenderer(s, size)
	if err != nil {
		return err
	}
	plane := size * size
	buf := make([]uint8, 3*size)
	cov := make([]float64, size)
	for y := range size {
		r.row(y, buf, 3, cov)
		base := y * size
		rp := dst[base : base+size]
		gp := dst[plane+base : plane+base+size]
		bp := dst[2*plane+base : 2*plane+base+size]
		for x := range size {
			rp[x] = byteToUnit[buf[3*x]]
			gp[x] = byteToUnit[buf[3*x+1]]
			bp[x] = byteToUnit[buf[3*x+2]]
		}
	}
	return nil
}

package stimuli

import "math"

// A field is one pattern, prepared for evaluation at a render size.
//
// Square waveforms are described by a signed distance: f(u, y) is the
// distance in pixels from the point to the nearest light/dark edge, positive
// on the light side, with |∇f| = 1 almost everywhere. Thresholding f at 0 is
// the pattern; 0.5+f clamped to [0, 1] is its anti-aliased coverage (an
// isotropic 1-px ramp, the same edge profile at every orientation, so a 45°
// grating is exactly as sharp and as bright on average as a 0° one).
//
// Sine waveforms are described by s(u, y) in [-1, 1]; the light fraction is
// (1+s)/2. Duty does not apply to them.
//
// Coordinates: u to the right and y UP, in render pixels, origin at the image
// centre; orientation rotates counter-clockwise on the screen.
type field struct {
	kind   Kind
	p      float64 // period, px
	invP   float64
	phase  float64
	half   float64 // half the light width, as a fraction of the period
	ax, ay float64 // unit normal of the first stripe set
	bx, by float64 // unit normal of the second set (grid, crosses, checkerboard)
	// The normals divided by the period: stripe coordinate (in periods,
	// light stripes centred on integers) t = axp·u + (ayp·y − phase).
	axp, ayp, bxp, byp float64
	theta              float64 // radial: orientation, radians
	sector             float64 // radial: angle of one period, 2π/spokes
	invSec             float64
	spokes             int64
	edges              []float64 // radial: unit vectors of both edges of each light sector
}

// newField prepares p, whose lengths are multiplied by scale.
func newField(p Pattern, scale float64) field {
	f := field{
		kind:  p.Kind,
		p:     p.PeriodPx * scale,
		phase: p.Phase,
		half:  p.Duty / 2,
	}
	f.invP = 1 / f.p
	second := 90.0
	switch p.Kind {
	case Grid:
		if p.LineWidthPx > 0 {
			f.half = p.LineWidthPx / p.PeriodPx / 2
		}
	case Crosses:
		if p.LineWidthPx > 0 {
			f.half = p.LineWidthPx / p.PeriodPx / 2
		}
		// The grid lattice turned by 45°: lines at ±45° make the crosses.
		second = 45
	case Radial:
		f.theta = p.OrientationDeg * math.Pi / 180
		f.sector = 2 * math.Pi / float64(p.Spokes)
		f.invSec = 1 / f.sector
		f.spokes = int64(p.Spokes)
		f.edges = make([]float64, 4*p.Spokes)
		for k := range p.Spokes {
			c := f.theta + (float64(k)+f.phase)*f.sector
			f.edges[4*k+1], f.edges[4*k] = math.Sincos(c - f.half*f.sector)
			f.edges[4*k+3], f.edges[4*k+2] = math.Sincos(c + f.half*f.sector)
		}
	}
	f.ax, f.ay = normalDeg(p.OrientationDeg + second - 90)
	f.bx, f.by = normalDeg(p.OrientationDeg + second)
	f.axp, f.ayp = f.ax*f.invP, f.ay*f.invP
	f.bxp, f.byp = f.bx*f.invP, f.by*f.invP
	return f
}

// normalDeg is the unit normal of stripes at deg degrees: (-sin, cos), so
// that 0° stripes are horizontal (the pattern varies with y only). Multiples
// of 45° use exact values, so a 90° grating is exactly the transpose of a 0°
// one and ±45° lines are exactly mirror images.
func normalDeg(deg float64) (x, y float64) {
	deg = math.Mod(deg, 360)
	if deg < 0 {
		deg += 360
	}
	var s, c float64
	if math.Mod(deg, 45) == 0 {
		const h = math.Sqrt2 / 2
		sin := [8]float64{0, h, 1, h, 0, -h, -1, -h}
		k := int(deg / 45)
		s, c = sin[k], sin[(k+2)%8]
	} else {
		s, c = math.Sincos(deg * math.Pi / 180)
	}
	return -s, c
}

// wrap returns t minus the nearest integer, in [-0.5, 0.5). It truncates
// through int64 rather than calling math.Floor, which is not inlined on
// baseline amd64; |t| stays far below 2⁶² for every valid spec.
func wrap(t float64) float64 {
	x := t + 0.5
	k := float64(int64(x))
	if k > x {
		k--
	}
	return t - k
}

// frac returns t minus the largest integer not above it, in [0, 1).
func frac(t float64) float64 {
	k := float64(int64(t))
	if k > t {
		k--
	}
	return t - k
}

// atan2 approximates math.Atan2 to within 2e-6 rad (a polynomial on
// [0, 1] and octant folding), several times faster. Only the radial pattern
// uses it, to find the sector of a pixel; its edges are exact (see radial).
func atan2(y, x float64) float64 {
	ax, ay := math.Abs(x), math.Abs(y)
	if ax == 0 && ay == 0 {
		return 0
	}
	var z float64
	swap := ay > ax
	if swap {
		z = ax / ay
	} else {
		z = ay / ax
	}
	z2 := z * z
	a := z * (0.99997726 + z2*(-0.33262347+z2*(0.19354346+z2*(-0.11643287+z2*(0.05265332+z2*(-0.01172120))))))
	if swap {
		a = math.Pi/2 - a
	}
	if x < 0 {
		a = math.Pi - a
	}
	if y < 0 {
		a = -a
	}
	return a
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// sd is the signed distance of a stripe set at stripe coordinate t (in
// periods, light stripes centred on integers). Small enough to be inlined
// in the hot loops.
func (f *field) sd(t float64) float64 { return f.p * (f.half - math.Abs(wrap(t))) }

// ta and tb are the stripe coordinates of the two stripe sets. The hot
// loops hoist the parenthesised term out of a row, with identical results.
func (f *field) ta(u, y float64) float64 { return f.axp*u + (f.ayp*y - f.phase) }
func (f *field) tb(u, y float64) float64 { return f.bxp*u + (f.byp*y - f.phase) }

// stripe is the signed distance of a stripe set at coordinate t, with
// normal (nx, ny), and its gradient.
func (f *field) stripe(t, nx, ny float64) (d, gx, gy float64) {
	tw := wrap(t)
	sg := sign(tw)
	return f.p * (f.half - math.Abs(tw)), -sg * nx, -sg * ny
}

// dist returns the signed distance to the nearest edge (px, positive = light)
// and its gradient.
func (f *field) dist(u, y float64) (d, gx, gy float64) {
	switch f.kind {
	case Grating:
		return f.stripe(f.ta(u, y), f.ax, f.ay)
	case Circles:
		r := math.Sqrt(u*u + y*y)
		tw := wrap(r*f.invP - f.phase)
		d = f.p * (f.half - math.Abs(tw))
		if r == 0 {
			return d, 1, 0
		}
		k := -sign(tw) / r
		return d, k * u, k * y
	case Grid, Crosses:
		// Light lines on dark: the union of two line sets.
		d1, gx1, gy1 := f.stripe(f.ta(u, y), f.ax, f.ay)
		d2, gx2, gy2 := f.stripe(f.tb(u, y), f.bx, f.by)
		if d2 > d1 {
			return d2, gx2, gy2
		}
		return d1, gx1, gy1
	case Checkerboard:
		// Light where both stripe sets are "on" or both "off"; the nearest
		// edge is the nearer of the two sets' edges.
		d1, gx1, gy1 := f.stripe(f.ta(u, y), f.ax, f.ay)
		d2, gx2, gy2 := f.stripe(f.tb(u, y), f.bx, f.by)
		if math.Abs(d1) <= math.Abs(d2) {
			s := sign(d2)
			return s * d1, s * gx1, s * gy1
		}
		s := sign(d1)
		return s * d2, s * gx2, s * gy2
	case Radial:
		return f.radial(u, y)
	}
	return 0, 1, 0
}

// radial is the signed distance to the nearest edge of the spokes: the
// (approximate) angle only picks the sector and which of its edges is
// nearer; the distance is exact geometry, to the edge ray or, beyond a right
// angle from it, to the centre.
func (f *field) radial(u, y float64) (d, gx, gy float64) {
	if u == 0 && y == 0 {
		return 0, 1, 0
	}
	t := (atan2(y, u)-f.theta)*f.invSec - f.phase
	x := t + 0.5
	k := int64(x)
	if float64(k) > x {
		k--
	}
	tw := t - float64(k) // angle from the nearest light sector's centre, in periods
	side, sg := 0, -1.0
	if tw >= 0 {
		side, sg = 2, 1
	}
	// Sector k mod spokes; |k| < 2·spokes (t's range is about ±spokes),
	// and two compare-and-adds are far cheaper than an integer division.
	for k < 0 {
		k += f.spokes
	}
	for k >= f.spokes {
		k -= f.spokes
	}
	i := 4*int(k) + side
	ex, ey := f.edges[i], f.edges[i+1]
	if u*ex+y*ey >= 0 {
		return sg * (ey*u - ex*y), sg * ey, -sg * ex
	}
	r := math.Sqrt(u*u + y*y)
	s := sign(f.half - math.Abs(tw))
	return s * r, s * u / r, s * y / r
}

// wave returns the sine-waveform modulation in [-1, 1].
func (f *field) wave(u, y float64) float64 {
	switch f.kind {
	case Grating:
		return cos01(f.ta(u, y))
	case Circles:
		return cos01(math.Sqrt(u*u+y*y)*f.invP - f.phase)
	case Grid, Crosses:
		return math.Max(
			cos01(f.ta(u, y)),
			cos01(f.tb(u, y)))
	case Checkerboard:
		return cos01(f.ta(u, y)) *
			cos01(f.tb(u, y))
	case Radial:
		if u == 0 && y == 0 {
			return 0
		}
		return cos01((atan2(y, u)-f.theta)*f.invSec - f.phase)
	}
	return 0
}

// cos01(t) = cos(2πt) from a table with linear interpolation (error < 1e-6,
// far below one 8-bit step), a few times faster than math.Cos.
const cosN = 4096

var cosTab = func() (t [cosN + 1]float64) {
	for i := range t {
		t[i] = math.Cos(2 * math.Pi * float64(i) / cosN)
	}
	return t
}()

func cos01(t float64) float64 {
	x := frac(t) * cosN
	i := int(x)
	if i >= cosN { // t just below an integer can round up to cosN
		i = cosN - 1
	}
	w := x - float64(i)
	return cosTab[i] + w*(cosTab[i+1]-cosTab[i])
}

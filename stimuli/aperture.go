package stimuli

import "math"

// aperture gives the opacity of the pattern over the background at a pixel.
//
// With d the distance of the pixel centre inside the outline (circle of
// diameter size, or the square of side size), opacity rises as a raised
// cosine over d ∈ [-0.5, w-0.5], w = max(edge, 1 px): 0 at and beyond the
// outline, 1 from w-0.5 px inside it. An edge of 0 is therefore a hard edge
// anti-aliased over one pixel, and a square aperture with edge 0 shows the
// pattern on every pixel of the image.
type aperture struct {
	square bool
	radius float64 // size/2
	w      float64
	inner  float64 // opacity is 1 where the (radial or square) distance from the centre ≤ inner
	outer  float64 // and 0 where it is ≥ outer
	inner2 float64 // squares, for the circle's test without a square root
	outer2 float64
}

func newAperture(a Aperture, size int, scale float64) aperture {
	ap := aperture{square: a.Shape == SquareArea, radius: float64(size) / 2}
	ap.w = math.Max(a.EdgePx*scale, 1)
	ap.inner = ap.radius + 0.5 - ap.w
	ap.outer = ap.radius + 0.5
	ap.inner2 = -1
	if ap.inner > 0 {
		ap.inner2 = ap.inner * ap.inner
	}
	ap.outer2 = ap.outer * ap.outer
	return ap
}

// alpha returns the opacity at centred pixel coordinates (u, v).
func (a *aperture) alpha(u, v float64) float64 {
	var r float64
	if a.square {
		r = math.Max(math.Abs(u), math.Abs(v))
		if r <= a.inner {
			return 1
		}
		if r >= a.outer {
			return 0
		}
	} else {
		r2 := u*u + v*v
		if r2 <= a.inner2 {
			return 1
		}
		if r2 >= a.outer2 {
			return 0
		}
		r = math.Sqrt(r2)
	}
	t := (a.radius - r + 0.5) / a.w
	return 0.5 - 0.5*cos01(t/2) // raised cosine: 0.5 − 0.5·cos(πt)
}

// rowSpan splits a row: pixels x < x0 and x ≥ x1 are surely outside the
// aperture (background), pixels in0 ≤ x < in1 surely fully inside it
// (opacity 1); the rest, [x0, in0) and [in1, x1), go through alpha. The
// bounds are conservative (a pixel or so), so every pixel still gets exactly
// the opacity alpha would give it.
type rowSpan struct{ x0, in0, in1, x1 int }

// span returns the split of the image row at v (centred, y down).
func (a *aperture) span(v float64, size int) rowSpan {
	h := float64(size)/2 - 0.5 // x = u + h
	var wOut, wIn float64 = -1, -1
	av := math.Abs(v)
	if a.square {
		if av < a.outer {
			wOut = a.outer
		}
		if av <= a.inner {
			wIn = a.inner
		}
	} else {
		if v*v < a.outer2 {
			wOut = math.Sqrt(a.outer2 - v*v)
		}
		if v*v <= a.inner2 {
			wIn = math.Sqrt(a.inner2 - v*v)
		}
	}
	if wOut < 0 {
		return rowSpan{size, size, size, size}
	}
	clampX := func(x float64) int {
		return int(math.Max(0, math.Min(float64(size), x)))
	}
	s := rowSpan{x0: clampX(math.Floor(h - wOut)), x1: clampX(math.Ceil(h+wOut) + 1)}
	s.in0, s.in1 = s.x0, s.x0
	if wIn >= 0 {
		s.in0 = clampX(math.Ceil(h-wIn) + 1)
		s.in1 = clampX(math.Floor(h + wIn))
		s.in0 = max(s.in0, s.x0)
		s.in0 = min(s.in0, s.x1)
		s.in1 = min(s.in1, s.x1)
		s.in1 = max(s.in1, s.in0)
	}
	return s
}

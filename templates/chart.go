package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Chart is a small 2-D plot drawn as inline SVG. It uses presentation
// attributes only (fill=, stroke=), never style attributes, which the
// Content-Security-Policy forbids.
type Chart struct {
	Title          string
	XLabel, YLabel string
	// Categories, when set, make a categorical x axis: x = 0, 1, 2, … is
	// the i-th category.
	Categories []string
	XMin, XMax float64
	// XTickValues, when set, are the numeric x axis' ticks (else round
	// numbers are chosen).
	XTickValues []float64
	YMin, YMax  float64
	Lines       []Line
	Dots        []Dot
	ErrorBars   []ErrorBar
	// RefY draws dashed horizontal reference lines (0 shift, P = 0.5).
	RefY   []float64
	Legend []LegendItem
}

// Line is a polyline in data coordinates.
type Line struct {
	X, Y  []float64
	Color string
	Dash  bool
}

// Dot is a marker; Label becomes its tooltip. A Bound dot ("above" or
// "below") is a value the data only bound: a triangle pointing the way
// the true value lies.
type Dot struct {
	X, Y   float64
	Color  string
	Hollow bool
	Bound  string
	Label  string
}

// ErrorBar is a vertical interval at X (a confidence interval).
type ErrorBar struct {
	X, Lo, Hi float64
	Color     string
}

// LegendItem names a colour.
type LegendItem struct {
	Color, Label string
	Dash         bool
}

// Plot area in SVG user units.
const (
	chartW, chartH = 560.0, 320.0
	marginL        = 64.0
	marginR        = 16.0
	marginT        = 28.0
	marginB        = 56.0
)

// ViewBox is the SVG viewBox: taller by the room slanted category labels
// need below the plot.
func (c Chart) ViewBox() string { return fmt.Sprintf("0 0 %g %g", chartW, chartH+c.labelRoom()) }

// Category labels wider than their slot (as with several model groups) are
// slanted so they do not run into each other.
const (
	labelCharPx = 6.6 // average width of a character at font-size 12
	labelSlant  = 35.0
)

func (c Chart) slanted() bool {
	if len(c.Categories) == 0 {
		return false
	}
	step := (chartW - marginL - marginR) / float64(len(c.Categories))
	return c.longestLabelPx() > step-8
}

func (c Chart) longestLabelPx() float64 {
	longest := 0
	for _, cat := range c.Categories {
		longest = max(longest, len([]rune(cat)))
	}
	return float64(longest) * labelCharPx
}

// labelRoom is the extra height slanted labels take beyond the usual row.
func (c Chart) labelRoom() float64 {
	if !c.slanted() {
		return 0
	}
	return math.Ceil(c.longestLabelPx() * math.Sin(labelSlant*math.Pi/180))
}

// XLabelY places the x axis' title below the tick labels.
func (c Chart) XLabelY() float64 { return c.Bottom() + 42 + c.labelRoom() }

// Slant is the transform of a slanted tick label at x.
func (c Chart) Slant(t Tick) string {
	return fmt.Sprintf("rotate(-%g %s %s)", labelSlant, F(t.Pos), F(c.Bottom()+14))
}

func (c Chart) px(x float64) float64 {
	if len(c.Categories) > 0 {
		step := (chartW - marginL - marginR) / float64(len(c.Categories))
		return marginL + step*(x+0.5)
	}
	return marginL + (x-c.XMin)/(c.XMax-c.XMin)*(chartW-marginL-marginR)
}

func (c Chart) py(y float64) float64 {
	return chartH - marginB - (y-c.YMin)/(c.YMax-c.YMin)*(chartH-marginT-marginB)
}

// Tick is a labelled position on an axis, in SVG units; a Slanted label
// is drawn rotated, ending at its tick.
type Tick struct {
	Pos     float64
	Label   string
	Slanted bool
}

// XTicks are the x axis' ticks: the categories, or round numbers.
func (c Chart) XTicks() []Tick {
	if len(c.Categories) > 0 {
		out := make([]Tick, len(c.Categories))
		for i, cat := range c.Categories {
			out[i] = Tick{c.px(float64(i)), cat, c.slanted()}
		}
		return out
	}
	values := c.XTickValues
	if len(values) == 0 {
		values = niceTicks(c.XMin, c.XMax, 7)
	}
	var out []Tick
	for _, v := range values {
		out = append(out, Tick{Pos: c.px(v), Label: formatTick(v)})
	}
	return out
}

// YTicks are the y axis' round-number ticks.
func (c Chart) YTicks() []Tick {
	var out []Tick
	for _, v := range niceTicks(c.YMin, c.YMax, 6) {
		out = append(out, Tick{Pos: c.py(v), Label: formatTick(v)})
	}
	return out
}

// Geometry the template draws, in SVG units.
func (c Chart) Left() float64   { return marginL }
func (c Chart) Right() float64  { return chartW - marginR }
func (c Chart) Top() float64    { return marginT }
func (c Chart) Bottom() float64 { return chartH - marginB }
func (c Chart) MidX() float64   { return (marginL + chartW - marginR) / 2 }
func (c Chart) MidY() float64   { return (marginT + chartH - marginB) / 2 }

// Points is a line's SVG points attribute (NaN points are skipped).
func (c Chart) Points(l Line) string {
	var b strings.Builder
	for i := range l.X {
		if math.IsNaN(l.Y[i]) || math.IsNaN(l.X[i]) {
			continue
		}
		fmt.Fprintf(&b, "%.1f,%.1f ", c.px(l.X[i]), c.py(c.clampY(l.Y[i])))
	}
	return strings.TrimSpace(b.String())
}

func (c Chart) clampY(y float64) float64 { return math.Max(c.YMin, math.Min(c.YMax, y)) }

// DotX and DotY place a marker.
func (c Chart) DotX(d Dot) float64 { return c.px(d.X) }
func (c Chart) DotY(d Dot) float64 { return c.py(c.clampY(d.Y)) }

// Triangle is the SVG points of a Bound dot's marker.
func (c Chart) Triangle(d Dot) string {
	x, y := c.DotX(d), c.DotY(d)
	tip := -6.0 // above: pointing up (SVG y grows downwards)
	if d.Bound == "below" {
		tip = 6
	}
	return fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", x, y+tip, x-5, y-tip/2, x+5, y-tip/2)
}

// BarX, BarLo and BarHi place an error bar.
func (c Chart) BarX(e ErrorBar) float64  { return c.px(e.X) }
func (c Chart) BarLo(e ErrorBar) float64 { return c.py(c.clampY(e.Lo)) }
func (c Chart) BarHi(e ErrorBar) float64 { return c.py(c.clampY(e.Hi)) }

// RefPos places a reference line, or reports it outside the range.
func (c Chart) RefPos(y float64) (float64, bool) { return c.py(y), y >= c.YMin && y <= c.YMax }

// F formats an SVG coordinate.
func F(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// niceTicks returns round values (1, 2 or 5 × 10^k apart) covering [lo, hi].
func niceTicks(lo, hi float64, want int) []float64 {
	if !(hi > lo) || want < 2 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(want-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

func formatTick(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Span returns a padded [lo, hi] around values (and around zero when
// includeZero), for an axis range.
func Span(values []float64, includeZero bool) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	if includeZero {
		lo, hi = 0, 0
	}
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if math.IsInf(lo, 1) {
		return -1, 1
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.1
	return lo - pad, hi + pad
}

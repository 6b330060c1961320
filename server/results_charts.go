package server

import (
	"fmt"
	"math"

	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/templates"
)

// Colours of before/after in the psychometric plots.
const (
	beforeColor = "#8a8a8a"
	afterColor  = "#2457a6"
)

// properties are the page's sections: each property of the effect with
// humans and model networks side by side, or why there is nothing to show.
func properties(res analysis.Results, orientations map[string]float64) []templates.PropertyView {
	return []templates.PropertyView{
		{
			ID: "sign", Title: "Sign",
			Explain: "The classic effect: after induction the pattern paired with red looks greener (its PSE moves up, towards red) and the one " +
				"paired with green looks pinker (down). Left: each group's mean contingent effect with its 95% interval; right: each unit's " +
				"two shifts (filled: red-paired, hollow: green-paired; a triangle is a bound, pointing where the true value lies).",
			Charts: []templates.Chart{*effectChart(res.Groups), *shiftChart(res.Groups)},
		},
		doseProperty(res),
		tuningProperty(res, orientations),
		decayProperty(res),
	}
}

// statDot draws a group statistic at x: its mean (a triangle when it is a
// bound) and its interval.
func statDot(c *templates.Chart, x float64, s analysis.Stat, color, label string, ys *[]float64) bool {
	if s.Mean == nil {
		return false
	}
	bound := ""
	if s.Censored == string(analysis.Above) || s.Censored == string(analysis.Below) {
		bound = s.Censored
	}
	c.Dots = append(c.Dots, templates.Dot{X: x, Y: *s.Mean, Color: color, Bound: bound,
		Label: fmt.Sprintf("%s: %.2f a* (n = %d)", label, *s.Mean, s.N)})
	*ys = append(*ys, *s.Mean)
	if s.CILow != nil && s.CIHigh != nil {
		c.ErrorBars = append(c.ErrorBars, templates.ErrorBar{X: x, Lo: *s.CILow, Hi: *s.CIHigh, Color: color})
		*ys = append(*ys, *s.CILow, *s.CIHigh)
	}
	return true
}

// effectChart: each group's mean contingent effect with its 95% interval.
func effectChart(groups []analysis.Group) *templates.Chart {
	c := &templates.Chart{Title: "Contingent effect by group", XLabel: "group", YLabel: "contingent effect (a*)", RefY: []float64{0}}
	var ys []float64
	for i, g := range groups {
		c.Categories = append(c.Categories, fmt.Sprintf("%s (%s)", groupLabel(g), unitsLabel(g)))
		statDot(c, float64(i), g.ContingentEffect, groupColor(i), groupLabel(g), &ys)
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	return c
}

// shiftChart: every unit's shift of the red-paired and the green-paired
// pattern, by group (expected: above and below zero).
func shiftChart(groups []analysis.Group) *templates.Chart {
	c := &templates.Chart{Title: "Shift per participant or network", XLabel: "pattern paired with", YLabel: "shift = PSE post − PSE baseline (a*)", RefY: []float64{0}}
	var ys []float64
	for gi, g := range groups {
		for k, which := range []string{analysis.UnitRedPairedShift, analysis.UnitGreenPairedShift} {
			x := float64(2*gi + k)
			name := "red"
			if k == 1 {
				name = "green"
			}
			c.Categories = append(c.Categories, name) // the group is its colour (legend): long labels overlap
			for n, u := range g.Units {
				v, ok := u.Values[which]
				if !ok {
					continue
				}
				jitter := (float64(n%9) - 4) * 0.04 // deterministic spread so dots don't hide each other
				c.Dots = append(c.Dots, templates.Dot{X: x + jitter, Y: v.V, Color: groupColor(gi), Hollow: k == 1, Bound: string(v.Censor),
					Label: fmt.Sprintf("%s: %s a*", shortID(u.Key), fmtBound(&v.V, v.Censor))})
				ys = append(ys, v.V)
			}
		}
		c.Legend = append(c.Legend, templates.LegendItem{Color: groupColor(gi), Label: groupLabel(g)})
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	return c
}

// doseProperty: the contingent effect by induction duration.
func doseProperty(res analysis.Results) templates.PropertyView {
	p := templates.PropertyView{ID: "dose", Title: "Dose",
		Explain: "The contingent effect by induction duration. In people it grows with longer induction, never faster than in proportion to the time."}
	c := templates.Chart{Title: "Contingent effect by induction duration", XLabel: "induction (s)", YLabel: "contingent effect (a*)", RefY: []float64{0}}
	var xs, ys []float64
	durations := map[float64]bool{}
	for i, g := range res.Groups {
		line := templates.Line{Color: groupColor(i)}
		for _, pt := range analysis.Dose(g, res.Options) {
			durations[pt.X] = true
			xs = append(xs, pt.X)
			if statDot(&c, pt.X, pt.Stat, groupColor(i), fmt.Sprintf("%s, %g s", groupLabel(g), pt.X), &ys) {
				line.X, line.Y = append(line.X, pt.X), append(line.Y, *pt.Stat.Mean)
			}
		}
		c.Lines = append(c.Lines, line)
		c.Legend = append(c.Legend, templates.LegendItem{Color: groupColor(i), Label: groupLabel(g)})
	}
	if len(durations) < 2 {
		for d := range durations {
			p.Note = fmt.Sprintf("No dose data yet: every included session so far ran %g s of induction. ", d)
		}
		p.Note += "Change the induction duration (an experiment with sessions gets a new version; sessions of every version are compared here) " +
			"and run the model networks on each version."
		return p
	}
	c.XMin, c.XMax = templates.Span(append(xs, 0), false)
	c.YMin, c.YMax = templates.Span(ys, true)
	p.Charts = []templates.Chart{c}
	return p
}

// tuningProperty: the shift of test gratings by orientation relative to
// the red-paired pattern, 0–180° in 15° steps (180° repeats 0°).
func tuningProperty(res analysis.Results, orientations map[string]float64) templates.PropertyView {
	p := templates.PropertyView{ID: "tuning", Title: "Orientation tuning",
		Explain: "The shift of each test grating by its orientation relative to the red-paired pattern (0° = the red-paired orientation; 90° = " +
			"the green-paired one for a horizontal/vertical pair). In people, obliques midway between the induced orientations show little effect."}
	c := templates.Chart{Title: "Shift by test orientation", XLabel: "orientation relative to the red-paired pattern (°)", YLabel: "mean shift (a*)",
		XMin: -7.5, XMax: 187.5, RefY: []float64{0}}
	for x := 0.0; x <= 180; x += analysis.TuningStep {
		c.XTickValues = append(c.XTickValues, x)
	}
	var ys []float64
	bins := map[float64]bool{}
	for i, g := range res.Groups {
		offset := (float64(i) - float64(len(res.Groups)-1)/2) * 1.5
		line := templates.Line{Color: groupColor(i)}
		pts := analysis.Tuning(g, orientations, res.Options)
		if len(pts) > 0 && pts[0].X == 0 {
			pts = append(pts, analysis.Point{X: 180, Stat: pts[0].Stat})
		}
		for _, pt := range pts {
			bins[math.Mod(pt.X, 180)] = true
			x := pt.X + offset
			if statDot(&c, x, pt.Stat, groupColor(i), fmt.Sprintf("%s, %g°", groupLabel(g), pt.X), &ys) {
				line.X, line.Y = append(line.X, x), append(line.Y, *pt.Stat.Mean)
			}
		}
		c.Lines = append(c.Lines, line)
		c.Legend = append(c.Legend, templates.LegendItem{Color: groupColor(i), Label: groupLabel(g)})
	}
	switch {
	case len(orientations) == 0 || !hasPair(orientations):
		p.Note = "Orientation tuning needs a pair of gratings; this experiment's pair is not."
	case len(bins) <= 2:
		p.Note = "No tuning data yet beyond the two induced orientations. Add extra test patterns that are gratings at other orientations " +
			"(every 15° from 0° to 165° gives the full curve); each is tested before and after induction like the pair."
	default:
		c.YMin, c.YMax = templates.Span(ys, true)
		p.Charts = []templates.Chart{c}
	}
	return p
}

func hasPair(orientations map[string]float64) bool {
	_, a := orientations["a"]
	_, b := orientations["b"]
	return a && b
}

// decayProperty: the contingent effect right after induction and at the
// follow-up test, over the units tested at both.
func decayProperty(res analysis.Results) templates.PropertyView {
	p := templates.PropertyView{ID: "decay", Title: "Decay",
		Explain: "The contingent effect right after induction and at the follow-up test, over those tested at both. In people a fast part " +
			"decays within minutes and a slow part persists (for days when the patterns are not seen again)."}
	c := templates.Chart{Title: "Contingent effect after induction and at follow-up", XLabel: "test", YLabel: "contingent effect (a*)",
		RefY: []float64{0}, Categories: []string{"right after induction"}}
	column := map[string]int{}
	var ys []float64
	for i, g := range res.Groups {
		for _, d := range analysis.Decay(g, res.Options) {
			name := "follow-up"
			if d.AfterS != nil {
				name = "follow-up after " + formatDelay(*d.AfterS)
			}
			x, ok := column[name]
			if !ok {
				x = len(c.Categories)
				column[name] = x
				c.Categories = append(c.Categories, name)
			}
			offset := (float64(i) - float64(len(res.Groups)-1)/2) * 0.12
			okPost := statDot(&c, offset, d.Post, groupColor(i), groupLabel(g)+", after induction", &ys)
			okFollow := statDot(&c, float64(x)+offset, d.Followup, groupColor(i), groupLabel(g)+", "+name, &ys)
			if okPost && okFollow {
				c.Lines = append(c.Lines, templates.Line{X: []float64{offset, float64(x) + offset}, Y: []float64{*d.Post.Mean, *d.Followup.Mean}, Color: groupColor(i)})
			}
			p.Rows = append(p.Rows, templates.DecayRow{Group: groupLabel(g), After: name, Units: d.Post.N,
				Retained: fmtPercent(d.Retained), Change: fmtNum(d.Change.Mean), CI: statView(d.Change).CI, P: statView(d.Change).P})
		}
		c.Legend = append(c.Legend, templates.LegendItem{Color: groupColor(i), Label: groupLabel(g)})
	}
	if len(p.Rows) == 0 {
		p.Note = "No follow-up data yet. Turn on the follow-up retest (phases.followup, with followup_after_s); models run it too, " +
			"their clock advanced by the delay."
		return p
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	p.Charts = []templates.Chart{c}
	return p
}

func formatDelay(s float64) string {
	switch {
	case s >= 86400 && math.Mod(s, 86400) == 0:
		return fmt.Sprintf("%g d", s/86400)
	case s >= 3600 && math.Mod(s, 3600) == 0:
		return fmt.Sprintf("%g h", s/3600)
	case s >= 60 && math.Mod(s, 60) == 0:
		return fmt.Sprintf("%g min", s/60)
	}
	return fmt.Sprintf("%g s", s)
}

func fmtPercent(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100**p)
}

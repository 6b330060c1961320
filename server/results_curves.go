package server

import (
	"fmt"
	"math"

	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/templates"
)

// curveCharts: pooled proportion "red" by tint before and after induction,
// with logistic fits, for the first group (humans when there are any). A
// and B are pooled by their role (the pattern paired with red, the one paired
// with green), since counterbalancing would otherwise cancel the effect in
// the pooled curves; controls and morphs are shown by name.
func curveCharts(g analysis.Group, parts []analysis.Participant) ([]templates.Chart, string) {
	conditions := map[string]pairing{}
	for _, p := range g.Participants {
		if p.Included {
			conditions[p.SessionID] = pairing{red: p.Condition.RedPattern, green: p.Condition.GreenPattern}
		}
	}
	const redRole, greenRole = "the pattern paired with red", "the pattern paired with green"
	pooled := map[string]map[string][]analysis.TrialRow{} // role → phase → rows
	roles := []string{redRole, greenRole}
	for _, p := range parts {
		cond, ok := conditions[p.SessionID]
		if !ok {
			continue
		}
		for _, t := range p.Trials {
			if t.Response == "" || (t.Phase != "baseline" && t.Phase != "post") {
				continue
			}
			role := t.Pattern
			switch t.Pattern {
			case cond.red:
				role = redRole
			case cond.green:
				role = greenRole
			}
			if pooled[role] == nil {
				pooled[role] = map[string][]analysis.TrialRow{}
				if role != redRole && role != greenRole {
					roles = append(roles, role)
				}
			}
			pooled[role][t.Phase] = append(pooled[role][t.Phase], t)
		}
	}
	var charts []templates.Chart
	for _, role := range roles {
		if pooled[role] == nil {
			continue
		}
		title := "Control: " + role
		if role == redRole || role == greenRole {
			title = "Test on " + role
		}
		charts = append(charts, curveChart(title, pooled[role]))
	}
	return charts, groupLabel(g)
}

type pairing struct{ red, green string }

func curveChart(title string, byPhase map[string][]analysis.TrialRow) templates.Chart {
	c := templates.Chart{Title: title, XLabel: "tint of the light stripes (a*)", YLabel: "P(reddish)",
		YMin: 0, YMax: 1, RefY: []float64{0.5},
		Legend: []templates.LegendItem{{Color: beforeColor, Label: "before induction"}, {Color: afterColor, Label: "after induction"}}}
	var xs []float64
	for _, rows := range byPhase {
		for _, r := range rows {
			xs = append(xs, r.Tint)
		}
	}
	c.XMin, c.XMax = templates.Span(xs, false)
	for _, ph := range []struct{ phase, color string }{{"baseline", beforeColor}, {"post", afterColor}} {
		rows := byPhase[ph.phase]
		for _, pt := range analysis.Curve(rows) {
			c.Dots = append(c.Dots, templates.Dot{X: pt.Tint, Y: pt.PRed, Color: ph.color,
				Label: fmt.Sprintf("%s, tint %g: %d of %d reddish", ph.phase, pt.Tint, pt.NRed, pt.N)})
		}
		fit := analysis.FitRows(rows, analysis.DefaultMaxLapse)
		if !fit.OK() {
			continue
		}
		line := templates.Line{Color: ph.color}
		for i := 0; i <= 60; i++ {
			x := c.XMin + (c.XMax-c.XMin)*float64(i)/60
			if y := fit.P(x); !math.IsNaN(y) {
				line.X, line.Y = append(line.X, x), append(line.Y, y)
			}
		}
		c.Lines = append(c.Lines, line)
	}
	return c
}

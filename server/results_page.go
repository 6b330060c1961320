package server

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/templates"
)

// Colours of the results plots: one per group, and before/after.
var groupColors = map[string]string{"human": "#2457a6", "decorrelation": "#b35c00", "suppression": "#6a3d9a", "none": "#5f6368"}

const (
	beforeColor = "#8a8a8a"
	afterColor  = "#2457a6"
)

// resultsPage serves /researcher/experiments/{slug}/results.
func (s *Server) resultsPage(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	parts, err := s.db.AnalysisParticipants(ctx, e.ID)
	if err != nil {
		return err
	}
	res := analysis.Analyze(parts, analysis.Options{Seed: e.ID})
	v := templates.ResultsView{Slug: e.Slug, Name: e.Name}
	for _, g := range res.Groups {
		v.Groups = append(v.Groups, groupView(g))
	}
	if len(res.Groups) > 0 {
		v.EffectChart = effectChart(res.Groups)
		v.ShiftChart = shiftChart(res.Groups)
		v.Curves, v.CurvesOf = curveCharts(res.Groups[0], parts)
		v.Tuning = tuningChart(res.Groups, e.Definition.PatternNames())
	}
	for _, g := range res.Groups {
		for _, p := range g.Participants {
			v.Participants = append(v.Participants, templates.ParticipantView{
				Session: shortID(p.SessionID), Ref: p.ParticipantRef, Group: groupLabel(g), RedPattern: p.Condition.RedPattern,
				ShiftA: fmtNum(p.Shifts["a"]), ShiftB: fmtNum(p.Shifts["b"]), Effect: fmtNum(p.ContingentEffect),
				Included: p.Included, Reason: p.ExclusionReason,
			})
		}
	}
	runs, err := s.db.ObserverRuns(ctx, r.ID, e.Slug)
	if err != nil {
		return err
	}
	for _, run := range runs {
		note := ""
		if run.Error != nil {
			note = *run.Error
		}
		v.Runs = append(v.Runs, templates.RunView{ID: run.ID, Mechanism: run.Mechanism, Seed: run.Seed, Status: run.Status,
			Note: note, Progress: int(math.Round(100 * run.Progress))})
	}
	v.Queued, _ = strconv.Atoi(c.QueryParam("queued"))
	for _, m := range convnet.Mechanisms {
		v.Mechanisms = append(v.Mechanisms, string(m))
	}
	return render(c, templates.Results(viewer(c), v))
}

func groupKey(g analysis.Group) string {
	if g.Mechanism != nil {
		return *g.Mechanism
	}
	return g.ParticipantKind
}

func groupLabel(g analysis.Group) string {
	if g.ParticipantKind == "human" {
		return "humans"
	}
	if g.Mechanism != nil {
		return "model: " + *g.Mechanism
	}
	return "model"
}

func groupColor(g analysis.Group) string {
	if c, ok := groupColors[groupKey(g)]; ok {
		return c
	}
	return "#333"
}

func groupView(g analysis.Group) templates.GroupView {
	reasons := map[string]int{}
	for _, x := range g.Excluded {
		reasons[x.Reason]++
	}
	var why []string
	for r, n := range reasons {
		why = append(why, fmt.Sprintf("%s: %d", r, n))
	}
	sort.Strings(why)
	return templates.GroupView{Label: groupLabel(g), Color: groupColor(g), N: g.N, NExcluded: g.NExcluded,
		Effect: statView(g.ContingentEffect), Noncontingent: statView(g.NoncontingentShift), ExcludedReason: why}
}

func statView(s analysis.Stat) templates.StatView {
	v := templates.StatView{Mean: fmtNum(s.Mean), DZ: fmtNum(s.DZ), P: "–"}
	if s.CILow != nil && s.CIHigh != nil {
		v.CI = fmt.Sprintf("[%.2f, %.2f]", *s.CILow, *s.CIHigh)
	}
	if s.P != nil {
		v.P = fmt.Sprintf("%.3g", *s.P)
	}
	return v
}

func fmtNum(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *p)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// effectChart: each group's mean contingent effect with its 95% CI.
func effectChart(groups []analysis.Group) *templates.Chart {
	c := &templates.Chart{Title: "Contingent effect by group", XLabel: "group", YLabel: "contingent effect (a*)", RefY: []float64{0}}
	var ys []float64
	for i, g := range groups {
		c.Categories = append(c.Categories, groupLabel(g))
		ce := g.ContingentEffect
		if ce.Mean == nil {
			continue
		}
		c.Dots = append(c.Dots, templates.Dot{X: float64(i), Y: *ce.Mean, Color: groupColor(g), Label: fmt.Sprintf("%s: %.2f a*", groupLabel(g), *ce.Mean)})
		ys = append(ys, *ce.Mean)
		if ce.CILow != nil && ce.CIHigh != nil {
			c.ErrorBars = append(c.ErrorBars, templates.ErrorBar{X: float64(i), Lo: *ce.CILow, Hi: *ce.CIHigh, Color: groupColor(g)})
			ys = append(ys, *ce.CILow, *ce.CIHigh)
		}
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	return c
}

// shiftChart: every included participant's shift of the red-paired and the
// green-paired pattern, by group (expected: above and below zero).
func shiftChart(groups []analysis.Group) *templates.Chart {
	c := &templates.Chart{Title: "Shift per participant", XLabel: "pattern paired with", YLabel: "shift = PSE post − PSE baseline (a*)", RefY: []float64{0}}
	var ys []float64
	for gi, g := range groups {
		for k, which := range []string{"red", "green"} {
			x := float64(2*gi + k)
			c.Categories = append(c.Categories, fmt.Sprintf("%s (%s)", which, groupLabel(g)))
			n := 0
			for _, p := range g.Participants {
				if !p.Included {
					continue
				}
				pattern := p.Condition.RedPattern
				if which == "green" {
					pattern = p.Condition.GreenPattern
				}
				s := p.Shifts[pattern]
				if s == nil {
					continue
				}
				jitter := (float64(n%9) - 4) * 0.04 // deterministic spread so dots don't hide each other
				n++
				c.Dots = append(c.Dots, templates.Dot{X: x + jitter, Y: *s, Color: groupColor(g), Hollow: which == "green",
					Label: fmt.Sprintf("%s: %.2f a*", shortID(p.SessionID), *s)})
				ys = append(ys, *s)
			}
		}
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	return c
}

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

// tuningChart: each group's mean shift of every test pattern, in the
// definition's order (a, b, controls and morphs), with 95% CIs.
func tuningChart(groups []analysis.Group, patterns []string) *templates.Chart {
	if len(patterns) <= 2 {
		return nil // only a and b: the shift chart says it all
	}
	c := &templates.Chart{Title: "Mean shift by test pattern", XLabel: "test pattern", YLabel: "mean shift (a*)",
		Categories: patterns, RefY: []float64{0}}
	var ys []float64
	for gi, g := range groups {
		offset := (float64(gi) - float64(len(groups)-1)/2) * 0.12
		line := templates.Line{Color: groupColor(g)}
		for i, name := range patterns {
			for _, ps := range g.Patterns {
				if ps.Kind != analysis.SummaryShift || ps.Pattern != name || ps.Phase != "post" || ps.ShiftMean == nil {
					continue
				}
				x := float64(i) + offset
				line.X, line.Y = append(line.X, x), append(line.Y, *ps.ShiftMean)
				c.Dots = append(c.Dots, templates.Dot{X: x, Y: *ps.ShiftMean, Color: groupColor(g), Label: fmt.Sprintf("%s, %s: %.2f a*", groupLabel(g), name, *ps.ShiftMean)})
				ys = append(ys, *ps.ShiftMean)
				if ps.CILow != nil && ps.CIHigh != nil {
					c.ErrorBars = append(c.ErrorBars, templates.ErrorBar{X: x, Lo: *ps.CILow, Hi: *ps.CIHigh, Color: groupColor(g)})
					ys = append(ys, *ps.CILow, *ps.CIHigh)
				}
			}
		}
		c.Lines = append(c.Lines, line)
		c.Legend = append(c.Legend, templates.LegendItem{Color: groupColor(g), Label: groupLabel(g)})
	}
	c.YMin, c.YMax = templates.Span(ys, true)
	return c
}

package server

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/templates"
)

// resultsPage serves /researcher/experiments/{slug}/results: per property
// of the effect (sign, dose, orientation tuning, decay) humans and model
// networks side by side.
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
	for i, g := range res.Groups {
		v.Groups = append(v.Groups, groupView(g, i))
	}
	if len(res.Groups) > 0 {
		v.Properties = properties(res, analysis.GratingOrientations(e.Definition))
		v.Curves, v.CurvesOf = curveCharts(res.Groups[0], parts)
	}
	for _, g := range res.Groups {
		for _, p := range g.Participants {
			v.Participants = append(v.Participants, templates.ParticipantView{
				Session: shortID(p.SessionID), Ref: p.ParticipantRef, Group: groupLabel(g), Network: shortID(p.Network),
				RedPattern: p.Condition.RedPattern,
				ShiftA:     fmtBound(p.Shifts["a"], p.Censors["shift/a"]), ShiftB: fmtBound(p.Shifts["b"], p.Censors["shift/b"]),
				Effect:   fmtBound(p.ContingentEffect, p.Censors["contingent_effect"]),
				Included: p.Included, Reason: p.ExclusionReason, Detail: p.ExclusionDetail,
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
	for _, m := range experiments.Mechanisms {
		v.Mechanisms = append(v.Mechanisms, string(m))
	}
	return render(c, templates.Results(viewer(c), v))
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

// groupPalette colours the groups in result order (humans first).
var groupPalette = []string{"#2457a6", "#b35c00", "#6a3d9a", "#1b7f4b", "#a3263a", "#5f6368"}

func groupColor(i int) string { return groupPalette[i%len(groupPalette)] }

// unitsLabel is "12 participants" or "8 networks".
func unitsLabel(g analysis.Group) string {
	unit := g.Unit
	if g.N != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", g.N, unit)
}

func groupView(g analysis.Group, i int) templates.GroupView {
	reasons := map[string]int{}
	for _, x := range g.Excluded {
		reasons[x.Reason]++
	}
	var why []string
	for r, n := range reasons {
		why = append(why, fmt.Sprintf("%s: %d", r, n))
	}
	sort.Strings(why)
	return templates.GroupView{Label: groupLabel(g), Color: groupColor(i), Units: unitsLabel(g), Sessions: g.NSessions, NExcluded: g.NExcluded,
		Effect: statView(g.ContingentEffect), Noncontingent: statView(g.NoncontingentShift), ExcludedReason: why}
}

func statView(s analysis.Stat) templates.StatView {
	v := templates.StatView{Mean: fmtNum(s.Mean), DZ: fmtNum(s.DZ), P: "–", CI: "–"}
	switch {
	case s.CILow != nil && s.CIHigh != nil:
		v.CI = fmt.Sprintf("[%.2f, %.2f]", *s.CILow, *s.CIHigh)
	case s.N > 0:
		v.CI = "unbounded (n < 6)"
	}
	if s.P != nil {
		v.P = fmt.Sprintf("%.3g", *s.P)
	}
	if s.Mean != nil {
		switch s.Censored {
		case string(analysis.Above):
			v.Mean = "≥ " + v.Mean
		case string(analysis.Below):
			v.Mean = "≤ " + v.Mean
		}
	}
	if s.NCensored > 0 {
		v.Censored = fmt.Sprintf("%d of %d at a bound", s.NCensored, s.N)
	}
	return v
}

func fmtNum(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *p)
}

// fmtBound writes a value the data only bound as "> 12.00" or "< -3.10".
func fmtBound(p *float64, c analysis.Censor) string {
	switch {
	case p == nil:
		return "–"
	case c == analysis.Above:
		return "> " + fmtNum(p)
	case c == analysis.Below:
		return "< " + fmtNum(p)
	}
	return fmtNum(p)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

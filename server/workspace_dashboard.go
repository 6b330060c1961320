package server

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// dashboardPage serves GET /researcher/experiments/{slug}.
func (s *Server) dashboardPage(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	n := savedNotice(c, e)
	if n.Message == "" {
		n = hygieneNotice(c)
	}
	return s.renderDashboard(c, e, n)
}

// recentSessions is how many sessions the dashboard lists.
const recentSessions = 20

func (s *Server) renderDashboard(c echo.Context, e storage.Experiment, n templates.Notice) error {
	return s.renderDashboardWith(c, e, n, templates.DeleteDataForm{By: "session"})
}

// renderDashboardWith shows the dashboard with the deletion form as typed.
func (s *Server) renderDashboardWith(c echo.Context, e storage.Experiment, n templates.Notice, del templates.DeleteDataForm) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	d, err := s.db.Dashboard(ctx, r.ID, e.Slug)
	if err != nil {
		return err
	}
	list, err := s.db.ExperimentSessions(ctx, r.ID, e.Slug, recentSessions)
	if err != nil {
		return err
	}
	audit, err := s.auditRows(c, e.Slug)
	if err != nil {
		return err
	}
	page := templates.DashboardPage{Header: s.experimentHeader(c, e, "dashboard"), Stats: dashboardStats(d, e.Definition.Arms()), Notice: n,
		Arms: e.Definition.Arms(), Previews: d.Previews, Delete: del, Audit: audit}
	for _, ss := range list {
		page.Sessions = append(page.Sessions, sessionRow(ss))
	}
	return render(c, templates.ExperimentDashboard(viewer(c), page))
}

// The formats below are also those of static/dashboard.js, which redraws
// the dashboard from the JSON API.

var statusOrder = []string{experiments.StatusStarted, experiments.StatusComplete, experiments.StatusAbandoned}

func dashboardStats(d storage.Dashboard, arms int) templates.DashboardStats {
	st := templates.DashboardStats{Total: d.Total, Models: d.Models, Completion: "–", Median: "–", Last: "none yet"}
	if d.Total > 0 {
		st.Completion = fmt.Sprintf("%d%%", int(math.Round(d.CompletionRate*100)))
	}
	if d.MedianDurationS != nil {
		st.Median = formatSeconds(*d.MedianDurationS)
	}
	if d.LastActivity != nil {
		st.Last = when(*d.LastActivity)
	}
	st.Summary = summaryLine(d.Total, d.ByStatus)
	seen := map[string]bool{}
	for _, k := range statusOrder {
		st.ByStatus = append(st.ByStatus, templates.CountRow{Label: k, Count: d.ByStatus[k]})
		seen[k] = true
	}
	var others []string
	for k := range d.ByStatus {
		if !seen[k] {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		st.ByStatus = append(st.ByStatus, templates.CountRow{Label: k, Count: d.ByStatus[k]})
	}
	conds := []int{}
	for a := range arms {
		conds = append(conds, a)
	}
	for a := range d.ByCondition {
		if a >= arms {
			conds = append(conds, a)
		}
	}
	sort.Ints(conds)
	for _, a := range conds {
		m := d.ByCondition[a]
		row := templates.ConditionRow{Label: conditionLabel(a), Started: m[experiments.StatusStarted],
			Complete: m[experiments.StatusComplete], Abandoned: m[experiments.StatusAbandoned]}
		for _, n := range m {
			row.Total += n
		}
		st.Conditions = append(st.Conditions, row)
	}
	for _, rr := range d.RefreshRates {
		st.Refresh = append(st.Refresh, templates.CountRow{Label: fmt.Sprintf("%d Hz", rr.Hz), Count: rr.Count})
	}
	return st
}

func conditionLabel(arm int) string {
	c := experiments.ConditionForArm(arm)
	return fmt.Sprintf("%d: red %s, green %s", arm, strings.ToUpper(c.RedPattern), strings.ToUpper(c.GreenPattern))
}

func summaryLine(total int, by map[string]int) string {
	if total == 0 {
		return "No sessions yet."
	}
	return fmt.Sprintf("%s: %d complete, %d in progress, %d abandoned.", countNounPlain(total, "session", "sessions"),
		by[experiments.StatusComplete], by[experiments.StatusStarted], by[experiments.StatusAbandoned])
}

func countNounPlain(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// formatSeconds writes a duration as "42 s" or "4 min 12 s".
func formatSeconds(sec float64) string {
	n := int(sec + 0.5)
	if n < 60 {
		return fmt.Sprintf("%d s", n)
	}
	return fmt.Sprintf("%d min %d s", n/60, n%60)
}

func sessionRow(ss storage.SessionSummary) templates.SessionRow {
	row := templates.SessionRow{ID: ss.ID, Started: when(ss.CreatedAt), Participant: ss.ParticipantRef, Kind: ss.Kind,
		Version: ss.Version, Condition: ss.Condition, Status: ss.Status, Trials: ss.Trials, Refresh: "–"}
	if ss.RefreshHz != nil {
		row.Refresh = fmt.Sprintf("%.1f Hz", *ss.RefreshHz)
	}
	if ss.CompletedAt != nil {
		row.Completed = when(*ss.CompletedAt)
	}
	if ss.Preview {
		row.Kind += " (preview)"
	}
	if row.Participant == "" && ss.Mechanism != nil {
		row.Participant = "model: " + *ss.Mechanism
	}
	return row
}

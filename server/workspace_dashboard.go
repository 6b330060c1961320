package server

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// An experiment's dashboard: the page, and its live part as an HTML
// fragment that the page polls (static/dashboard.js swaps it in). Both are
// rendered by the one templ component, templates.DashboardLive, so the
// dashboard's formats live here and nowhere else.

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

// dashboardLive serves GET /researcher/experiments/{slug}/live: the
// dashboard's live part alone, for the page to poll.
func (s *Server) dashboardLive(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	live, _, err := s.dashboardLiveData(c, e)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, templates.DashboardLive(live))
}

// recentSessions is how many sessions the dashboard lists.
const recentSessions = 20

func (s *Server) renderDashboard(c echo.Context, e storage.Experiment, n templates.Notice) error {
	return s.renderDashboardWith(c, e, n, templates.DeleteDataForm{By: "session"})
}

// renderDashboardWith shows the dashboard with the deletion form as typed.
func (s *Server) renderDashboardWith(c echo.Context, e storage.Experiment, n templates.Notice, del templates.DeleteDataForm) error {
	live, d, err := s.dashboardLiveData(c, e)
	if err != nil {
		return err
	}
	audit, err := s.auditRows(c, e.Slug)
	if err != nil {
		return err
	}
	return render(c, templates.ExperimentDashboard(viewer(c), templates.DashboardPage{
		Header: s.experimentHeader(c, e, "dashboard"), Notice: n, Live: live,
		Previews: d.Previews, Delete: del, Audit: audit}))
}

// dashboardLiveData is what the live part shows now, with the counts it
// was made from.
func (s *Server) dashboardLiveData(c echo.Context, e storage.Experiment) (templates.DashboardLiveData, storage.Dashboard, error) {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	d, err := s.db.Dashboard(ctx, r.ID, e.Slug)
	if err != nil {
		return templates.DashboardLiveData{}, d, err
	}
	list, err := s.db.ExperimentSessions(ctx, r.ID, e.Slug, recentSessions)
	if err != nil {
		return templates.DashboardLiveData{}, d, err
	}
	live := dashboardLiveData(d, e.Definition.Arms())
	for _, ss := range list {
		live.Sessions = append(live.Sessions, sessionRow(ss))
	}
	return live, d, nil
}

// sessionStatuses are the statuses the dashboard counts, in the order a
// session reaches them, with the words it uses for each.
var sessionStatuses = []struct{ status, label string }{
	{experiments.StatusStarted, "in progress"},
	{experiments.StatusComplete, "complete"},
	{experiments.StatusAbandoned, "abandoned"},
	{experiments.StatusWithdrawn, "withdrawn"},
	{experiments.StatusScreenedOut, "screened out"},
}

// dashboardLiveData formats the counts of d for an experiment with arms
// counterbalancing conditions: every status counted, in every table.
func dashboardLiveData(d storage.Dashboard, arms int) templates.DashboardLiveData {
	live := templates.DashboardLiveData{Total: d.Total, Models: d.Models, Completion: "–", Median: "–", Last: "none yet"}
	if d.Total > 0 {
		live.Completion = fmt.Sprintf("%d%%", int(math.Round(d.CompletionRate*100)))
	}
	if d.MedianDurationS != nil {
		live.Median = formatSeconds(*d.MedianDurationS)
	}
	if d.LastActivity != nil {
		live.Last = when(*d.LastActivity)
	}
	statuses := make([]string, 0, len(sessionStatuses))
	for _, st := range sessionStatuses {
		live.Statuses = append(live.Statuses, st.label)
		statuses = append(statuses, st.status)
	}
	// A status this version does not know still counts, under its own name.
	var others []string
	for k := range d.ByStatus {
		if !slices.Contains(statuses, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	live.Statuses = append(live.Statuses, others...)
	statuses = append(statuses, others...)

	counts := make([]int, len(statuses))
	for i, st := range statuses {
		counts[i] = d.ByStatus[st]
		live.ByStatus = append(live.ByStatus, templates.CountRow{Label: live.Statuses[i], Count: counts[i]})
	}
	live.Summary = summaryLine(d.Total, live.Statuses, counts)

	conds := []int{}
	for a := range arms {
		conds = append(conds, a)
	}
	for a := range d.ByCondition {
		if a >= arms {
			conds = append(conds, a)
		}
	}
	slices.Sort(conds)
	for _, a := range conds {
		row := templates.ConditionRow{Label: conditionLabel(a)}
		for _, st := range statuses {
			row.Counts = append(row.Counts, d.ByCondition[a][st])
		}
		for _, n := range d.ByCondition[a] {
			row.Total += n
		}
		live.Conditions = append(live.Conditions, row)
	}
	for _, rr := range d.RefreshRates {
		live.Refresh = append(live.Refresh, templates.CountRow{Label: fmt.Sprintf("%d Hz", rr.Hz), Count: rr.Count})
	}
	return live
}

func conditionLabel(arm int) string {
	c := experiments.ConditionForArm(arm)
	return fmt.Sprintf("%d: red %s, green %s", arm, strings.ToUpper(c.RedPattern), strings.ToUpper(c.GreenPattern))
}

// summaryLine adds up to total: the first three statuses always, the rarer
// ones when they occur.
func summaryLine(total int, labels []string, counts []int) string {
	if total == 0 {
		return "No sessions yet."
	}
	parts := make([]string, 0, len(labels))
	for i, label := range labels {
		if i < 3 || counts[i] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[i], label))
		}
	}
	return templates.CountNoun(total, "session", "sessions") + ": " + strings.Join(parts, ", ") + "."
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

package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// Study hygiene on the experiment's dashboard: trying the study as a
// participant without polluting the data (previews), and deleting a
// participant's data on request, with an audit log. The same storage calls
// as the JSON API (hygiene_api.go).

// previewSubmit serves POST /researcher/experiments/{slug}/preview: a
// preview session (also for a draft), then the study page of previews
// with the session in the URL's fragment, which browsers keep out of
// requests and logs.
func (s *Server) previewSubmit(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	sess, token, err := s.db.CreateSession(c.Request().Context(), e, storage.NewSession{
		Kind: experiments.KindHuman, ParticipantRef: "preview", Preview: true})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, previewURL(e.Slug, sess.ID, token))
}

// previewURL is where a preview session runs: GET /s/{slug}/preview, which
// reads the session from the fragment.
func previewURL(slug, id, token string) string {
	return "/s/" + slug + "/preview#preview=" + id + "." + token
}

// deletePreviewsSubmit serves POST /researcher/experiments/{slug}/previews/delete.
func (s *Server) deletePreviewsSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	n, err := s.db.DeletePreviews(c.Request().Context(), r.ID, e.Slug)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, expPage(e.Slug)+"?previews_deleted="+strconv.Itoa(n))
}

// deleteDataSubmit serves POST /researcher/experiments/{slug}/delete-data:
// form fields by ("session" or "participant"), id, and confirm (the
// checkbox saying the deletion is meant). The result goes to the audit log.
func (s *Server) deleteDataSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	form := templates.DeleteDataForm{By: c.FormValue("by"), ID: strings.TrimSpace(c.FormValue("id"))}
	if form.By != "participant" {
		form.By = "session"
	}
	fail := func(status int, msg string) error {
		form.Error = msg
		c.Response().Status = status
		return s.renderDashboardWith(c, e, templates.Notice{Kind: "error", Message: "Nothing was deleted: " + msg}, form)
	}
	switch {
	case form.ID == "":
		return fail(http.StatusUnprocessableEntity, "give the session id or the participant id whose data to delete.")
	case c.FormValue("confirm") == "":
		return fail(http.StatusUnprocessableEntity, "tick the box to confirm that the data is to be deleted for good.")
	}
	sessionID, participant := form.ID, ""
	if form.By == "participant" {
		sessionID, participant = "", form.ID
	}
	d, err := s.db.DeleteParticipantData(c.Request().Context(), r.ID, e.Slug, sessionID, participant)
	if experiments.ErrorCode(err) == experiments.NotFound {
		return fail(http.StatusNotFound, fmt.Sprintf("this experiment has no %s with id %q.", form.By, form.ID))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s?deleted=%d-%d-%d", expPage(e.Slug), d.Sessions, d.Trials, d.Events))
}

// hygieneNotice confirms a deletion after its redirect.
func hygieneNotice(c echo.Context) templates.Notice {
	if n := c.QueryParam("previews_deleted"); n != "" {
		k, _ := strconv.Atoi(n)
		return templates.Notice{Kind: "ok", Message: fmt.Sprintf("Deleted %s.", templates.CountNoun(k, "preview session", "preview sessions"))}
	}
	var ss, tt, ee int
	if _, err := fmt.Sscanf(c.QueryParam("deleted"), "%d-%d-%d", &ss, &tt, &ee); err == nil {
		return templates.Notice{Kind: "ok", Message: fmt.Sprintf("Deleted %s with %s and %s. The deletion is recorded in the log below.",
			templates.CountNoun(ss, "session", "sessions"), templates.CountNoun(tt, "trial", "trials"), templates.CountNoun(ee, "event", "events"))}
	}
	return templates.Notice{}
}

// auditRows is the experiment's deletion log as the dashboard lists it.
func (s *Server) auditRows(c echo.Context, slug string) ([]templates.AuditRow, error) {
	r, _ := currentResearcher(c)
	entries, err := s.db.AuditLog(c.Request().Context(), r.ID, slug)
	if err != nil {
		return nil, err
	}
	rows := make([]templates.AuditRow, len(entries))
	for i, a := range entries {
		rows[i] = templates.AuditRow{Who: a.Researcher, When: when(a.At), What: a.Target,
			Sessions: a.Sessions, Trials: a.Trials, Events: a.Events}
	}
	return rows, nil
}

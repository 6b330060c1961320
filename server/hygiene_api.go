package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// withdraw serves POST /api/v1/sessions/{id}/withdraw: the participant
// leaves and their answers and events are deleted.
func (s *Server) withdraw(c echo.Context) error {
	w, err := s.db.WithdrawSession(c.Request().Context(), c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session_id": w.SessionID, "status": experiments.StatusWithdrawn,
		"trials_deleted": w.Trials, "events_deleted": w.Events})
}

// deleteSessionData serves DELETE /api/v1/experiments/{slug}/sessions/{id}.
func (s *Server) deleteSessionData(c echo.Context) error {
	r, _ := currentResearcher(c)
	d, err := s.db.DeleteParticipantData(c.Request().Context(), r.ID, c.Param("slug"), c.Param("id"), "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// deleteParticipantData serves DELETE /api/v1/experiments/{slug}/participants/{participant_id}:
// every session of that recruiter id.
func (s *Server) deleteParticipantData(c echo.Context) error {
	r, _ := currentResearcher(c)
	d, err := s.db.DeleteParticipantData(c.Request().Context(), r.ID, c.Param("slug"), "", c.Param("participant_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// auditLog serves GET /api/v1/experiments/{slug}/audit.
func (s *Server) auditLog(c echo.Context) error {
	r, _ := currentResearcher(c)
	entries, err := s.db.AuditLog(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}

// createPreview serves POST /api/v1/experiments/{slug}/preview: a session
// for the researcher to run the study exactly as a participant would, also
// while it is a draft. It is flagged preview: left out of counterbalancing,
// exports and results.
func (s *Server) createPreview(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	sess, token, err := s.db.CreateSession(ctx, e, storage.NewSession{Kind: experiments.KindHuman, ParticipantRef: "preview", Preview: true})
	if err != nil {
		return err
	}
	// The fragment never reaches a server log: the runner of the preview
	// page (its owner signed in) reads it.
	return c.JSON(http.StatusCreated, map[string]any{"session_id": sess.ID, "token": token, "condition": sess.Condition,
		"url": previewURL(e.Slug, sess.ID, token)})
}

// deletePreviews serves DELETE /api/v1/experiments/{slug}/previews.
func (s *Server) deletePreviews(c echo.Context) error {
	r, _ := currentResearcher(c)
	n, err := s.db.DeletePreviews(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"deleted": n})
}

// definitionExport serves GET /api/v1/experiments/{slug}/definition.json?version=N:
// the exact definition a version ran, with the stimulus specs it renders,
// for replication.
func (s *Server) definitionExport(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	versions, err := s.db.Versions(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	want := versions[0].Version
	if v := c.QueryParam("version"); v != "" {
		if want, err = strconv.Atoi(v); err != nil {
			return asBadRequest(experiments.InvalidFields(experiments.FieldErrors{{Field: "version", Message: "must be a version number"}}))
		}
	}
	for _, v := range versions {
		if v.Version != want {
			continue
		}
		export, err := experiments.NewReplicationExport(c.Param("slug"), v.Version, v.Definition)
		if err != nil {
			return err
		}
		download(c, c.Param("slug")+"_v"+strconv.Itoa(v.Version)+".json", "")
		return c.JSONPretty(http.StatusOK, export, "  ")
	}
	return experiments.Errorf(experiments.NotFound, "experiment %q has no version %d", c.Param("slug"), want)
}

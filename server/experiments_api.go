package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// experimentJSON is an experiment as the API shows it.
type experimentJSON struct {
	Slug       string                 `json:"slug"`
	Name       string                 `json:"name"`
	Status     string                 `json:"status"`
	Version    int                    `json:"version"`
	StudyURL   string                 `json:"study_url"`
	Prolific   string                 `json:"prolific_url"`
	Definition experiments.Definition `json:"definition"`
	Sessions   *int                   `json:"sessions,omitempty"`
	Completed  *int                   `json:"completed,omitempty"`
	CreatedAt  time.Time              `json:"created_at"`
	UpdatedAt  time.Time              `json:"updated_at"`
	// NewVersion says a save created a new version (sessions had run on the
	// previous one, which stays as it was).
	NewVersion *bool `json:"new_version,omitempty"`
}

func (s *Server) toExperimentJSON(c echo.Context, e storage.Experiment) experimentJSON {
	study := studyURL(c, e.Slug)
	return experimentJSON{Slug: e.Slug, Name: e.Name, Status: e.Status, Version: e.Version, StudyURL: study,
		Prolific: prolificURL(study), Definition: e.Definition, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

// studyURL is the participants' link to a study on this server.
func studyURL(c echo.Context, slug string) string {
	scheme := "http"
	if isTLS(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + "/s/" + slug
}

// prolificURL is the study link with Prolific's URL parameters, ready to
// paste into Prolific's study settings.
func prolificURL(study string) string {
	return study + "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
}

func (s *Server) listExperiments(c echo.Context) error {
	r, _ := currentResearcher(c)
	list, err := s.db.Experiments(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	out := make([]experimentJSON, len(list))
	for i, e := range list {
		out[i] = s.toExperimentJSON(c, e.Experiment)
		out[i].Sessions, out[i].Completed = &list[i].Sessions, &list[i].Completed
	}
	return c.JSON(http.StatusOK, map[string]any{"experiments": out})
}

// createExperiment serves POST /api/v1/experiments: a full definition, or
// only slug and name for the classic defaults (or slug, name and pair_id).
func (s *Server) createExperiment(c echo.Context) error {
	r, _ := currentResearcher(c)
	def, err := readDefinition(c, true)
	if err != nil {
		return err
	}
	e, err := s.db.CreateOwnedExperiment(c.Request().Context(), r.ID, def)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toExperimentJSON(c, e))
}

func (s *Server) getExperiment(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toExperimentJSON(c, e))
}

// updateExperiment serves PUT /api/v1/experiments/{slug}: a new definition.
func (s *Server) updateExperiment(c echo.Context) error {
	r, _ := currentResearcher(c)
	// Another researcher's experiment is absent, whatever the body says.
	if _, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug")); err != nil {
		return err
	}
	def, err := readDefinition(c, false)
	if err != nil {
		return err
	}
	e, newVersion, err := s.db.SaveDefinition(c.Request().Context(), r.ID, c.Param("slug"), def)
	if err != nil {
		return err
	}
	out := s.toExperimentJSON(c, e)
	out.NewVersion = &newVersion
	return c.JSON(http.StatusOK, out)
}

// patchExperiment serves PATCH /api/v1/experiments/{slug} {"status": ...}.
func (s *Server) patchExperiment(c echo.Context) error {
	r, _ := currentResearcher(c)
	var req struct {
		Status string `json:"status"`
	}
	if err := readJSON(c, &req, false); err != nil {
		return err
	}
	e, err := s.db.SetStatus(c.Request().Context(), r.ID, c.Param("slug"), req.Status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toExperimentJSON(c, e))
}

func (s *Server) listVersions(c echo.Context) error {
	r, _ := currentResearcher(c)
	vs, err := s.db.Versions(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": vs})
}

func (s *Server) listSessions(c echo.Context) error {
	r, _ := currentResearcher(c)
	list, err := s.db.ExperimentSessions(c.Request().Context(), r.ID, c.Param("slug"), 1000)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sessions": list})
}

func (s *Server) dashboard(c echo.Context) error {
	r, _ := currentResearcher(c)
	d, err := s.db.Dashboard(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, d)
}

// readDefinition decodes an experiment definition: malformed JSON is 400,
// every invalid field is reported at once as 422. For a new experiment, a
// body without patterns starts from the classic study.
func readDefinition(c echo.Context, creating bool) (experiments.Definition, error) {
	body, err := readJSONObject(c)
	if err != nil {
		return experiments.Definition{}, err
	}
	if creating {
		return experiments.ParseNewDefinition(body)
	}
	return experiments.ParseDefinition(body)
}

package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/storage"
)

// csvHeaders starts a CSV download named <slug>_<what>.csv.
func csvHeaders(c echo.Context, slug, what string) {
	download(c, slug+"_"+what+".csv", csvType)
	c.Response().WriteHeader(http.StatusOK)
}

const csvType = "text/csv; charset=utf-8"

// download makes the response a file to save, named filename: researchers'
// data, which no cache along the way may keep. contentType may be "" when
// the handler's writer sets it.
func download(c echo.Context, filename, contentType string) {
	h := c.Response().Header()
	if contentType != "" {
		h.Set(echo.HeaderContentType, contentType)
	}
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	h.Set("Cache-Control", "no-store")
}

// exportCSV serves GET /api/v1/experiments/{slug}/export.csv?kind=&status=:
// every trial in long format, streamed from PostgreSQL.
func (s *Server) exportCSV(c echo.Context) error {
	e, f, err := s.exportRequest(c)
	if err != nil {
		return err
	}
	csvHeaders(c, e.Slug, "trials")
	return s.db.ExportCSV(c.Request().Context(), e.ID, f, c.Response())
}

// sessionsCSV serves GET /api/v1/experiments/{slug}/sessions.csv?kind=&status=:
// one row per session with the facts to exclude by and its flags.
func (s *Server) sessionsCSV(c echo.Context) error {
	e, f, err := s.exportRequest(c)
	if err != nil {
		return err
	}
	csvHeaders(c, e.Slug, "sessions")
	return s.db.WriteSessionsCSV(c.Request().Context(), e.ID, storage.SessionFilter{Kind: f.Kind, Status: f.Status}, c.Response())
}

// exportRequest is the signed-in researcher's experiment named in the path
// and the ?kind=&status= filter of an export.
func (s *Server) exportRequest(c echo.Context) (storage.Experiment, storage.ExportFilter, error) {
	r, _ := currentResearcher(c)
	e, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return storage.Experiment{}, storage.ExportFilter{}, err
	}
	f := storage.ExportFilter{Kind: c.QueryParam("kind"), Status: c.QueryParam("status")}
	if errs := f.Validate(); len(errs) > 0 {
		return storage.Experiment{}, storage.ExportFilter{}, asBadRequest(experiments.InvalidFields(errs))
	}
	return e, f, nil
}

// codebooks are the tables codebook.csv?for= documents.
var codebooks = map[string]func() []experiments.Variable{
	"trials":   storage.ExportVariables,
	"sessions": storage.SessionVariables,
	"summary":  func() []experiments.Variable { return analysis.SummaryVariables },
}

// codebookCSV serves GET /api/v1/experiments/{slug}/codebook.csv?for=trials|sessions|summary
// (trials by default): every column of that CSV, its type, unit, meaning
// and coded values.
func (s *Server) codebookCSV(c echo.Context) error {
	table := c.QueryParam("for")
	if table == "" {
		table = "trials"
	}
	vars, ok := codebooks[table]
	if !ok {
		return asBadRequest(experiments.InvalidFields(experiments.FieldErrors{{Field: "for", Message: "must be trials, sessions or summary"}}))
	}
	r, _ := currentResearcher(c)
	e, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	csvHeaders(c, e.Slug, "codebook_"+table)
	return storage.WriteCodebook(c.Response(), vars())
}

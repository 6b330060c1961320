package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// exportCSV serves GET /api/v1/experiments/{slug}/export.csv?kind=&status=:
// every trial in long format, streamed from PostgreSQL.
func (s *Server) exportCSV(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	f := storage.ExportFilter{Kind: c.QueryParam("kind"), Status: c.QueryParam("status")}
	if errs := f.Validate(); len(errs) > 0 {
		return asBadRequest(experiments.InvalidFields(errs))
	}
	download(c, e.Slug+"_trials.csv", csvType)
	c.Response().WriteHeader(http.StatusOK)
	return s.db.ExportCSV(ctx, e.ID, f, c.Response())
}

// codebookCSV serves GET /api/v1/experiments/{slug}/codebook.csv: what
// each export column means, its type and unit.
func (s *Server) codebookCSV(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	download(c, e.Slug+"_codebook.csv", csvType)
	c.Response().WriteHeader(http.StatusOK)
	return storage.WriteCodebook(c.Response())
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

package server

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/storage"
)

// analyze runs the analysis of one of the signed-in researcher's
// experiments. The seed is the experiment's id, so the bootstrap intervals
// of a dataset are the same on every request and every replica.
func (s *Server) analyze(c echo.Context) (storage.Experiment, analysis.Results, error) {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return storage.Experiment{}, analysis.Results{}, err
	}
	parts, err := s.db.AnalysisParticipants(ctx, e.ID)
	if err != nil {
		return storage.Experiment{}, analysis.Results{}, err
	}
	return e, analysis.Analyze(parts, analysis.Options{Seed: e.ID}), nil
}

// results serves GET /api/v1/experiments/{slug}/results.
func (s *Server) results(c echo.Context) error {
	_, res, err := s.analyze(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

// summaryCSV serves GET /api/v1/experiments/{slug}/summary.csv: one row per
// participant × pattern (PSEs, shift, slopes, fit flags).
func (s *Server) summaryCSV(c echo.Context) error {
	e, res, err := s.analyze(c)
	if err != nil {
		return err
	}
	download(c, e.Slug+"_summary.csv", csvType)
	c.Response().WriteHeader(http.StatusOK)
	return writeSummary(c.Response(), res)
}

func writeSummary(w io.Writer, res analysis.Results) error {
	cw := storage.NewCSVWriter(w)
	_ = cw.Write(analysis.SummaryColumns)
	for _, row := range analysis.SummaryRows(res) {
		_ = cw.Write(row.Strings())
	}
	return cw.Flush()
}

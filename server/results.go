package server

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

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
	cw := csv.NewWriter(w)
	_ = cw.Write(analysis.SummaryColumns)
	for _, row := range analysis.SummaryRows(res) {
		_ = cw.Write(row.Strings())
	}
	cw.Flush()
	return cw.Error()
}

// datasetZip serves GET /api/v1/experiments/{slug}/dataset.zip: a Psych-DS
// dataset (dataset_description.json with the codebook as
// variableMeasured, the trials in data/, the participant summary in
// results/, every definition version in materials/, a README), written
// straight into the response.
func (s *Server) datasetZip(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	e, res, err := s.analyze(c)
	if err != nil {
		return err
	}
	versions, err := s.db.Versions(ctx, r.ID, e.Slug)
	if err != nil {
		return err
	}
	download(c, e.Slug+"_psych-ds.zip", "application/zip")
	c.Response().WriteHeader(http.StatusOK)
	return writeDataset(ctx, s.db, c.Response(), e, res, versions)
}

func writeDataset(ctx context.Context, db *storage.DB, w io.Writer, e storage.Experiment,
	res analysis.Results, versions []storage.Version) error {
	z := zip.NewWriter(w)
	now := time.Now().UTC()
	add := func(name string) (io.Writer, error) {
		return z.CreateHeader(&zip.FileHeader{Name: e.Slug + "/" + name, Method: zip.Deflate, Modified: now})
	}
	dataName := "data/study-" + e.Slug + "_data.csv"
	f, err := add("dataset_description.json")
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(datasetDescription(e, dataName, now)); err != nil {
		return err
	}
	if f, err = add("README.md"); err != nil {
		return err
	}
	if _, err := f.Write([]byte(datasetReadme(e, dataName, versions))); err != nil {
		return err
	}
	if f, err = add(dataName); err != nil {
		return err
	}
	if err := db.ExportCSV(ctx, e.ID, storage.ExportFilter{}, f); err != nil {
		return err
	}
	if f, err = add("results/study-" + e.Slug + "_summary.csv"); err != nil {
		return err
	}
	if err := writeSummary(f, res); err != nil {
		return err
	}
	if f, err = add("documentation/codebook.csv"); err != nil {
		return err
	}
	if err := storage.WriteCodebook(f); err != nil {
		return err
	}
	for _, v := range versions {
		if f, err = add("materials/" + e.Slug + "_v" + strconv.Itoa(v.Version) + ".json"); err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v.Definition); err != nil {
			return err
		}
	}
	return z.Close()
}

// datasetDescription is Psych-DS's dataset_description.json: schema.org
// Dataset metadata with the codebook as variableMeasured.
func datasetDescription(e storage.Experiment, dataName string, now time.Time) map[string]any {
	vars := make([]map[string]any, len(storage.ExportColumns))
	for i, col := range storage.ExportColumns {
		v := map[string]any{"@type": "PropertyValue", "name": col.Name, "description": col.Meaning}
		if col.Unit != "" {
			v["unitText"] = col.Unit
		}
		vars[i] = v
	}
	return map[string]any{
		"@context":      "https://schema.org/",
		"@type":         "Dataset",
		"schemaVersion": "Psych-DS 0.1.0",
		"name":          e.Name,
		"description": "McCollough-effect experiment '" + e.Slug + "': colour judgements of achromatic test patterns before and after " +
			"induction with colour-pattern pairings, by human participants and ConvNet observers. One row per trial in " + dataName + ".",
		"keywords":         []string{"McCollough effect", "contingent aftereffect", "colour vision", "psychophysics", "ConvNet"},
		"dateCreated":      now.Format(time.RFC3339),
		"variableMeasured": vars,
	}
}

func datasetReadme(e storage.Experiment, dataName string, versions []storage.Version) string {
	return "# " + e.Name + "\n\n" +
		"A [Psych-DS](https://psych-ds.github.io/) dataset exported from McCollough (experiment `" + e.Slug + "`, " +
		strconv.Itoa(len(versions)) + " definition version(s)).\n\n" +
		"- `" + dataName + "`: every stored trial, one row per trial (long format); researchers' preview sessions are left out.\n" +
		"- `results/study-" + e.Slug + "_summary.csv`: per participant × pattern: PSE before and after induction (logistic fit), shift, slopes, fit flags, inclusion.\n" +
		"- `documentation/codebook.csv`: column, type, unit and meaning of every data column (also `variableMeasured` in `dataset_description.json`).\n" +
		"- `materials/`: the exact experiment definition of each version, from which the stimuli are rendered deterministically.\n\n" +
		"Tints are CIELAB a* units (+ red, − green) of the light stripes; times are ISO 8601 UTC.\n"
}

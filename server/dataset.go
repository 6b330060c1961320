package server

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/storage"
)

// datasetZip serves GET /api/v1/experiments/{slug}/dataset.zip: a Psych-DS
// dataset (dataset_description.json describing every column of the three
// tables as variableMeasured; the trials in data/, the sessions and the
// participant summary beside them; a codebook per table in documentation/;
// every definition version in materials/; a README), written straight
// into the response.
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

// datasetTable is one CSV of the dataset: its path and its codebook.
type datasetTable struct {
	name, path, about string
	vars              []experiments.Variable
	write             func(io.Writer) error
}

func datasetTables(ctx context.Context, db *storage.DB, e storage.Experiment, res analysis.Results) []datasetTable {
	return []datasetTable{
		{"trials", "data/study-" + e.Slug + "_data.csv", "every stored trial, one row per trial (long format), screening trials included",
			storage.ExportVariables(), func(w io.Writer) error { return db.ExportCSV(ctx, e.ID, storage.ExportFilter{}, w) }},
		{"sessions", "data/study-" + e.Slug + "_description-sessions_data.csv", "one row per session: study parameters, status, device, screen, attention and timing facts, exclusion flags",
			storage.SessionVariables(), func(w io.Writer) error { return db.WriteSessionsCSV(ctx, e.ID, storage.SessionFilter{}, w) }},
		{"summary", "results/study-" + e.Slug + "_summary.csv", "per participant × pattern: PSE before and after induction (logistic fit), shift, spreads, fit flags, exclusion flags, inclusion",
			analysis.SummaryVariables, func(w io.Writer) error { return writeSummary(w, res) }},
	}
}

func writeDataset(ctx context.Context, db *storage.DB, w io.Writer, e storage.Experiment,
	res analysis.Results, versions []storage.Version) error {
	z := zip.NewWriter(w)
	now := time.Now().UTC()
	add := func(name string) (io.Writer, error) {
		return z.CreateHeader(&zip.FileHeader{Name: e.Slug + "/" + name, Method: zip.Deflate, Modified: now})
	}
	tables := datasetTables(ctx, db, e, res)
	f, err := add("dataset_description.json")
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(datasetDescription(e, tables, now)); err != nil {
		return err
	}
	if f, err = add("README.md"); err != nil {
		return err
	}
	if _, err := f.Write([]byte(datasetReadme(e, tables, versions))); err != nil {
		return err
	}
	for _, t := range tables {
		if f, err = add(t.path); err != nil {
			return err
		}
		if err := t.write(f); err != nil {
			return err
		}
		if f, err = add("documentation/codebook_" + t.name + ".csv"); err != nil {
			return err
		}
		if err := storage.WriteCodebook(f, t.vars); err != nil {
			return err
		}
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
// Dataset metadata whose variableMeasured describes every column of the
// three tables (a column in several tables, such as session_id, once,
// with the tables named), with the coded values as Psych-DS "levels".
func datasetDescription(e storage.Experiment, tables []datasetTable, now time.Time) map[string]any {
	var vars []map[string]any
	seen := map[string]map[string]any{}
	for _, t := range tables {
		for _, col := range t.vars {
			if v, ok := seen[col.Name]; ok {
				v["description"] = v["description"].(string) + " [" + t.name + "] " + col.Meaning
				continue
			}
			v := map[string]any{"@type": "PropertyValue", "name": col.Name, "description": "[" + t.name + "] " + col.Meaning}
			if col.Unit != "" {
				v["unitText"] = col.Unit
			}
			if len(col.Levels) > 0 {
				levels := make([]map[string]string, len(col.Levels))
				for i, l := range col.Levels {
					levels[i] = map[string]string{"value": l.Value, "description": l.Meaning}
				}
				v["levels"] = levels
			}
			seen[col.Name] = v
			vars = append(vars, v)
		}
	}
	return map[string]any{
		"@context":      "https://schema.org/",
		"@type":         "Dataset",
		"schemaVersion": "Psych-DS 0.1.0",
		"name":          e.Name,
		"description": "McCollough-effect experiment '" + e.Slug + "': colour judgements of achromatic test patterns before and after " +
			"induction with colour-pattern pairings, by human participants and ConvNet observers. One row per trial in " + tables[0].path +
			", one per session in " + tables[1].path + ", one per participant × pattern in " + tables[2].path + ".",
		"keywords":         []string{"McCollough effect", "contingent aftereffect", "colour vision", "psychophysics", "ConvNet"},
		"dateCreated":      now.Format(time.RFC3339),
		"variableMeasured": vars,
	}
}

func datasetReadme(e storage.Experiment, tables []datasetTable, versions []storage.Version) string {
	out := "# " + e.Name + "\n\n" +
		"A [Psych-DS](https://psych-ds.github.io/) dataset exported from McCollough (experiment `" + e.Slug + "`, " +
		strconv.Itoa(len(versions)) + " definition version(s)). Researchers' preview sessions are left out.\n\n"
	for _, t := range tables {
		out += "- `" + t.path + "`: " + t.about + ". Codebook: `documentation/codebook_" + t.name + ".csv`.\n"
	}
	return out + "- `materials/`: the exact experiment definition of each version, from which the stimuli are rendered deterministically.\n\n" +
		"Each codebook gives every column's type, unit, meaning and coded values (also `variableMeasured` in `dataset_description.json`). " +
		"Tints are CIELAB a* units (+ red, − green) of the light stripes; times are ISO 8601 UTC.\n"
}

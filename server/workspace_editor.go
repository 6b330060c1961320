package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// The protocol editor and the JSON view of one experiment's definition.

// editExperimentPage serves GET /researcher/experiments/{slug}/edit.
func (s *Server) editExperimentPage(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	return s.renderEditor(c, e, definitionValues(e.Definition), nil, savedNotice(c, e))
}

// savedNotice confirms what the last submit did (after its redirect).
func savedNotice(c echo.Context, e storage.Experiment) templates.Notice {
	switch c.QueryParam("saved") {
	case "created":
		return templates.Notice{Kind: "ok", Message: "Experiment created as a draft with the classic protocol. Adjust it below, then open it for participants."}
	case "1":
		return templates.Notice{Kind: "ok", Message: fmt.Sprintf("Saved: version %d was updated (no session had run on it).", e.Version)}
	case "new":
		return templates.Notice{Kind: "ok", Message: fmt.Sprintf("Saved as a new version, %d: sessions had run on version %d, which stays as it was for them.", e.Version, e.Version-1)}
	}
	if st := c.QueryParam("status"); st != "" && st == e.Status {
		switch st {
		case storage.StatusOpen:
			return templates.Notice{Kind: "ok", Message: "The experiment is open: participants can start sessions at the study link."}
		case storage.StatusClosed:
			return templates.Notice{Kind: "ok", Message: "The experiment is closed: new participants are turned away."}
		}
	}
	return templates.Notice{}
}

// latestSessions counts the sessions on the experiment's latest version.
func (s *Server) latestSessions(c echo.Context, e storage.Experiment) (int, error) {
	r, _ := currentResearcher(c)
	vs, err := s.db.Versions(c.Request().Context(), r.ID, e.Slug)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	return vs[0].Sessions, nil
}

func (s *Server) renderEditor(c echo.Context, e storage.Experiment, v map[string]string, errs experiments.FieldErrors, n templates.Notice) error {
	pairs, err := s.pairOptions(c)
	if err != nil {
		return err
	}
	used, err := s.latestSessions(c, e)
	if err != nil {
		return err
	}
	p := &formParser{v: v}
	colors := p.colors("colors")
	ref := p.int("size_px")
	page := templates.ExperimentEditPage{
		Header: s.experimentHeader(c, e, "edit"),
		Form:   templates.WForm{Values: v, Errors: formErrors(errs, experimentInputs, experimentAliases), CSRF: csrfToken(c)},
		Previews: map[string]templates.PreviewSet{
			"pair.a": previewSet(p.pattern("pair.a"), colors, ref),
			"pair.b": previewSet(p.pattern("pair.b"), colors, ref),
		},
		Pairs: pairs, Notice: n, UsedSessions: used, Texts: textRows(p.str("language")),
	}
	if len(errs) > 0 {
		c.Response().Status = http.StatusUnprocessableEntity
	}
	return render(c, templates.ExperimentEdit(viewer(c), page))
}

// editExperimentSubmit serves POST /researcher/experiments/{slug}/edit.
func (s *Server) editExperimentSubmit(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	v, err := formValues(c)
	if err != nil {
		return err
	}
	def, errs := parseDefinitionForm(v, e.Slug)
	errs = append(errs, def.WithDefaults().Validate()...)
	if len(errs) > 0 {
		return s.renderEditor(c, e, v, errs, templates.Notice{})
	}
	return s.saveDefinition(c, e, def, func(errs experiments.FieldErrors) error {
		return s.renderEditor(c, e, v, errs, templates.Notice{})
	}, "/edit")
}

// saveDefinition stores def and redirects to page, saying whether a new
// version was made; invalid input goes back to the form via invalid.
func (s *Server) saveDefinition(c echo.Context, e storage.Experiment, def experiments.Definition,
	invalid func(experiments.FieldErrors) error, page string) error {
	r, _ := currentResearcher(c)
	saved, newVersion, err := s.db.SaveDefinition(c.Request().Context(), r.ID, e.Slug, def)
	if fe, ok := invalidFields(err); ok {
		return invalid(fe)
	}
	if err != nil {
		return err
	}
	flag := "1"
	if newVersion {
		flag = "new"
	}
	return c.Redirect(http.StatusSeeOther, expPage(saved.Slug)+page+"?saved="+flag)
}

// ---- JSON view ----

func definitionJSON(d experiments.Definition) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return "{}"
	}
	return b.String()
}

// jsonExperimentPage serves GET /researcher/experiments/{slug}/json.
func (s *Server) jsonExperimentPage(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	return s.renderJSON(c, e, definitionJSON(e.Definition), nil, savedNotice(c, e))
}

func (s *Server) renderJSON(c echo.Context, e storage.Experiment, text string, errs experiments.FieldErrors, n templates.Notice) error {
	used, err := s.latestSessions(c, e)
	if err != nil {
		return err
	}
	items := make([]templates.ErrorItem, len(errs))
	for i, fe := range errs {
		items[i] = templates.ErrorItem{Field: fe.Field, Message: fe.Message}
	}
	if len(errs) > 0 {
		c.Response().Status = http.StatusUnprocessableEntity
	}
	return render(c, templates.ExperimentJSON(viewer(c), templates.ExperimentJSONPage{
		Header: s.experimentHeader(c, e, "json"), Text: text, Errors: items, CSRF: csrfToken(c), Notice: n, UsedSessions: used,
	}))
}

// jsonExperimentSubmit serves POST /researcher/experiments/{slug}/json.
func (s *Server) jsonExperimentSubmit(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	v, err := formValues(c)
	if err != nil {
		return err
	}
	text := v["definition"]
	if fe := jsonSyntax(text); fe != nil {
		return s.renderJSON(c, e, text, fe, templates.Notice{})
	}
	def, err := experiments.ParseDefinition([]byte(text))
	if fe, ok := invalidFields(err); ok {
		return s.renderJSON(c, e, text, fe, templates.Notice{})
	}
	if err != nil {
		return err
	}
	return s.saveDefinition(c, e, def, func(fe experiments.FieldErrors) error {
		return s.renderJSON(c, e, text, fe, templates.Notice{})
	}, "/json")
}

// jsonSyntax reports malformed JSON by line and column, for a person
// looking at a text area rather than at byte offsets.
func jsonSyntax(text string) experiments.FieldErrors {
	if strings.TrimSpace(text) == "" {
		return experiments.FieldErrors{{Message: "paste a definition: a JSON object"}}
	}
	var v any
	err := json.Unmarshal([]byte(text), &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		before := text[:min(int(se.Offset), len(text))]
		line := strings.Count(before, "\n") + 1
		col := len(before) - strings.LastIndex(before, "\n")
		if strings.HasPrefix(se.Error(), "unexpected end of JSON input") {
			return experiments.FieldErrors{{Message: "malformed JSON: it ends too early (a missing } or ]?)"}}
		}
		return experiments.FieldErrors{{Message: fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, se)}}
	case err != nil:
		return experiments.FieldErrors{{Message: "malformed JSON: " + err.Error()}}
	}
	if _, ok := v.(map[string]any); !ok {
		return experiments.FieldErrors{{Message: "the definition must be a JSON object ({...})"}}
	}
	return nil
}

// definitionDownload serves GET /researcher/experiments/{slug}/definition.json.
func (s *Server) definitionDownload(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	download(c, e.Slug+".json", "")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, []byte(definitionJSON(e.Definition)))
}

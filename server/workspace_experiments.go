package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// reservedSlugs are slugs whose workspace page addresses are taken by
// other pages (/researcher/experiments/new).
var reservedSlugs = map[string]bool{"new": true}

func (s *Server) experimentHeader(c echo.Context, e storage.Experiment, tab string) templates.ExperimentHeader {
	study := studyURL(c, e.Slug)
	return templates.ExperimentHeader{Slug: e.Slug, Name: e.Name, Status: e.Status, Version: e.Version,
		StudyURL: study, ProlificURL: prolificURL(study), Tab: tab}
}

// expPage is the address of an experiment's dashboard; its other pages
// are below it.
func expPage(slug string) string { return "/researcher/experiments/" + slug }

// ownedExperiment is the signed-in researcher's experiment named by the URL.
func (s *Server) ownedExperiment(c echo.Context) (storage.Experiment, error) {
	r, _ := currentResearcher(c)
	return s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
}

// pairOptions lists the researcher's pairs for a select.
func (s *Server) pairOptions(c echo.Context) ([]templates.Option, error) {
	r, _ := currentResearcher(c)
	pairs, err := s.db.Pairs(c.Request().Context(), r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]templates.Option, len(pairs))
	for i, p := range pairs {
		out[i] = templates.Option{Value: strconv.FormatInt(p.ID, 10),
			Label: fmt.Sprintf("%s (%s vs %s)", p.Name, p.A.Kind, p.B.Kind)}
	}
	return out, nil
}

// ---- New experiment ----

var newExperimentInputs = inputSet("slug", "name", "pair_id")

// newExperimentPage serves GET /researcher/experiments/new[?pair_id=].
func (s *Server) newExperimentPage(c echo.Context) error {
	return s.renderNewExperiment(c, map[string]string{"pair_id": c.QueryParam("pair_id")}, nil)
}

func (s *Server) renderNewExperiment(c echo.Context, v map[string]string, errs experiments.FieldErrors) error {
	pairs, err := s.pairOptions(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		c.Response().Status = http.StatusUnprocessableEntity
	}
	return render(c, templates.ExperimentNew(viewer(c), templates.ExperimentNewPage{
		Form:  templates.WForm{Values: v, Errors: formErrors(errs, newExperimentInputs, map[string]string{"pair": "pair_id"}), CSRF: csrfToken(c)},
		Pairs: pairs,
	}))
}

// createExperimentSubmit serves POST /researcher/experiments: the classic
// protocol on the chosen pair (or the classic gratings), as a draft.
func (s *Server) createExperimentSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	v, err := formValues(c)
	if err != nil {
		return err
	}
	p := &formParser{v: v}
	slug, name := p.str("slug"), p.str("name")
	var def experiments.Definition
	var errs experiments.FieldErrors
	if reservedSlugs[slug] {
		errs.Add("slug", "%q is reserved; choose another", slug)
	}
	if idText := p.str("pair_id"); idText == "" {
		def = experiments.Classic()
		def.Slug, def.Name = slug, name
	} else {
		id, err := strconv.ParseInt(idText, 10, 64)
		var pair storage.Pair
		if err == nil {
			pair, err = s.db.Pair(ctx, r.ID, id)
		}
		if err != nil {
			errs.Add("pair_id", "choose one of your pattern pairs")
			def = experiments.Classic()
			def.Slug, def.Name = slug, name
		} else {
			// The pair's patterns, colours and suitable controls; stored
			// by id so the pair counts as used.
			def = experiments.FromPair(slug, name, pair.PatternPair)
			def.Pair, def.PairID = nil, &id
		}
	}
	def = def.WithDefaults()
	for _, e := range def.Validate() {
		if newExperimentInputs[e.Field] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return s.renderNewExperiment(c, v, errs)
	}
	e, err := s.db.CreateOwnedExperiment(ctx, r.ID, def)
	if experiments.ErrorCode(err) == experiments.Conflict {
		return s.renderNewExperiment(c, v, experiments.FieldErrors{{Field: "slug", Message: fmt.Sprintf("is taken: an experiment with slug %q already exists", slug)}})
	}
	if fe, ok := invalidFields(err); ok {
		return s.renderNewExperiment(c, v, fe)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, expPage(e.Slug)+"/edit?saved=created")
}

// ---- Versions and status ----

// versionsPage serves GET /researcher/experiments/{slug}/versions.
func (s *Server) versionsPage(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	vs, err := s.db.Versions(c.Request().Context(), r.ID, e.Slug)
	if err != nil {
		return err
	}
	rows := make([]templates.VersionRow, len(vs))
	for i, v := range vs {
		rows[i] = templates.VersionRow{Version: v.Version, Created: when(v.CreatedAt), Sessions: v.Sessions, JSON: definitionJSON(v.Definition)}
	}
	return render(c, templates.ExperimentVersions(viewer(c), s.experimentHeader(c, e, "versions"), rows))
}

var statusBack = map[string]string{"dashboard": "", "edit": "/edit", "json": "/json", "versions": "/versions"}

// statusSubmit serves POST /researcher/experiments/{slug}/status.
func (s *Server) statusSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	e2, err := s.db.SetStatus(c.Request().Context(), r.ID, e.Slug, status)
	switch experiments.ErrorCode(err) {
	case "":
	case experiments.Conflict, experiments.Invalid:
		status, body := s.describe(err, c)
		c.Response().Status = status
		msg := body.Error
		if len(body.Fields) > 0 {
			msg = body.Fields[0].Field + " " + body.Fields[0].Message
		}
		return s.renderDashboard(c, e, templates.Notice{Kind: "error", Message: "The status was not changed: " + msg + "."})
	default:
		return err
	}
	return c.Redirect(http.StatusSeeOther, expPage(e2.Slug)+statusBack[c.FormValue("back")]+"?status="+e2.Status)
}

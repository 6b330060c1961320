package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// The researcher workspace's pages: pattern pairs here, experiments in
// workspace_experiments.go, workspace_editor.go and workspace_dashboard.go.
// Forms post with the CSRF field; a valid submit redirects (303), an
// invalid one renders the form again (422) with what was typed and every
// problem next to its input. Another researcher's pair or experiment is 404
// on every page (owner-scoped storage calls).

// pageRoutes registers the workspace pages (called by researcherRoutes).
func (s *Server) pageRoutes(mw ...echo.MiddlewareFunc) {
	e := s.echo
	e.GET("/researcher/pairs", s.pairsPage, mw...)
	e.GET("/researcher/pairs/new", s.newPairPage, mw...)
	e.POST("/researcher/pairs", s.createPairSubmit, mw...)
	e.GET("/researcher/pairs/:id", s.pairPage, mw...)
	e.POST("/researcher/pairs/:id", s.updatePairSubmit, mw...)
	e.POST("/researcher/pairs/:id/rename", s.renamePairSubmit, mw...)
	e.POST("/researcher/pairs/:id/delete", s.deletePairSubmit, mw...)

	e.GET("/researcher/experiments/new", s.newExperimentPage, mw...)
	e.POST("/researcher/experiments", s.createExperimentSubmit, mw...)
	e.GET("/researcher/experiments/:slug", s.dashboardPage, mw...)
	e.GET("/researcher/experiments/:slug/live", s.dashboardLive, mw...)
	e.GET("/researcher/experiments/:slug/edit", s.editExperimentPage, mw...)
	e.POST("/researcher/experiments/:slug/edit", s.editExperimentSubmit, mw...)
	e.GET("/researcher/experiments/:slug/json", s.jsonExperimentPage, mw...)
	e.POST("/researcher/experiments/:slug/json", s.jsonExperimentSubmit, mw...)
	e.GET("/researcher/experiments/:slug/definition.json", s.definitionDownload, mw...)
	e.GET("/researcher/experiments/:slug/versions", s.versionsPage, mw...)
	e.POST("/researcher/experiments/:slug/status", s.statusSubmit, mw...)
	// Study hygiene (workspace_hygiene.go).
	e.POST("/researcher/experiments/:slug/preview", s.previewSubmit, mw...)
	e.POST("/researcher/experiments/:slug/previews/delete", s.deletePreviewsSubmit, mw...)
	e.POST("/researcher/experiments/:slug/delete-data", s.deleteDataSubmit, mw...)
}

// pairRefSize is the stimulus size a pair's previews assume: the default
// experiment's, so the preview shows as many cycles as participants see.
const pairRefSize = experiments.DefaultSizePx

var pairInputs = inputSet(append(append(append([]string{"name"}, patternInputNames("a")...), patternInputNames("b")...), colorInputNames("colors")...)...)

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// pairsPage serves GET /researcher/pairs.
func (s *Server) pairsPage(c echo.Context) error {
	var n templates.Notice
	switch {
	case c.QueryParam("deleted") != "":
		n = templates.Notice{Kind: "ok", Message: "Pattern pair deleted."}
	case c.QueryParam("renamed") != "":
		n = templates.Notice{Kind: "ok", Message: "Pattern pair renamed."}
	}
	return s.renderPairs(c, n, nil)
}

// renderPairs shows the list, with a notice and a rename row as typed.
func (s *Server) renderPairs(c echo.Context, n templates.Notice, rename *templates.PairListRow) error {
	r, _ := currentResearcher(c)
	pairs, err := s.db.Pairs(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	rows := make([]templates.PairListRow, len(pairs))
	for i, p := range pairs {
		rows[i] = templates.PairListRow{ID: p.ID, Name: p.Name, AKind: string(p.A.Kind), BKind: string(p.B.Kind),
			InUse: p.InUse, Updated: when(p.UpdatedAt), Rename: p.Name}
		if rename != nil && rename.ID == p.ID {
			rows[i].Rename, rows[i].RenameError = rename.Rename, rename.RenameError
		}
	}
	return render(c, templates.PairsList(viewer(c), rows, n))
}

// newPairPage serves GET /researcher/pairs/new: the classic gratings and
// colours to start from.
func (s *Server) newPairPage(c echo.Context) error {
	classic := experiments.Classic()
	pp := experiments.PatternPair{A: classic.Pair.A, B: classic.Pair.B}.WithDefaults()
	v := pairValues(pp)
	v["name"] = ""
	return s.renderPairEditor(c, 0, "", v, nil, 0, templates.Notice{})
}

func pairValues(pp experiments.PatternPair) map[string]string {
	v := map[string]string{"name": pp.Name}
	putPattern(v, "a", pp.A)
	putPattern(v, "b", pp.B)
	c := experiments.Colors{}
	if pp.Colors != nil {
		c = *pp.Colors
	}
	putColors(v, "colors", c)
	return v
}

// parsePairForm reads the pair editor: the pair with defaults filled, and
// every problem (parse errors first, then validation).
func parsePairForm(v map[string]string) (experiments.PatternPair, experiments.FieldErrors) {
	p := &formParser{v: v}
	colors := p.colors("colors")
	pp := experiments.PatternPair{Name: p.str("name"), A: p.pattern("a"), B: p.pattern("b"), Colors: &colors}.WithDefaults()
	errs := append(p.errs, pp.Validate()...)
	return pp, errs
}

func (s *Server) renderPairEditor(c echo.Context, id int64, name string, v map[string]string, errs experiments.FieldErrors, inUse int, n templates.Notice) error {
	p := &formParser{v: v}
	colors := p.colors("colors")
	page := templates.PairEditorPage{
		ID: id, Name: name, InUse: inUse, Notice: n, RefSizePx: pairRefSize,
		Form: templates.WForm{Values: v, Errors: formErrors(errs, pairInputs, nil), CSRF: csrfToken(c)},
		Previews: map[string]templates.PreviewSet{
			"a": previewSet(p.pattern("a"), colors, pairRefSize),
			"b": previewSet(p.pattern("b"), colors, pairRefSize),
		},
	}
	if len(errs) > 0 {
		c.Response().Status = http.StatusUnprocessableEntity
	}
	return render(c, templates.PairEditor(viewer(c), page))
}

// createPairSubmit serves POST /researcher/pairs.
func (s *Server) createPairSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	v, err := formValues(c)
	if err != nil {
		return err
	}
	pp, errs := parsePairForm(v)
	if len(errs) > 0 {
		return s.renderPairEditor(c, 0, "", v, errs, 0, templates.Notice{})
	}
	p, err := s.db.CreatePair(c.Request().Context(), r.ID, pp)
	if fe, ok := invalidFields(err); ok {
		return s.renderPairEditor(c, 0, "", v, fe, 0, templates.Notice{})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/researcher/pairs/%d?saved=created", p.ID))
}

// ownedPair is the signed-in researcher's pair named by the URL (404 otherwise).
func (s *Server) ownedPair(c echo.Context) (storage.Pair, error) {
	r, _ := currentResearcher(c)
	id, err := pairID(c)
	if err != nil {
		return storage.Pair{}, err
	}
	return s.db.Pair(c.Request().Context(), r.ID, id)
}

// pairPage serves GET /researcher/pairs/{id}.
func (s *Server) pairPage(c echo.Context) error {
	p, err := s.ownedPair(c)
	if err != nil {
		return err
	}
	var n templates.Notice
	switch c.QueryParam("saved") {
	case "created":
		n = templates.Notice{Kind: "ok", Message: "Pattern pair created."}
	case "1":
		n = templates.Notice{Kind: "ok", Message: "Pattern pair saved. Experiments made from it keep the patterns they were made with."}
	}
	return s.renderPairEditor(c, p.ID, p.Name, pairValues(p.PatternPair), nil, p.InUse, n)
}

// updatePairSubmit serves POST /researcher/pairs/{id}.
func (s *Server) updatePairSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	p, err := s.ownedPair(c)
	if err != nil {
		return err
	}
	v, err := formValues(c)
	if err != nil {
		return err
	}
	pp, errs := parsePairForm(v)
	if len(errs) > 0 {
		return s.renderPairEditor(c, p.ID, p.Name, v, errs, p.InUse, templates.Notice{})
	}
	_, err = s.db.UpdatePair(c.Request().Context(), r.ID, p.ID, pp)
	if fe, ok := invalidFields(err); ok {
		return s.renderPairEditor(c, p.ID, p.Name, v, fe, p.InUse, templates.Notice{})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/researcher/pairs/%d?saved=1", p.ID))
}

// renamePairSubmit serves POST /researcher/pairs/{id}/rename (from the list).
func (s *Server) renamePairSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	p, err := s.ownedPair(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	pp := p.PatternPair
	pp.Name = name
	pp = pp.WithDefaults()
	if errs := pp.Validate(); len(errs) > 0 {
		msg := errs[0].Message
		for _, e := range errs {
			if e.Field == "name" {
				msg = "name " + e.Message
			}
		}
		c.Response().Status = http.StatusUnprocessableEntity
		return s.renderPairs(c, templates.Notice{Kind: "error", Message: "The pair was not renamed: " + msg + "."},
			&templates.PairListRow{ID: p.ID, Rename: name, RenameError: msg})
	}
	if _, err := s.db.UpdatePair(c.Request().Context(), r.ID, p.ID, pp); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/researcher/pairs?renamed="+strconv.FormatInt(p.ID, 10))
}

// deletePairSubmit serves POST /researcher/pairs/{id}/delete. A pair that
// experiments were made from is kept, and the list says why.
func (s *Server) deletePairSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	p, err := s.ownedPair(c)
	if err != nil {
		return err
	}
	err = s.db.DeletePair(c.Request().Context(), r.ID, p.ID)
	if experiments.ErrorCode(err) == experiments.Conflict {
		c.Response().Status = http.StatusConflict
		// The pair may have come into use after it was read (InUse 0).
		usedBy := "an experiment"
		if p.InUse > 0 {
			usedBy = templates.CountNoun(p.InUse, "experiment", "experiments")
		}
		msg := fmt.Sprintf("“%s” was not deleted: it is used by %s. Experiments keep the patterns they were made with; delete or keep those experiments first.",
			p.Name, usedBy)
		return s.renderPairs(c, templates.Notice{Kind: "error", Message: msg}, nil)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/researcher/pairs?deleted=1")
}

// invalidFields reports the field errors of an Invalid domain error.
func invalidFields(err error) (experiments.FieldErrors, bool) {
	var de *experiments.Error
	if errors.As(err, &de) && de.Code == experiments.Invalid {
		if len(de.Fields) == 0 {
			return experiments.FieldErrors{{Field: "", Message: de.Message}}, true
		}
		return de.Fields, true
	}
	return nil, false
}

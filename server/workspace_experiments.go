package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
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
	return c.Redirect(http.StatusSeeOther, "/researcher/experiments/"+e.Slug+"/edit?saved=created")
}

// ---- Protocol editor ----

var experimentInputs = inputSet(append(append(append([]string{
	"name", "size_px", "counterbalance", "pair_id",
	"induction.duration_s", "induction.switch_s", "induction.jitter_px",
	"test.method", "test.duration_ms", "test.tints", "test.repeats",
	"test.staircase.start_tint", "test.staircase.steps", "test.staircase.max_reversals", "test.staircase.max_trials",
	"test.staircase.min_tint", "test.staircase.max_tint",
	"test.adjustment.start_min", "test.adjustment.start_range", "test.adjustment.step", "test.adjustment.min",
	"test.adjustment.max", "test.adjustment.trials_per_pattern",
	"test.extra_patterns",
	"phases.baseline", "phases.post", "phases.reversal", "phases.followup", "phases.followup_after_s",
	"consent_md", "debrief_md", "instructions_md", "completion_url",
}, patternInputNames("pair.a")...), patternInputNames("pair.b")...), colorInputNames("colors")...)...)

// experimentAliases place errors of fields without an input of their own.
var experimentAliases = map[string]string{
	"test":            "test.method",
	"test.staircase":  "test.method",
	"test.adjustment": "test.method",
	"pair":            "pair_id",
	"slug":            "",
	"induction":       "induction.duration_s",
}

// methodBlocks are every method's parameters: the definition's own for its
// method, the defaults for the others (shown when the researcher switches).
func methodBlocks(d experiments.Definition) experiments.Test {
	t := d.Test
	for _, m := range []experiments.Method{experiments.ConstantStimuli, experiments.Staircase, experiments.Adjustment} {
		if m == d.Test.Method {
			continue
		}
		def := experiments.Definition{Test: experiments.Test{Method: m, ExtraPatterns: []experiments.ExtraPattern{}}}.WithDefaults().Test
		switch m {
		case experiments.ConstantStimuli:
			t.Tints, t.Repeats = def.Tints, def.Repeats
		case experiments.Staircase:
			t.Staircase = def.Staircase
		case experiments.Adjustment:
			t.Adjustment = def.Adjustment
		}
	}
	return t
}

// definitionValues is the protocol editor's form for a stored definition.
func definitionValues(d experiments.Definition) map[string]string {
	v := map[string]string{
		"name":                    d.Name,
		"size_px":                 strconv.Itoa(d.SizePx),
		"counterbalance":          onOff(d.Counterbalanced()),
		"pair_id":                 "",
		"induction.duration_s":    num(d.Induction.DurationS),
		"induction.switch_s":      num(d.Induction.SwitchS),
		"induction.jitter_px":     num(d.Induction.Jitter()),
		"test.method":             string(d.Test.Method),
		"test.duration_ms":        strconv.Itoa(d.Test.DurationMS),
		"test.extra_patterns":     extrasJSON(d.Test.ExtraPatterns),
		"phases.baseline":         onOff(d.Phases.BaselineOn()),
		"phases.post":             onOff(d.Phases.PostOn()),
		"phases.reversal":         onOff(d.Phases.Reversal),
		"phases.followup":         onOff(d.Phases.Followup),
		"phases.followup_after_s": numPtr(d.Phases.FollowupAfterS),
		"consent_md":              d.ConsentMD,
		"debrief_md":              d.DebriefMD,
		"instructions_md":         d.InstructionsMD,
		"completion_url":          d.CompletionURL,
	}
	if d.Pair != nil {
		putPattern(v, "pair.a", d.Pair.A)
		putPattern(v, "pair.b", d.Pair.B)
	}
	putColors(v, "colors", d.Colors)
	t := methodBlocks(d)
	v["test.tints"] = nums(t.Tints)
	v["test.repeats"] = strconv.Itoa(t.Repeats)
	if s := t.Staircase; s != nil {
		v["test.staircase.start_tint"] = num(s.StartTint)
		v["test.staircase.steps"] = nums(s.Steps)
		v["test.staircase.max_reversals"] = strconv.Itoa(s.MaxReversals)
		v["test.staircase.max_trials"] = strconv.Itoa(s.MaxTrials)
		v["test.staircase.min_tint"] = numPtr(s.MinTint)
		v["test.staircase.max_tint"] = numPtr(s.MaxTint)
	}
	if a := t.Adjustment; a != nil {
		v["test.adjustment.start_min"] = num(a.StartMin)
		v["test.adjustment.start_range"] = num(a.StartRange)
		v["test.adjustment.step"] = num(a.Step)
		v["test.adjustment.min"] = numPtr(a.Min)
		v["test.adjustment.max"] = numPtr(a.Max)
		v["test.adjustment.trials_per_pattern"] = strconv.Itoa(a.TrialsPerPattern)
	}
	return v
}

// extrasJSON shows the extra patterns one per line.
func extrasJSON(extras []experiments.ExtraPattern) string {
	if len(extras) == 0 {
		return "[]"
	}
	lines := make([]string, len(extras))
	for i, e := range extras {
		b, _ := json.Marshal(e)
		lines[i] = "  " + string(b)
	}
	return "[\n" + strings.Join(lines, ",\n") + "\n]"
}

// parseDefinitionForm reads the protocol editor into a definition of slug,
// with the problems found while reading (numbers that do not parse,
// malformed JSON of the extra patterns); validation comes after.
func parseDefinitionForm(v map[string]string, slug string) (experiments.Definition, experiments.FieldErrors) {
	p := &formParser{v: v}
	d := experiments.Definition{
		Slug:           slug,
		Name:           p.str("name"),
		Colors:         p.colors("colors"),
		SizePx:         p.int("size_px"),
		Counterbalance: ptrTo(p.checked("counterbalance")),
		Induction: experiments.Induction{
			DurationS: p.float("induction.duration_s"),
			SwitchS:   p.float("induction.switch_s"),
			JitterPx:  p.floatPtr("induction.jitter_px"),
		},
		ConsentMD:      v["consent_md"],
		DebriefMD:      v["debrief_md"],
		InstructionsMD: v["instructions_md"],
		CompletionURL:  p.str("completion_url"),
	}
	if idText := p.str("pair_id"); idText != "" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			p.errs.Add("pair_id", "choose one of your pattern pairs")
		} else {
			d.PairID = &id
		}
	} else {
		d.Pair = &experiments.Pair{A: p.pattern("pair.a"), B: p.pattern("pair.b")}
	}
	t := experiments.Test{Method: experiments.Method(p.str("test.method")), DurationMS: p.int("test.duration_ms")}
	switch t.Method {
	case experiments.ConstantStimuli:
		t.Tints = p.floats("test.tints")
		t.Repeats = p.int("test.repeats")
	case experiments.Staircase:
		t.Staircase = &experiments.StaircaseParams{
			StartTint:    p.float("test.staircase.start_tint"),
			Steps:        p.floats("test.staircase.steps"),
			MaxReversals: p.int("test.staircase.max_reversals"),
			MaxTrials:    p.int("test.staircase.max_trials"),
			MinTint:      p.floatPtr("test.staircase.min_tint"),
			MaxTint:      p.floatPtr("test.staircase.max_tint"),
		}
	case experiments.Adjustment:
		t.Adjustment = &experiments.AdjustmentParams{
			StartMin:         p.float("test.adjustment.start_min"),
			StartRange:       p.float("test.adjustment.start_range"),
			Step:             p.float("test.adjustment.step"),
			Min:              p.floatPtr("test.adjustment.min"),
			Max:              p.floatPtr("test.adjustment.max"),
			TrialsPerPattern: p.int("test.adjustment.trials_per_pattern"),
		}
	}
	t.ExtraPatterns = []experiments.ExtraPattern{}
	if text := p.str("test.extra_patterns"); text != "" {
		var extras []experiments.ExtraPattern
		if err := stimuli.DecodeStrict([]byte(text), &extras); err != nil {
			p.errs = append(p.errs, asFieldErrors(err).Prefixed("test.extra_patterns")...)
		} else if extras != nil {
			t.ExtraPatterns = extras
		}
	}
	d.Test = t
	d.Phases = experiments.Phases{
		Baseline: ptrTo(p.checked("phases.baseline")),
		Post:     ptrTo(p.checked("phases.post")),
		Reversal: p.checked("phases.reversal"),
		Followup: p.checked("phases.followup"),
	}
	if d.Phases.Followup {
		d.Phases.FollowupAfterS = p.floatPtr("phases.followup_after_s")
	}
	return d, p.errs
}

func ptrTo[T any](v T) *T { return &v }

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
		Pairs: pairs, Notice: n, UsedSessions: used,
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
	return c.Redirect(http.StatusSeeOther, "/researcher/experiments/"+saved.Slug+page+"?saved="+flag)
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
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.json"`, e.Slug))
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, []byte(definitionJSON(e.Definition)))
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
	return c.Redirect(http.StatusSeeOther, "/researcher/experiments/"+e2.Slug+statusBack[c.FormValue("back")]+"?status="+e2.Status)
}

// ---- Dashboard ----

// dashboardPage serves GET /researcher/experiments/{slug}.
func (s *Server) dashboardPage(c echo.Context) error {
	e, err := s.ownedExperiment(c)
	if err != nil {
		return err
	}
	n := savedNotice(c, e)
	if n.Message == "" {
		n = hygieneNotice(c)
	}
	return s.renderDashboard(c, e, n)
}

// recentSessions is how many sessions the dashboard lists.
const recentSessions = 20

func (s *Server) renderDashboard(c echo.Context, e storage.Experiment, n templates.Notice) error {
	return s.renderDashboardWith(c, e, n, templates.DeleteDataForm{By: "session"})
}

// renderDashboardWith shows the dashboard with the deletion form as typed.
func (s *Server) renderDashboardWith(c echo.Context, e storage.Experiment, n templates.Notice, del templates.DeleteDataForm) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	d, err := s.db.Dashboard(ctx, r.ID, e.Slug)
	if err != nil {
		return err
	}
	list, err := s.db.ExperimentSessions(ctx, r.ID, e.Slug, recentSessions)
	if err != nil {
		return err
	}
	audit, err := s.auditRows(c, e.Slug)
	if err != nil {
		return err
	}
	page := templates.DashboardPage{Header: s.experimentHeader(c, e, "dashboard"), Stats: dashboardStats(d, e.Definition.Arms()), Notice: n,
		Arms: e.Definition.Arms(), Previews: d.Previews, Delete: del, Audit: audit}
	for _, ss := range list {
		page.Sessions = append(page.Sessions, sessionRow(ss))
	}
	return render(c, templates.ExperimentDashboard(viewer(c), page))
}

// The formats below are also those of static/dashboard.js, which redraws
// the dashboard from the JSON API.

var statusOrder = []string{experiments.StatusStarted, experiments.StatusComplete, experiments.StatusAbandoned}

func dashboardStats(d storage.Dashboard, arms int) templates.DashboardStats {
	st := templates.DashboardStats{Total: d.Total, Models: d.Models, Completion: "–", Median: "–", Last: "none yet"}
	if d.Total > 0 {
		st.Completion = fmt.Sprintf("%d%%", int(math.Round(d.CompletionRate*100)))
	}
	if d.MedianDurationS != nil {
		st.Median = formatSeconds(*d.MedianDurationS)
	}
	if d.LastActivity != nil {
		st.Last = when(*d.LastActivity)
	}
	st.Summary = summaryLine(d.Total, d.ByStatus)
	seen := map[string]bool{}
	for _, k := range statusOrder {
		st.ByStatus = append(st.ByStatus, templates.CountRow{Label: k, Count: d.ByStatus[k]})
		seen[k] = true
	}
	var others []string
	for k := range d.ByStatus {
		if !seen[k] {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		st.ByStatus = append(st.ByStatus, templates.CountRow{Label: k, Count: d.ByStatus[k]})
	}
	conds := []int{}
	for a := range arms {
		conds = append(conds, a)
	}
	for a := range d.ByCondition {
		if a >= arms {
			conds = append(conds, a)
		}
	}
	sort.Ints(conds)
	for _, a := range conds {
		m := d.ByCondition[a]
		row := templates.ConditionRow{Label: conditionLabel(a), Started: m[experiments.StatusStarted],
			Complete: m[experiments.StatusComplete], Abandoned: m[experiments.StatusAbandoned]}
		for _, n := range m {
			row.Total += n
		}
		st.Conditions = append(st.Conditions, row)
	}
	for _, rr := range d.RefreshRates {
		st.Refresh = append(st.Refresh, templates.CountRow{Label: fmt.Sprintf("%d Hz", rr.Hz), Count: rr.Count})
	}
	return st
}

func conditionLabel(arm int) string {
	c := experiments.ConditionForArm(arm)
	return fmt.Sprintf("%d: red %s, green %s", arm, strings.ToUpper(c.RedPattern), strings.ToUpper(c.GreenPattern))
}

func summaryLine(total int, by map[string]int) string {
	if total == 0 {
		return "No sessions yet."
	}
	return fmt.Sprintf("%s: %d complete, %d in progress, %d abandoned.", countNounPlain(total, "session", "sessions"),
		by[experiments.StatusComplete], by[experiments.StatusStarted], by[experiments.StatusAbandoned])
}

func countNounPlain(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// formatSeconds writes a duration as "42 s" or "4 min 12 s".
func formatSeconds(sec float64) string {
	n := int(sec + 0.5)
	if n < 60 {
		return fmt.Sprintf("%d s", n)
	}
	return fmt.Sprintf("%d min %d s", n/60, n%60)
}

func sessionRow(ss storage.SessionSummary) templates.SessionRow {
	row := templates.SessionRow{ID: ss.ID, Started: when(ss.CreatedAt), Participant: ss.ParticipantRef, Kind: ss.Kind,
		Version: ss.Version, Condition: ss.Condition, Status: ss.Status, Trials: ss.Trials, Refresh: "–"}
	if ss.RefreshHz != nil {
		row.Refresh = fmt.Sprintf("%.1f Hz", *ss.RefreshHz)
	}
	if ss.CompletedAt != nil {
		row.Completed = when(*ss.CompletedAt)
	}
	if ss.Preview {
		row.Kind += " (preview)"
	}
	if row.Participant == "" && ss.Mechanism != nil {
		row.Participant = "model: " + *ss.Mechanism
	}
	return row
}

package storage

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// Column is one column of the long-format trial export: its SQL, and the
// codebook entry that documents it. Export and codebook come from this one
// list, so they cannot drift apart.
type Column struct {
	Name    string
	Type    string
	Unit    string
	Meaning string
	sql     string
}

// ExportColumns are the columns of export.csv, in order.
var ExportColumns = []Column{
	{"experiment", "string", "", "Experiment slug (the study link's name).", "e.slug"},
	{"version", "integer", "", "Version of the experiment definition the session ran (versions are immutable).", "v.version"},
	{"session_id", "string", "", "Session identifier (UUID).", "s.id::text"},
	{"participant_kind", "string", "", "human or model (the ConvNet observer).", "s.participant_kind"},
	{"participant_id", "string", "", "Recruiter's participant id (e.g. PROLIFIC_PID), or the model descriptor.", "s.participant_ref"},
	{"condition", "integer", "", "Counterbalancing arm: 0 = red paired with pattern a, 1 = red paired with pattern b.", "s.condition"},
	{"red_pattern", "string", "", "The pattern shown in red during induction (a or b).", "CASE s.condition WHEN 1 THEN 'b' ELSE 'a' END"},
	{"phase", "string", "", "The part of the protocol the trial belongs to (see the coded values).", "t.phase"},
	{"block", "integer", "", "Test block number within the session (0-based).", "t.block"},
	{"trial_index", "integer", "", "Trial index within the session plan (0-based, presentation order).", "t.trial_index"},
	{"method", "string", "", "Test method: constant_stimuli, staircase or adjustment (screening for the colour-vision check).", "t.method"},
	{"catch", "boolean", "", "true for a catch trial: a strongly tinted pattern (test.catch_tint) that checks attention; right when the answer is the side of its tint. Never analysed.", "t.catch"},
	{"pattern", "string", "", "Test pattern: a, b, or a control/morph pattern's name.", "t.pattern"},
	{"pattern_kind", "string", "", "Kind of the test pattern (grating, circles, grid, crosses, radial, checkerboard); a morph's base kind.", "ps.spec->>'kind'"},
	{"orientation_deg", "number", "degrees", "Orientation of the test pattern, counter-clockwise; 0 = horizontal stripes. Empty for kinds without one (circles).", orientationSQL()},
	{"morph", "number", "", "Morph level between pattern a (0) and b (1) for morph controls; empty otherwise.", "ps.morph"},
	{"tint", "number", "CIELAB a*", "Tint of the light stripes shown (+ red, − green); for adjustment, the final setting.", "t.tint"},
	{"response", "string", "", "The answer: red or green (2AFC), or timeout; for adjustment, the null setting in a* units; for screening, the position of the patch picked (0-based).", "CASE WHEN t.setting IS NOT NULL THEN t.setting::text ELSE t.response END"},
	{"timeout", "boolean", "", "true when no answer came within the response window (response is then 'timeout'); left out of the fits.", "t.response = 'timeout'"},
	{"target", "integer", "", "Screening trials: the position (0-based) of the tinted patch; empty for other trials.", "t.target"},
	{"correct", "boolean", "", "Screening trials: true when the chosen patch was the tinted one; empty for other trials.", "CASE WHEN t.method = 'screening' THEN (t.setting = t.target)::text END"},
	{"rt_ms", "number", "ms", "Response time from stimulus onset (for a timeout: the response window).", "t.rt_ms"},
	{"input", "string", "", "How the answer was given: key, click (mouse, trackpad or pen) or touch; empty when not reported (model rows).", "t.input"},
	{"since_induction_ms", "number", "ms", "Post-test trials: time from the end of the induction to the pattern's onset.", "t.since_induction_ms"},
	{"intended_ms", "number", "ms", "Intended stimulus duration.", "t.intended_ms"},
	{"measured_ms", "number", "ms", "Measured stimulus duration (requestAnimationFrame timestamps).", "t.measured_ms"},
	{"frames", "integer", "frames", "Frames the stimulus was on screen.", "t.frames"},
	{"dropped_frames", "integer", "frames", "Frames dropped or late during the stimulus.", "t.dropped_frames"},
	{"refresh_hz", "number", "Hz", "Display refresh rate measured in the screen check.", "(s.screen->>'refresh_hz')::float8"},
	{"model_p_red", "number", "probability", "The model observer's P(red) for the trial (model rows only).", "t.model_p_red"},
	{"model_mechanism", "string", "", "The model's adaptation mechanism: decorrelation, suppression or none (model rows only).", "s.model_mechanism"},
	{"model_seed", "integer", "", "The model observer's seed (model rows only).", "s.model_seed"},
	{"model_network", "string", "", "The model's pretrained network: the digest of its weights (model rows only; one per pretraining seed).", "s.model_network"},
	{"created_at", "datetime", "ISO 8601 UTC", "When the response was stored.", `to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`},
	{"followup_elapsed_s", "number", "s", "For follow-up trials: time since the session was completed.",
		"CASE WHEN t.phase = 'followup' THEN round(extract(epoch FROM t.created_at - s.completed_at)::numeric, 3) END"},
}

// orientationSQL is the test pattern's orientation, for the kinds that have
// one (stimuli.Kind.Oriented): a stored spec may still carry one for a kind
// that has none.
func orientationSQL() string {
	var oriented []string
	for _, k := range stimuli.Kinds {
		if k.Oriented() {
			oriented = append(oriented, "'"+string(k)+"'")
		}
	}
	return "CASE WHEN ps.spec->>'kind' IN (" + strings.Join(oriented, ", ") + ") THEN (ps.spec->>'orientation_deg')::float8 END"
}

// exportLevels are the coded values of export.csv's categorical columns.
var exportLevels = map[string][]experiments.Level{
	"participant_kind": {{Value: experiments.KindHuman, Meaning: "a person in a browser"}, {Value: experiments.KindModel, Meaning: "the ConvNet observer"}},
	"condition":        {{Value: "0", Meaning: "red paired with pattern a, green with b"}, {Value: "1", Meaning: "red paired with pattern b, green with a"}},
	"red_pattern":      {{Value: experiments.PatternA, Meaning: "pattern a was red during induction"}, {Value: experiments.PatternB, Meaning: "pattern b was red during induction"}},
	"phase": {
		{Value: string(experiments.PhaseScreening), Meaning: "colour-vision check before the tests: pick the tinted patch among neutral ones; never analysed"},
		{Value: string(experiments.PhasePractice), Meaning: "practice trials with feedback before the baseline; never analysed"},
		{Value: string(experiments.PhaseBaseline), Meaning: "test before induction"},
		{Value: string(experiments.PhasePost), Meaning: "test after induction"},
		{Value: string(experiments.PhaseFollowup), Meaning: "retest days later (optional)"},
	},
	"method": {
		{Value: string(experiments.MethodScreening), Meaning: "screening trial: response is the position of the patch picked, tint the tinted patch's a*"},
		{Value: string(experiments.ConstantStimuli), Meaning: "fixed tints, two-alternative forced choice red/green"},
		{Value: string(experiments.Staircase), Meaning: "interleaved 1-up/1-down staircases on the tint"},
		{Value: string(experiments.Adjustment), Meaning: "the participant nulls the tint; response is the setting"},
	},
	"response": {
		{Value: experiments.Red, Meaning: "the light stripes looked reddish"},
		{Value: experiments.Green, Meaning: "the light stripes looked greenish"},
		{Value: experiments.Timeout, Meaning: "no answer within the response window; left out of fits"},
		{Value: "<number>", Meaning: "adjustment: the null setting in a*; screening: the position of the patch picked (0-based)"},
	},
	"input": {
		{Value: experiments.InputKey, Meaning: "a key press"},
		{Value: experiments.InputClick, Meaning: "a mouse click on a button or patch"},
		{Value: experiments.InputTouch, Meaning: "a tap on a touch screen"},
	},
	"model_mechanism": {
		{Value: "decorrelation", Meaning: "anti-Hebbian decorrelation of the feature layer"},
		{Value: "suppression", Meaning: "intrinsic suppression (fatigue) of the feature layer"},
		{Value: "none", Meaning: "no adaptation (a control)"},
	},
}

// ExportVariables is export.csv's codebook: every column, in order, with
// its coded values.
func ExportVariables() []experiments.Variable {
	out := make([]experiments.Variable, len(ExportColumns))
	for i, c := range ExportColumns {
		out[i] = experiments.Variable{Name: c.Name, Type: c.Type, Unit: c.Unit, Meaning: c.Meaning, Levels: exportLevels[c.Name]}
	}
	return out
}

// ExportFilter narrows an export.
type ExportFilter struct {
	Kind   string // "", experiments.KindHuman or KindModel
	Status string // "" or a session status, e.g. complete
	// Previews includes researchers' preview sessions (left out by default).
	Previews bool
}

// Validate checks the filter's values; they end up in the COPY statement.
func (f ExportFilter) Validate() experiments.FieldErrors {
	var errs experiments.FieldErrors
	switch f.Kind {
	case "", experiments.KindHuman, experiments.KindModel:
	default:
		errs.Add("kind", "must be human or model")
	}
	switch f.Status {
	case "", experiments.StatusStarted, experiments.StatusComplete, experiments.StatusAbandoned,
		experiments.StatusWithdrawn, experiments.StatusScreenedOut:
	default:
		errs.Add("status", "must be started, complete, abandoned, withdrawn or screened_out")
	}
	return errs
}

// ExportQuery is the SELECT behind export.csv (exported for the benchmark
// that compares ExportCSV with psql's \copy of the same query). COPY takes
// no parameters, so the values are validated (filter) or integers (id)
// before inlining.
func ExportQuery(experimentID int64, f ExportFilter) string {
	cols := make([]string, len(ExportColumns))
	for i, c := range ExportColumns {
		expr := c.sql
		if c.Type == "string" {
			expr = safeCellSQL(expr) // no spreadsheet formulas (csvsafe.go)
		}
		cols[i] = expr + " AS " + c.Name
	}
	where := fmt.Sprintf("v.experiment_id = %d", experimentID)
	if !f.Previews {
		where += " AND NOT s.preview"
	}
	if f.Kind != "" {
		where += fmt.Sprintf(" AND s.participant_kind = '%s'", f.Kind)
	}
	if f.Status != "" {
		where += fmt.Sprintf(" AND s.status = '%s'", f.Status)
	}
	// The test patterns' specs are looked up once per version (ps), not
	// per row: extracting them from each row's definition dominated the
	// query's time.
	return fmt.Sprintf(`WITH ps AS (
			SELECT v.id AS version_id, p.name, p.spec, p.morph
			FROM experiment_versions v, LATERAL (
				SELECT 'a', v.definition->'pair'->'a', NULL::float8
				UNION ALL SELECT 'b', v.definition->'pair'->'b', NULL::float8
				UNION ALL SELECT ep->>'name', coalesce(ep->'pattern', v.definition->'pair'->'a'), (ep->>'morph')::float8
				          FROM jsonb_array_elements(coalesce(v.definition->'test'->'extra_patterns', '[]')) ep
			) p(name, spec, morph)
			WHERE v.experiment_id = %d)
		SELECT `, experimentID) + strings.Join(cols, ", ") + `
		FROM trials t
		JOIN sessions s ON s.id = t.session_id
		JOIN experiment_versions v ON v.id = s.experiment_version_id
		JOIN experiments e ON e.id = v.experiment_id
		LEFT JOIN ps ON ps.version_id = v.id AND ps.name = t.pattern
		WHERE ` + where + `
		ORDER BY s.created_at, s.id, t.trial_index`
}

// ExportCSV streams an experiment's trials as CSV (RFC 4180, header row,
// UTF-8) straight from PostgreSQL's COPY into w, in constant memory.
func (db *DB) ExportCSV(ctx context.Context, experimentID int64, f ExportFilter, w io.Writer) error {
	if errs := f.Validate(); len(errs) > 0 {
		return experiments.InvalidFields(errs)
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	sql := "COPY (" + ExportQuery(experimentID, f) + ") TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
	if _, err := conn.Conn().PgConn().CopyTo(ctx, w, sql); err != nil {
		return fmt.Errorf("exporting trials: %w", err)
	}
	return nil
}

// WriteCodebook writes a codebook as CSV: column, type, unit, meaning and
// the coded values ("value = meaning", separated by " | ").
func WriteCodebook(w io.Writer, vars []experiments.Variable) error {
	cw := NewCSVWriter(w)
	_ = cw.Write([]string{"column", "type", "unit", "meaning", "values"})
	for _, v := range vars {
		levels := make([]string, len(v.Levels))
		for i, l := range v.Levels {
			levels[i] = l.Value + " = " + l.Meaning
		}
		_ = cw.Write([]string{v.Name, v.Type, v.Unit, v.Meaning, strings.Join(levels, " | ")})
	}
	return cw.Flush()
}

package server

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// The protocol editor's form: a definition as the inputs show it, and the
// inputs read back into a definition.

var experimentInputs = inputSet(slices.Concat([]string{
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
}, patternInputNames("pair.a"), patternInputNames("pair.b"), colorInputNames("colors"), optionInputNames, textInputNames())...)

// experimentAliases place errors of fields without an input of their own.
var experimentAliases = map[string]string{
	"test":            "test.method",
	"test.staircase":  "test.method",
	"test.adjustment": "test.method",
	"pair":            "pair_id",
	"slug":            "",
	"induction":       "induction.duration_s",
}

func init() {
	for k, v := range optionAliases {
		experimentAliases[k] = v
	}
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
	putOptions(v, d)
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
		Counterbalance: new(p.checked("counterbalance")),
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
		Baseline: new(p.checked("phases.baseline")),
		Post:     new(p.checked("phases.post")),
		Reversal: p.checked("phases.reversal"),
		Followup: p.checked("phases.followup"),
	}
	if d.Phases.Followup {
		d.Phases.FollowupAfterS = p.floatPtr("phases.followup_after_s")
	}
	p.options(&d)
	return d, p.errs
}

package experiments

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/stimuli"
)

func TestBuiltinsValidAndRoundTrip(t *testing.T) {
	for _, d := range Builtins() {
		t.Run(d.Slug, func(t *testing.T) {
			if errs := d.Validate(); len(errs) > 0 {
				t.Fatalf("builtin invalid: %v", errs)
			}
			got, err := ParseDefinition(mustJSON(t, d))
			if err != nil {
				t.Fatalf("ParseDefinition(json(builtin)): %v", err)
			}
			if !reflect.DeepEqual(got, d) {
				t.Errorf("round trip changed the definition:\n got %+v\nwant %+v", got, d)
			}
			if !reflect.DeepEqual(d.WithDefaults(), d) {
				t.Error("WithDefaults is not idempotent")
			}
		})
	}
}

func TestClassic(t *testing.T) {
	d := Classic()
	if d.Slug != "classic" || d.Colors.Red != "#ce2e2e" || d.Colors.Green != "#189234" || d.Colors.Dark != "#0c0c0e" {
		t.Errorf("colours/slug: %+v %q", d.Colors, d.Slug)
	}
	a, b := d.Pair.A, d.Pair.B
	if a.Kind != stimuli.Grating || a.OrientationDeg != 0 || a.PeriodPx != 26 || a.Waveform != stimuli.Square ||
		b.Kind != stimuli.Grating || b.OrientationDeg != 90 || b.PeriodPx != 26 {
		t.Errorf("pair: %+v %+v", a, b)
	}
	if d.Induction.DurationS != 180 || d.Induction.SwitchS != 2.4 {
		t.Errorf("induction: %+v", d.Induction)
	}
	if !slices.Equal(d.Test.Tints, []float64{-12, -8, -4, -2, 0, 2, 4, 8, 12}) || d.Test.Repeats != 2 {
		t.Errorf("test: %+v", d.Test)
	}
	if got := d.PatternNames(); !slices.Equal(got, []string{"a", "b", "oblique"}) {
		t.Errorf("patterns: %v", got)
	}
	if o := d.Test.ExtraPatterns[0].Pattern; o.OrientationDeg != 45 || o.Kind != stimuli.Grating {
		t.Errorf("control: %+v", o)
	}
	if !d.Phases.BaselineOn() || !d.Phases.PostOn() || d.Phases.Reversal || d.Phases.Followup || !d.Counterbalanced() {
		t.Errorf("phases: %+v", d.Phases)
	}
	cc := CirclesCrosses()
	if cc.Pair.A.Kind != stimuli.Circles || cc.Pair.B.Kind != stimuli.Crosses || cc.Induction.SwitchS != 1 || cc.Induction.DurationS != 120 {
		t.Errorf("circles-crosses: %+v %+v", cc.Pair, cc.Induction)
	}
}

func TestDefaults(t *testing.T) {
	d, err := ParseDefinition([]byte(minimalJSON))
	if err != nil {
		t.Fatal(err)
	}
	if d.SizePx != 512 || d.Colors.NeutralL != 82 || !d.Counterbalanced() || d.Induction.Jitter() != 20 ||
		d.Test.Method != ConstantStimuli || d.Test.DurationMS != 1000 || len(d.Test.ExtraPatterns) != 1 ||
		d.Test.ExtraPatterns[0].Name != "oblique" || d.Pair.A.PeriodPx != 26 {
		t.Errorf("defaults not filled: %+v", d)
	}
	if !strings.Contains(d.ConsentMD, "days") || !strings.Contains(d.DebriefMD, "days") {
		t.Error("default texts must say the effect may last days")
	}

	// Explicit values that equal the zero value survive defaulting.
	d, err = ParseDefinition(mutate(t, mutate(t, mutate(t, []byte(minimalJSON),
		"counterbalance", false), "induction.jitter_px", 0), "test.extra_patterns", []any{}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Counterbalanced() || d.Arms() != 1 || d.Induction.Jitter() != 0 || len(d.PatternNames()) != 2 {
		t.Errorf("explicit false/0/[] lost: counterbalance=%v jitter=%v patterns=%v", d.Counterbalanced(), d.Induction.Jitter(), d.PatternNames())
	}

	// Method blocks are filled only for their method.
	for _, m := range []Method{Staircase, Adjustment} {
		d, err := ParseDefinition(mutate(t, []byte(minimalJSON), "test.method", string(m)))
		if err != nil {
			t.Fatal(err)
		}
		if d.Test.Tints != nil || d.Test.Repeats != 0 || (m == Staircase) != (d.Test.Staircase != nil) || (m == Adjustment) != (d.Test.Adjustment != nil) {
			t.Errorf("%s: method blocks %+v", m, d.Test)
		}
	}

	// The reversal changes the default texts' promise.
	d, _ = ParseDefinition(mutate(t, []byte(minimalJSON), "phases.reversal", true))
	if !strings.Contains(d.ConsentMD, "reversal") || !strings.Contains(d.DebriefMD, "offered below") {
		t.Error("with a reversal, the texts should offer it")
	}
}

func TestValidationFieldPaths(t *testing.T) {
	base := mustJSON(t, Classic())
	long := strings.Repeat("x", 201)
	staircase := mutate(t, mutate(t, mutate(t, base, "test.method", "staircase"), "test.tints", del), "test.repeats", del)
	adjustment := mutate(t, mutate(t, mutate(t, base, "test.method", "adjustment"), "test.tints", del), "test.repeats", del)
	extra := func(v any) []byte { return mutate(t, base, "test.extra_patterns", []any{v}) }
	grating := map[string]any{"kind": "grating"}
	tests := []struct {
		name string
		doc  []byte
		want []string
	}{
		{"slug uppercase", mutate(t, base, "slug", "Classic"), []string{"slug"}},
		{"slug too short", mutate(t, base, "slug", "c"), []string{"slug"}},
		{"slug starts with digit", mutate(t, base, "slug", "1st"), []string{"slug"}},
		{"name blank", mutate(t, base, "name", "  "), []string{"name"}},
		{"name too long", mutate(t, base, "name", long), []string{"name"}},
		{"no pair", mutate(t, base, "pair", del), []string{"pair"}},
		{"pair and pair_id", mutate(t, base, "pair_id", 3), []string{"pair_id"}},
		{"bad pair_id", mutate(t, mutate(t, base, "pair", del), "pair_id", -1), []string{"pair_id"}},
		{"pattern period", mutate(t, base, "pair.a.period_px", 1), []string{"pair.a.period_px"}},
		{"pattern kind", mutate(t, base, "pair.b.kind", "hexagons"), []string{"pair.b.kind"}},
		{"colour name", mutate(t, base, "colors.red", "red"), []string{"colors.red"}},
		{"short hex", mutate(t, base, "colors.dark", "#000"), []string{"colors.dark"}},
		{"lightness", mutate(t, base, "colors.neutral_l", 100), []string{"colors.neutral_l"}},
		{"size", mutate(t, base, "size_px", 32), []string{"size_px"}},
		{"induction too long", mutate(t, base, "induction.duration_s", 4000), []string{"induction.duration_s"}},
		{"negative switch", mutate(t, base, "induction.switch_s", -1), []string{"induction.switch_s"}},
		{"switch >= duration", mutate(t, base, "induction.switch_s", 180), []string{"induction.switch_s"}},
		{"tiny switch", mutate(t, base, "induction.switch_s", 0.2), []string{"induction.switch_s"}},
		{"negative jitter", mutate(t, base, "induction.jitter_px", -1), []string{"induction.jitter_px"}},
		{"method", mutate(t, base, "test.method", "yes_no"), []string{"test.method", "test.repeats", "test.tints"}},
		{"tint out of range", mutate(t, base, "test.tints", []any{-4, 0, 4, 200}), []string{"test.tints[3]"}},
		{"duplicate tint", mutate(t, base, "test.tints", []any{0, 1, 1}), []string{"test.tints[2]"}},
		{"no tints", mutate(t, base, "test.tints", []any{}), []string{"test.tints"}},
		{"repeats", mutate(t, base, "test.repeats", 51), []string{"test.repeats"}},
		{"test duration", mutate(t, base, "test.duration_ms", 20), []string{"test.duration_ms"}},
		{"too many trials", mutate(t, mutate(t, base, "test.repeats", 50), "test.tints", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), []string{"test"}},
		{"extra name empty", extra(map[string]any{"name": "", "morph": 0.5}), []string{"test.extra_patterns[0].name"}},
		{"extra name taken", extra(map[string]any{"name": "a", "morph": 0.5}), []string{"test.extra_patterns[0].name"}},
		{"extra both", extra(map[string]any{"name": "mid", "morph": 0.5, "pattern": grating}), []string{"test.extra_patterns[0]"}},
		{"extra neither", extra(map[string]any{"name": "mid"}), []string{"test.extra_patterns[0]"}},
		{"extra morph range", extra(map[string]any{"name": "mid", "morph": 1.5}), []string{"test.extra_patterns[0].morph"}},
		{"extra pattern duty", extra(map[string]any{"name": "x", "pattern": map[string]any{"kind": "grating", "duty": 1.5}}), []string{"test.extra_patterns[0].pattern.duty"}},
		{"staircase block for constant", mutate(t, base, "test.staircase", map[string]any{"start_tint": 5}), []string{"test.staircase"}},
		{"tints for staircase", mutate(t, staircase, "test.tints", []any{1}), []string{"test.tints"}},
		{"steps grow", mutate(t, staircase, "test.staircase.steps", []any{4, 8}), []string{"test.staircase.steps[1]"}},
		{"start beyond min", mutate(t, staircase, "test.staircase.min_tint", -5), []string{"test.staircase.start_tint"}},
		{"min >= max", mutate(t, mutate(t, staircase, "test.staircase.min_tint", 5), "test.staircase.max_tint", 4), []string{"test.staircase.max_tint"}},
		{"max trials", mutate(t, staircase, "test.staircase.max_trials", -1), []string{"test.staircase.max_trials"}},
		{"start range below start min", mutate(t, adjustment, "test.adjustment.start_range", 3), []string{"test.adjustment.start_range"}},
		{"adjust step", mutate(t, adjustment, "test.adjustment.step", 0.001), []string{"test.adjustment.step"}},
		{"adjust trials", mutate(t, adjustment, "test.adjustment.trials_per_pattern", 51), []string{"test.adjustment.trials_per_pattern"}},
		{"no post", mutate(t, base, "phases.post", false), []string{"phases.post"}},
		{"followup delay without followup", mutate(t, base, "phases.followup_after_s", 86400), []string{"phases.followup_after_s"}},
		{"blank consent", mutate(t, base, "consent_md", " \n"), []string{"consent_md"}},
		{"ftp completion", mutate(t, base, "completion_url", "ftp://example.com/{code}"), []string{"completion_url"}},
		{"relative completion", mutate(t, base, "completion_url", "/done?c={code}"), []string{"completion_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition(tt.doc)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := fieldsOf(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestValidationAcceptsGoodVariants(t *testing.T) {
	base := mustJSON(t, Classic())
	for name, doc := range map[string][]byte{
		"completion url":  mutate(t, base, "completion_url", "https://app.prolific.com/submissions/complete?cc={code}"),
		"pair_id":         mutate(t, mutate(t, base, "pair", del), "pair_id", 7),
		"followup":        mutate(t, mutate(t, base, "phases.followup", true), "phases.followup_after_s", 86400),
		"morph continuum": mutate(t, base, "test.extra_patterns", []any{map[string]any{"name": "mid", "morph": 0.5}, map[string]any{"name": "quarter", "morph": 0.25}}),
		"no baseline":     mutate(t, base, "phases.baseline", false),
	} {
		if _, err := ParseDefinition(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidationReportsAllAtOnce(t *testing.T) {
	doc := mutate(t, mutate(t, mutate(t, mustJSON(t, Classic()),
		"induction.switch_s", -2), "pair.a.period_px", 0.5), "test.tints", []any{0, 2, 4, 500})
	_, err := ParseDefinition(doc)
	want := []string{"induction.switch_s", "pair.a.period_px", "test.tints[3]"}
	if got := fieldsOf(t, err); !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

func TestStrictJSON(t *testing.T) {
	base := mustJSON(t, Classic())
	tests := []struct {
		name, doc, field string
	}{
		{"unknown top-level field", string(mutate(t, base, "colour", "red")), "colour"},
		{"unknown nested field", string(mutate(t, base, "induction.speed", 2)), "induction.speed"},
		{"wrong type", string(mutate(t, base, "size_px", "big")), "size_px"},
		{"fraction for int", string(mutate(t, base, "test.repeats", 1.5)), "test.repeats"},
		{"nested wrong type", string(mutate(t, base, "pair.a.period_px", "x")), "pair.a.period_px"},
		{"trailing data", string(base) + "{}", ""},
		{"not json", "slug: classic", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition([]byte(tt.doc))
			if got := fieldsOf(t, err); !slices.Equal(got, []string{tt.field}) {
				t.Errorf("fields = %v, want [%q] (%v)", got, tt.field, err)
			}
		})
	}
}

func TestPairIDResolution(t *testing.T) {
	doc := mutate(t, mutate(t, []byte(minimalJSON), "pair", del), "pair_id", 7)
	d, err := ParseDefinition(doc)
	if err != nil {
		t.Fatal(err)
	}
	if d.Test.ExtraPatterns != nil {
		t.Error("the default control needs A; it must wait for the pair")
	}
	if _, err := NewPlan(d, 1, ConditionForArm(0)); ErrorCode(err) != Invalid {
		t.Errorf("planning an unresolved pair_id: %v", err)
	}
	if _, err := d.TestStimulus("a", 0); ErrorCode(err) != Invalid {
		t.Errorf("stimulus of an unresolved pair_id: %v", err)
	}
	d = d.WithPair(*Classic().Pair)
	if d.PairID != nil || len(d.Validate()) > 0 || !slices.Equal(d.PatternNames(), []string{"a", "b", "oblique"}) {
		t.Errorf("WithPair: %+v %v", d, d.Validate())
	}
	mustPlan(t, d, 1, 1)
}

func TestStimuli(t *testing.T) {
	d := Classic()
	d.Test.ExtraPatterns = append(d.Test.ExtraPatterns, ExtraPattern{Name: "mid", Morph: new(0.5)})
	s, err := d.TestStimulus("b", -4)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pattern != d.Pair.B || s.Tint != -4 || s.NeutralL != 82 || s.Dark != "#0c0c0e" || s.Light != "" || s.RefSizePx != 512 {
		t.Errorf("test stimulus %+v", s)
	}
	s, _ = d.TestStimulus("mid", 2)
	if s.Pattern != d.Pair.A || s.MorphTo == nil || *s.MorphTo != d.Pair.B || s.Morph != 0.5 {
		t.Errorf("morph stimulus %+v", s)
	}
	s, _ = d.TestStimulus("oblique", 0)
	if s.Pattern.OrientationDeg != 45 {
		t.Errorf("control stimulus %+v", s)
	}
	s, err = d.InductionStimulus("a", "green")
	if err != nil || s.Light != "#189234" || s.Pattern != d.Pair.A || s.Dark != "#0c0c0e" {
		t.Errorf("induction stimulus %+v %v", s, err)
	}
	for _, bad := range [][2]string{{"oblique", "red"}, {"a", "blue"}} {
		if _, err := d.InductionStimulus(bad[0], bad[1]); ErrorCode(err) != Invalid {
			t.Errorf("InductionStimulus(%v): %v", bad, err)
		}
	}
	if _, err := d.TestStimulus("nope", 0); ErrorCode(err) != NotFound {
		t.Errorf("unknown pattern: %v", err)
	}
}

// The FieldErrors JSON is what the API returns: {"field": ..., "error": ...}.
func TestInvalidErrorJSON(t *testing.T) {
	_, err := ParseDefinition(mutate(t, mustJSON(t, Classic()), "induction.switch_s", -1))
	b, _ := json.Marshal(err)
	if !strings.Contains(string(b), `{"field":"induction.switch_s","error":"must be \u003e 0"}`) {
		t.Errorf("error JSON = %s", b)
	}
}

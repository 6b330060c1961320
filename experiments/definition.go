package experiments

import (
	"encoding/json"

	"github.com/mccollough/mccollough/stimuli"
)

// Method is a test method (DESIGN.md §1).
type Method string

const (
	ConstantStimuli Method = "constant_stimuli" // fixed tints, 2AFC red/green
	Staircase       Method = "staircase"        // interleaved 1-up/1-down per pattern
	Adjustment      Method = "adjustment"       // the participant nulls the tint
	// MethodScreening is the colour-vision check before the tests: pick the
	// tinted patch among neutral ones.
	MethodScreening Method = "screening"
)

// Pattern names used in plans besides the extra patterns' own names.
const (
	PatternA = "a"
	PatternB = "b"
)

// Induction colour names (the keys of Colors used by induction frames).
const (
	Red   = "red"
	Green = "green"
)

// Definition is one experiment, as a researcher writes it (DESIGN.md §4).
// Stored versions hold it with every default filled in (WithDefaults), so a
// later change of a default never changes an experiment that already ran.
type Definition struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Exactly one of Pair and PairID. A PairID refers to a stored pattern
	// pair; storage resolves it with WithPair before planning.
	Pair   *Pair  `json:"pair,omitempty"`
	PairID *int64 `json:"pair_id,omitempty"`

	Colors Colors `json:"colors"`
	SizePx int    `json:"size_px"`
	// Counterbalance assigns red to A for half the participants and to B
	// for the other half. Nil means the default, true; see Counterbalanced.
	Counterbalance *bool `json:"counterbalance,omitempty"`

	Induction Induction `json:"induction"`
	Test      Test      `json:"test"`
	Phases    Phases    `json:"phases"`
	// Screening checks colour vision and the screen first (on when absent).
	Screening *Screening `json:"screening,omitempty"`
	// Practice is a short block of strongly tinted patterns with feedback
	// before the first test; never analysed. Absent (or 0 trials): none.
	Practice *Practice `json:"practice,omitempty"`
	// Exclusions are the rules that leave a session out of the results.
	Exclusions *Exclusions `json:"exclusions,omitempty"`

	ConsentMD      string `json:"consent_md"`
	DebriefMD      string `json:"debrief_md"`
	InstructionsMD string `json:"instructions_md,omitempty"`
	// CompletionURL is where a finished participant is sent; "{code}" is
	// replaced by their completion code.
	CompletionURL string `json:"completion_url,omitempty"`
	// Language is the participant's language (BCP 47, default "en"); its
	// built-in texts (see Texts) are used unless TextOverrides replaces them.
	Language      string            `json:"language,omitempty"`
	TextOverrides map[string]string `json:"texts,omitempty"`
	// Contact is who participants can write to; shown on the consent,
	// debrief, withdrawn and error pages.
	Contact *Contact `json:"contact,omitempty"`
}

// Contact is the researchers' contact for participants.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Pair is the two induction patterns: A and B.
type Pair struct {
	A stimuli.Pattern `json:"a"`
	B stimuli.Pattern `json:"b"`
}

// Colors are the induction colours (sRGB hex) and the lightness of the
// neutral test stripes.
type Colors struct {
	Red   string `json:"red"`
	Green string `json:"green"`
	Dark  string `json:"dark"`
	// NeutralL is the CIELAB L* of the light test stripes; tints shift them
	// along a*.
	NeutralL float64 `json:"neutral_l"`
}

// Induction is the alternating adaptation phase.
type Induction struct {
	DurationS float64 `json:"duration_s"`
	SwitchS   float64 `json:"switch_s"`
	// JitterPx bounds the jumps of the fixation mark. A pointer because 0
	// (a still mark) is a legitimate choice distinct from "absent".
	JitterPx *float64 `json:"jitter_px,omitempty"`
	// MaxGapS is the longest time the stimulus may be out of sight (hidden
	// tab, left full screen, window blurred) before the induction starts
	// again from the beginning. A pointer: 0 (any gap restarts) is a
	// legitimate choice distinct from "absent" (DefaultMaxGapS).
	MaxGapS *float64 `json:"max_gap_s,omitempty"`
}

// MaxGap is MaxGapS with its default applied.
func (in Induction) MaxGap() float64 {
	if in.MaxGapS == nil {
		return DefaultMaxGapS
	}
	return *in.MaxGapS
}

// Jitter is JitterPx with its default applied.
func (in Induction) Jitter() float64 {
	if in.JitterPx == nil {
		return DefaultJitterPx
	}
	return *in.JitterPx
}

// Test describes one test block; the same block runs in every test phase.
type Test struct {
	Method Method `json:"method"`
	// Tints and Repeats apply to constant_stimuli only.
	Tints   []float64 `json:"tints,omitempty"`
	Repeats int       `json:"repeats,omitempty"`
	// DurationMS is how long each test pattern is shown.
	DurationMS int `json:"duration_ms"`
	// ExtraPatterns are controls and continua tested alongside A and B.
	// Absent (nil) means the default oblique control; [] means none.
	ExtraPatterns []ExtraPattern `json:"extra_patterns"`

	Staircase  *StaircaseParams  `json:"staircase,omitempty"`
	Adjustment *AdjustmentParams `json:"adjustment,omitempty"`

	// CatchTrials per block are strongly tinted patterns (±CatchTint a*)
	// whose answer is obvious: they check attention, are scored by the
	// server and never enter a fit. CatchTint defaults to DefaultCatchTint.
	CatchTrials int     `json:"catch_trials,omitempty"`
	CatchTint   float64 `json:"catch_tint,omitempty"`
	// BreakEvery trials a dark rest screen counts down BreakS seconds and
	// then goes on by itself (0: no breaks).
	BreakEvery int     `json:"break_every,omitempty"`
	BreakS     float64 `json:"break_s,omitempty"`
	// ITIMS is the dark interval between an answer and the next trial's
	// fixation cross. A pointer: 0 is a choice distinct from "absent"
	// (DefaultITIMS).
	ITIMS *int `json:"iti_ms,omitempty"`
	// ResponseWindowMS limits the time for a red/green answer from the
	// pattern's onset; 0 is unlimited. An unanswered trial is stored with
	// response "timeout" and left out of the fits. Adjustment settings are
	// not timed.
	ResponseWindowMS int `json:"response_window_ms,omitempty"`
}

// ITI is ITIMS with its default applied.
func (t Test) ITI() int {
	if t.ITIMS == nil {
		return DefaultITIMS
	}
	return *t.ITIMS
}

// ExtraPattern is a test-only pattern: either its own spec or a point on the
// morph continuum between A (0) and B (1).
type ExtraPattern struct {
	Name    string           `json:"name"`
	Pattern *stimuli.Pattern `json:"pattern,omitempty"`
	Morph   *float64         `json:"morph,omitempty"`
}

// StaircaseParams configure the interleaved 1-up/1-down staircases.
type StaircaseParams struct {
	// StartTint is the absolute starting tint; each staircase starts on the
	// red or the green side, balanced across the staircases of a block.
	StartTint float64 `json:"start_tint"`
	// Steps are the step sizes in a*; the staircase moves to the next
	// (smaller) one after each reversal and stays on the last.
	Steps        []float64 `json:"steps"`
	MaxReversals int       `json:"max_reversals"`
	MaxTrials    int       `json:"max_trials"`
	MinTint      *float64  `json:"min_tint,omitempty"`
	MaxTint      *float64  `json:"max_tint,omitempty"`
}

// AdjustmentParams configure the nulling method.
type AdjustmentParams struct {
	// Start tints are drawn uniformly with |tint| in [StartMin, StartRange],
	// red and green sides balanced per pattern.
	StartMin   float64 `json:"start_min"`
	StartRange float64 `json:"start_range"`
	// Step is the change of tint per key press.
	Step             float64  `json:"step"`
	Min              *float64 `json:"min,omitempty"`
	Max              *float64 `json:"max,omitempty"`
	TrialsPerPattern int      `json:"trials_per_pattern"`
}

// Phases switch the parts of the protocol on and off. Induction always runs.
type Phases struct {
	Baseline *bool `json:"baseline,omitempty"`
	Post     *bool `json:"post,omitempty"`
	// Reversal offers, after the debrief, an induction with the colours
	// swapped, which undoes the effect.
	Reversal bool `json:"reversal"`
	// Followup is a later retest; FollowupAfterS is the intended delay.
	Followup       bool     `json:"followup"`
	FollowupAfterS *float64 `json:"followup_after_s,omitempty"`
	// PostDelayS is the dark wait between the end of the induction and the
	// post test, which then starts by itself (a countdown, no click), so
	// every participant is tested at the same time after adapting.
	PostDelayS float64 `json:"post_delay_s"`
}

// BaselineOn reports whether the baseline test runs (default true).
func (p Phases) BaselineOn() bool { return p.Baseline == nil || *p.Baseline }

// PostOn reports whether the post test runs (default true).
func (p Phases) PostOn() bool { return p.Post == nil || *p.Post }

// Counterbalanced reports whether the colour-pattern assignment is
// counterbalanced (default true).
func (d Definition) Counterbalanced() bool {
	return d.Counterbalance == nil || *d.Counterbalance
}

// Arms is the number of counterbalancing arms: 2, or 1 without
// counterbalancing (arm 0, red with A).
func (d Definition) Arms() int {
	if d.Counterbalanced() {
		return 2
	}
	return 1
}

// ParseDefinition decodes a definition strictly (unknown fields, wrong types
// and trailing data are errors), fills the defaults and validates it. Every
// problem is reported at once, as an Invalid *Error with field paths.
func ParseDefinition(data []byte) (Definition, error) {
	var d Definition
	if err := stimuli.DecodeStrict(data, &d); err != nil {
		return Definition{}, asInvalid(err)
	}
	d = d.WithDefaults()
	if errs := d.Validate(); len(errs) > 0 {
		return Definition{}, InvalidFields(errs)
	}
	return d, nil
}

// WithPair resolves a pair_id definition to its stored pair: the patterns
// become part of the definition (so a version never changes when the pair
// is edited later) and defaults that depend on A are filled.
func (d Definition) WithPair(p Pair) Definition {
	d.Pair = &p
	d.PairID = nil
	return d.WithDefaults()
}

// PatternNames lists the test patterns in their canonical order: "a", "b",
// then the extra patterns.
func (d Definition) PatternNames() []string {
	names := []string{PatternA, PatternB}
	for _, e := range d.Test.ExtraPatterns {
		names = append(names, e.Name)
	}
	return names
}

// ParseNewDefinition is ParseDefinition for creating an experiment: a
// document with neither pair nor pair_id starts from the classic study
// (Classic), so {"slug": "...", "name": "..."} alone is a complete,
// runnable experiment; the fields given replace the classic ones.
func ParseNewDefinition(data []byte) (Definition, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return ParseDefinition(data) // reports the JSON error
	}
	_, hasPair := probe["pair"]
	_, hasPairID := probe["pair_id"]
	if hasPair || hasPairID {
		return ParseDefinition(data)
	}
	d := Classic()
	if err := stimuli.DecodeStrict(data, &d); err != nil {
		return Definition{}, asInvalid(err)
	}
	d = d.WithDefaults()
	if errs := d.Validate(); len(errs) > 0 {
		return Definition{}, InvalidFields(errs)
	}
	return d, nil
}

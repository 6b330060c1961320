package experiments

import (
	"fmt"
	"math"
)

// PlanFormat is the version of the plan JSON shape; bump it on any
// incompatible change, since runners, the API and the ConvNet read plans.
const PlanFormat = 1

// Phase is a part of the protocol.
type Phase string

const (
	PhaseBaseline  Phase = "baseline"
	PhaseInduction Phase = "induction"
	PhasePost      Phase = "post"
	PhaseReversal  Phase = "reversal"
	PhaseFollowup  Phase = "followup"
	// PhaseScreening is the colour-vision check before any test.
	PhaseScreening Phase = "screening"
	// PhasePractice is the practice block (with feedback; never analysed).
	PhasePractice Phase = "practice"
)

// StepKind is what the runner shows in a step.
type StepKind string

const (
	StepConsent      StepKind = "consent"
	StepScreenCheck  StepKind = "screen_check"
	StepInstructions StepKind = "instructions"
	StepTest         StepKind = "test"
	StepInduction    StepKind = "induction"
	StepDebrief      StepKind = "debrief"
	// StepScreening shows the colour-vision check (a test block of
	// method "screening"): pick the tinted patch among neutral ones.
	StepScreening StepKind = "screening"
)

// Plan is everything one session will do, fixed in advance from the
// definition, the session seed and the counterbalancing condition. Only the
// staircase tints are left open: they depend on the responses and are
// produced by NextStaircaseTrial, itself a pure function of the plan.
type Plan struct {
	Format    int       `json:"format"`
	Seed      int64     `json:"seed"`
	Condition Condition `json:"condition"`
	SizePx    int       `json:"size_px"`
	Steps     []Step    `json:"steps"`
	// Trials of all test steps, indices 0..n-1 in presentation order.
	Trials []Trial `json:"trials"`
}

// Step is one screen or phase of the protocol. Test steps carry a
// TestBlock (its fields appear inline in JSON), induction steps a schedule.
type Step struct {
	Index int      `json:"index"`
	Kind  StepKind `json:"kind"`
	Phase Phase    `json:"phase,omitempty"`
	*TestBlock
	// Optional steps (reversal, follow-up) may be skipped by the participant
	// without making the session incomplete.
	Optional bool `json:"optional,omitempty"`
	// AfterS is the intended delay of a follow-up test after the session.
	AfterS *float64 `json:"after_s,omitempty"`
	// StartDelayMS, when set, makes the step start by itself this long
	// after the previous one ends, behind a dark countdown with nothing to
	// click (the post test: the time since induction is the same for all).
	StartDelayMS *int               `json:"start_delay_ms,omitempty"`
	Induction    *InductionSchedule `json:"induction,omitempty"`
}

// TestBlock is the trial range of a test step.
type TestBlock struct {
	Block      int    `json:"block"`
	Method     Method `json:"method"`
	FirstTrial int    `json:"first_trial"`
	TrialCount int    `json:"trial_count"`
	// Staircases run interleaved in a staircase block.
	Staircases []StaircaseSpec `json:"staircases,omitempty"`
	// ITIMS is the dark interval between an answer and the next trial.
	ITIMS int `json:"iti_ms,omitempty"`
	// BreakEvery trials (counting catch trials) a dark rest screen counts
	// down BreakMS and goes on by itself; 0 means no breaks.
	BreakEvery int `json:"break_every,omitempty"`
	BreakMS    int `json:"break_ms,omitempty"`
}

// Contains reports whether trial index i belongs to the block.
func (b *TestBlock) Contains(i int) bool {
	return b != nil && i >= b.FirstTrial && i < b.FirstTrial+b.TrialCount
}

// StaircaseSpec is one staircase of a block, with everything its rule needs.
type StaircaseSpec struct {
	ID           string    `json:"id"` // "<phase>/<pattern>"
	Pattern      string    `json:"pattern"`
	StartTint    float64   `json:"start_tint"` // signed: the side is part of the plan
	Steps        []float64 `json:"steps"`
	MaxReversals int       `json:"max_reversals"`
	MaxTrials    int       `json:"max_trials"`
	MinTint      float64   `json:"min_tint"`
	MaxTint      float64   `json:"max_tint"`
}

// Trial is one test presentation. Tint is null where it is not fixed in
// advance: staircase slots (see NextStaircaseTrial) and adjustment trials
// (which start at StartTint and end at the participant's setting).
type Trial struct {
	Index      int      `json:"index"`
	Phase      Phase    `json:"phase"`
	Block      int      `json:"block"`
	Method     Method   `json:"method"`
	Pattern    string   `json:"pattern"`
	Tint       *float64 `json:"tint"`
	DurationMS int      `json:"duration_ms"`
	// Required trials must be stored before the session can complete.
	Required  bool     `json:"required"`
	Staircase string   `json:"staircase,omitempty"`
	StartTint *float64 `json:"start_tint,omitempty"`
	MinTint   *float64 `json:"min_tint,omitempty"`
	MaxTint   *float64 `json:"max_tint,omitempty"`
	Step      float64  `json:"step,omitempty"`
	// Patches and Target describe a screening trial: the tinted patch's
	// position among Patches patches.
	Patches int  `json:"patches,omitempty"`
	Target  *int `json:"target,omitempty"`
	// Catch marks a catch trial: an obvious tint that checks attention,
	// scored by ScoreCatch and never analysed.
	Catch bool `json:"catch,omitempty"`
	// Feedback: the runner says after the answer whether it was right
	// (practice trials).
	Feedback bool `json:"feedback,omitempty"`
	// ResponseWindowMS limits a red/green answer from the pattern's onset;
	// after it the trial is stored as Timeout. 0: unlimited.
	ResponseWindowMS int `json:"response_window_ms,omitempty"`
}

// InductionSchedule is the exact frame sequence of an induction phase.
type InductionSchedule struct {
	DurationMS int              `json:"duration_ms"`
	SwitchMS   int              `json:"switch_ms"`
	Frames     []InductionFrame `json:"frames"`
}

// InductionFrame is one coloured pattern shown for DurationMS from StartMS,
// with the fixation mark at (FixationX, FixationY) px from the centre (at
// size_px; y down).
type InductionFrame struct {
	Pattern    string `json:"pattern"`
	Color      string `json:"color"`
	StartMS    int    `json:"start_ms"`
	DurationMS int    `json:"duration_ms"`
	FixationX  int    `json:"fixation_x"`
	FixationY  int    `json:"fixation_y"`
}

// NewPlan builds the session plan. The same definition, seed and condition
// always give the identical plan (deep-equal, byte-identical JSON), so a
// plan can be regenerated instead of trusted from a client. Definitions
// with an unresolved pair_id must be resolved with WithPair first.
func NewPlan(d Definition, seed int64, condition Condition) (Plan, error) {
	d = d.WithDefaults()
	if d.Pair == nil {
		return Plan{}, Invalidf("pair_id %s has not been resolved to patterns", pairIDString(d.PairID))
	}
	if errs := d.Validate(); len(errs) > 0 {
		return Plan{}, InvalidFields(errs)
	}
	if condition.Arm < 0 || condition.Arm >= d.Arms() || condition != ConditionForArm(condition.Arm) {
		return Plan{}, Invalidf("condition %+v is not one of this experiment's %d arm(s)", condition, d.Arms())
	}
	b := planBuilder{d: d, plan: Plan{Format: PlanFormat, Seed: seed, Condition: condition, SizePx: d.SizePx, Trials: []Trial{}}}
	b.step(Step{Kind: StepConsent})
	b.step(Step{Kind: StepScreenCheck})
	if d.Screening.On() {
		b.screening()
	}
	first := PhaseInduction
	if d.Phases.BaselineOn() {
		first = PhaseBaseline
	}
	b.step(Step{Kind: StepInstructions, Phase: first})
	if d.Practice.On() {
		b.practice()
	}
	if d.Phases.BaselineOn() {
		b.test(PhaseBaseline, true)
	}
	b.induction(PhaseInduction, condition, false)
	if d.Phases.PostOn() {
		post := b.test(PhasePost, true)
		post.StartDelayMS = new(int(math.Round(d.Phases.PostDelayS * 1000)))
	}
	b.step(Step{Kind: StepDebrief})
	if d.Phases.Reversal {
		b.induction(PhaseReversal, condition.Swapped(), true)
	}
	if d.Phases.Followup {
		b.test(PhaseFollowup, false).AfterS = d.Phases.FollowupAfterS
	}
	return b.plan, nil
}

func pairIDString(id *int64) string {
	if id == nil {
		return "(none)"
	}
	return fmt.Sprint(*id)
}

type planBuilder struct {
	d      Definition
	plan   Plan
	blocks int
}

// step appends s and returns it, for setting fields that depend on it.
func (b *planBuilder) step(s Step) *Step {
	s.Index = len(b.plan.Steps)
	b.plan.Steps = append(b.plan.Steps, s)
	return &b.plan.Steps[s.Index]
}

// block appends a test step of the given trials (their indices are
// assigned here); the caller fills the block's method-specific fields.
func (b *planBuilder) block(phase Phase, method Method, required bool, trials []Trial) *Step {
	tb := &TestBlock{Block: b.blocks, Method: method, FirstTrial: len(b.plan.Trials), TrialCount: len(trials),
		ITIMS: b.d.Test.ITI()}
	b.blocks++
	for i := range trials {
		trials[i].Index = len(b.plan.Trials)
		trials[i].Block = tb.Block
		if w := b.d.Test.ResponseWindowMS; w > 0 && twoAFC(trials[i].Method) {
			trials[i].ResponseWindowMS = w
		}
		b.plan.Trials = append(b.plan.Trials, trials[i])
	}
	return b.step(Step{Kind: StepTest, Phase: phase, TestBlock: tb, Optional: !required})
}

// twoAFC reports whether a method's answer is red or green.
func twoAFC(m Method) bool { return m == ConstantStimuli || m == Staircase }

// test appends a test step and its trials, with the block's catch trials
// among them. Optional test phases (follow-up) have no required trials.
func (b *planBuilder) test(phase Phase, required bool) *Step {
	t := b.d.Test
	base := Trial{Phase: phase, Method: t.Method, DurationMS: t.DurationMS, Required: required}
	var trials []Trial
	var staircases []StaircaseSpec
	spread := 0
	switch t.Method {
	case ConstantStimuli:
		trials = constantTrials(b.d, b.plan.Seed, base)
		spread = len(trials)
	case Adjustment:
		trials = adjustmentTrials(b.d, b.plan.Seed, base)
		spread = len(trials)
	case Staircase:
		staircases = staircaseSpecs(b.d, b.plan.Seed, phase)
		trials = staircaseSlots(b.plan.Seed, phase, staircases, base)
		spread = staircaseSpread(t, len(staircases))
	}
	if t.CatchTrials > 0 {
		r := NewStream(b.plan.Seed, "catch/"+string(phase), 0)
		trials = interleaveCatch(trials, catchTrials(t, r, base), spread, r)
	}
	s := b.block(phase, t.Method, required, trials)
	s.Staircases = staircases
	if t.BreakEvery > 0 {
		s.BreakEvery = t.BreakEvery
		s.BreakMS = int(math.Round(t.BreakS * 1000))
	}
	return s
}

// practice appends the practice block (no breaks: it is short).
func (b *planBuilder) practice() {
	base := Trial{Phase: PhasePractice, DurationMS: b.d.Test.DurationMS, Required: true}
	trials := practiceTrials(b.d, b.plan.Seed, base)
	b.block(PhasePractice, trials[0].Method, true, trials)
}

// screening appends the colour-vision check: required trials with the
// tinted patch at seeded positions.
func (b *planBuilder) screening() {
	tb := &TestBlock{Block: b.blocks, Method: MethodScreening, FirstTrial: len(b.plan.Trials)}
	b.blocks++
	base := Trial{Phase: PhaseScreening, Block: tb.Block, Method: MethodScreening, Pattern: PatternA, Required: true}
	trials := screeningTrials(b.d.Screening, b.plan.Seed, base)
	for i := range trials {
		trials[i].Index = len(b.plan.Trials)
		b.plan.Trials = append(b.plan.Trials, trials[i])
	}
	tb.TrialCount = len(trials)
	b.step(Step{Kind: StepScreening, Phase: PhaseScreening, TestBlock: tb})
}

// constantTrials is every (pattern, tint) repeats times, shuffled.
func constantTrials(d Definition, seed int64, base Trial) []Trial {
	var trials []Trial
	for _, p := range d.PatternNames() {
		for _, tint := range d.Test.Tints {
			for range d.Test.Repeats {
				t := base
				t.Pattern, t.Tint = p, new(tint)
				trials = append(trials, t)
			}
		}
	}
	NewStream(seed, "order/"+string(base.Phase), 0).Shuffle(len(trials), func(i, j int) {
		trials[i], trials[j] = trials[j], trials[i]
	})
	return trials
}

// induction appends an induction step: A and B alternate in their colours
// under c for the whole duration (the last frame truncated to fit), starting
// with a seeded pattern, and the fixation mark jumps at every frame.
func (b *planBuilder) induction(phase Phase, c Condition, optional bool) {
	in := b.d.Induction
	total := int(math.Round(in.DurationS * 1000))
	sw := max(int(math.Round(in.SwitchS*1000)), 1)
	r := NewStream(b.plan.Seed, "induction/"+string(phase), 0)
	patterns := [2]string{PatternA, PatternB}
	if r.IntN(2) == 1 {
		patterns = [2]string{PatternB, PatternA}
	}
	jitter := int(math.Floor(in.Jitter()))
	s := &InductionSchedule{DurationMS: total, SwitchMS: sw, Frames: make([]InductionFrame, 0, total/sw+1)}
	fx, fy := 0, 0
	for start, n := 0, 0; start < total; n++ {
		p := patterns[n%2]
		dur := min(sw, total-start)
		fx, fy = jump(r, jitter, fx, fy, n == 0)
		s.Frames = append(s.Frames, InductionFrame{Pattern: p, Color: c.ColorOf(p), StartMS: start, DurationMS: dur, FixationX: fx, FixationY: fy})
		start += dur
	}
	b.step(Step{Kind: StepInduction, Phase: phase, Optional: optional, Induction: s})
}

// jump draws a fixation position within ±jitter px that differs from the
// previous one (when jitter allows), so the gaze keeps moving and no
// ordinary afterimage builds up.
func jump(r *Stream, jitter, x, y int, first bool) (int, int) {
	if jitter <= 0 {
		return 0, 0
	}
	for range 16 {
		nx, ny := r.IntN(2*jitter+1)-jitter, r.IntN(2*jitter+1)-jitter
		if first || nx != x || ny != y {
			return nx, ny
		}
	}
	if x < jitter { // practically unreachable; still a move within range
		return x + 1, y
	}
	return x - 1, y
}

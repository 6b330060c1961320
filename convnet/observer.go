package convnet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// Observer is one machine participant: the shared pretrained Model plus
// its own adaptation state, simulated clock and response generator. Get a
// fresh one per session with Model.NewObserver; an Observer is not safe
// for concurrent use (run several observers in parallel instead).
type Observer struct {
	model  *Model
	params experiments.AdaptParams
	seed   int64
	rng    *rand.Rand
	ad     *adapter
	clock  time.Duration // simulated time since the observer was made
	out    []float64
}

// Labels of the seeded streams of observers: answers, and the colours of
// ShuffledPairing.
const (
	streamResponses = 0x7e5
	streamShuffle   = 0x5f1
)

// NewObserver returns an observer with a fresh adaptation layer (no
// adaptation yet) whose sampled answers come from seed. The model's
// weights are shared, read-only.
func (m *Model) NewObserver(p experiments.AdaptParams, seed int64) (*Observer, error) {
	p = p.WithDefaults()
	if errs := p.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("convnet: adaptation parameters: %w", errs)
	}
	if len(m.Stats.Mean) != m.Train.Arch.Features {
		return nil, fmt.Errorf("convnet: the model has no feature statistics")
	}
	ad, err := newAdapter(p, m)
	if err != nil {
		return nil, err
	}
	return &Observer{
		model:  m,
		params: p,
		seed:   seed,
		rng:    rand.New(rand.NewPCG(uint64(seed), streamResponses)),
		ad:     ad,
		out:    make([]float64, m.Train.Arch.Features),
	}, nil
}

// Mechanism is the observer's adaptation layer.
func (o *Observer) Mechanism() experiments.Mechanism { return o.params.Mechanism }

// Seed is the seed of the observer's sampled answers.
func (o *Observer) Seed() int64 { return o.seed }

// Descriptor names the observer as a participant: model digest,
// mechanism and seed (the participant_ref of a model session).
func (o *Observer) Descriptor() string {
	return fmt.Sprintf("convnet:%s/%s/seed=%d", o.model.Digest(), o.params.Mechanism, o.seed)
}

// Elapsed is the simulated time the observer has spent looking and
// resting.
func (o *Observer) Elapsed() time.Duration { return o.clock }

// AdaptationStrength summarises the adaptation state: the size of the
// fast and of the slow component's contribution (0 for none).
func (o *Observer) AdaptationStrength() (fast, slow float64) { return o.ad.strength() }

// advance moves the simulated clock by d and returns the number of
// StepDuration boundaries crossed: one adaptation step per 100 ms of
// simulated time, however the time is cut into frames and trials.
func (o *Observer) advance(d time.Duration) int {
	if d < 0 {
		d = 0
	}
	before := o.clock / StepDuration
	o.clock += d
	return int(o.clock/StepDuration - before)
}

// Look shows stimulus s, translated by (dx, dy) input pixels (right,
// down), for d of simulated time: the adaptation layer takes one step per
// 100 ms crossed. It returns P(red) as perceived at onset, before this
// look adapted anything.
func (o *Observer) Look(s stimuli.Stimulus, dx, dy int, d time.Duration) (float64, error) {
	x, err := o.model.Features(s, dx, dy)
	if err != nil {
		return 0, err
	}
	n := o.advance(d)
	if n == 0 {
		o.ad.apply(x, o.out, false)
		return o.model.PRed(o.out), nil
	}
	o.ad.apply(x, o.out, true)
	p := o.model.PRed(o.out)
	for range n - 1 {
		o.ad.apply(x, o.out, true)
	}
	return p, nil
}

// Probe is P(red) for s with the current adaptation state, without
// adapting and without time passing: the deterministic measurement the
// tests and psychometric curves use.
func (o *Observer) Probe(s stimuli.Stimulus, dx, dy int) (float64, error) {
	x, err := o.model.Features(s, dx, dy)
	if err != nil {
		return 0, err
	}
	out := make([]float64, len(x))
	o.ad.apply(x, out, false)
	return o.model.PRed(out), nil
}

// Rest lets d of simulated time pass with no input (a blank screen, the
// eyes closed, the time between sessions): the fast component decays, the
// slow one (which learns and unlearns only from what is seen) keeps.
func (o *Observer) Rest(d time.Duration) { o.ad.rest(o.advance(d)) }

// Curve probes P(red) of a definition's test pattern at each tint.
func (o *Observer) Curve(def experiments.Definition, pattern string, tints []float64) ([]float64, error) {
	p := make([]float64, len(tints))
	for i, t := range tints {
		s, err := def.TestStimulus(pattern, t)
		if err != nil {
			return nil, err
		}
		if p[i], err = o.Probe(s, 0, 0); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// PSE is the tint at which the observer, as it is now, sees the test
// pattern as neutral (P(red) = 0.5), from its probed curve over tints
// (CrossingPSE).
func (o *Observer) PSE(def experiments.Definition, pattern string, tints []float64) (float64, error) {
	p, err := o.Curve(def, pattern, tints)
	if err != nil {
		return 0, err
	}
	return CrossingPSE(tints, p)
}

// Sink receives each answer as the observer gives it, with the model's
// P(red) for the trial (for adjustment: at the setting), so the caller can
// store it through the same path as human answers. An error stops Run.
type Sink func(ctx context.Context, r experiments.Response, pRed float64) error

// RunOptions choose the optional parts of a session and the viewing.
type RunOptions struct {
	// Reversal runs the plan's optional reversal induction (offered after
	// the debrief).
	Reversal bool
	// Followup runs the plan's optional follow-up test, after resting for
	// its after_s.
	Followup bool
	// FixedGaze ignores the jumping fixation mark of induction. By default
	// the observer looks at the mark, so the induction image lands on its
	// "retina" translated by minus the mark's offset, as for a participant
	// whose gaze follows it.
	FixedGaze bool
	// TrialGap is blank time between test trials (default none).
	TrialGap time.Duration
}

// Run takes the observer through a session plan the way a browser takes a
// participant: baseline test, induction (one adaptation step per 100 ms),
// post test, and the optional reversal and follow-up when asked. The
// colour-vision screening is a human eligibility check: model plans are
// made without it (storage does so), and a screening step in a plan is
// skipped. Each trial's answer is validated with
// experiments.ValidateResponse and passed to sink (which may be nil). Constant-stimuli and staircase trials are answered "red" with
// probability P(red) (sampled from the observer's seed); staircase tints
// come from experiments.NextStaircaseTrial over the observer's own answers;
// adjustment trials are nulled by bisection on P(red) = 0.5 and the
// setting (on the key-step grid) is the answer. The layer keeps adapting
// during test trials, one step per 100 ms shown.
func (o *Observer) Run(ctx context.Context, def experiments.Definition, plan experiments.Plan, opts RunOptions, sink Sink) error {
	def = def.WithDefaults()
	if plan.SizePx != 0 && plan.SizePx != def.SizePx {
		return fmt.Errorf("convnet: plan for %d px stimuli, definition %d px", plan.SizePx, def.SizePx)
	}
	var answers []experiments.Response
	for _, st := range plan.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case st.Kind == experiments.StepInduction && st.Induction != nil:
			if st.Optional && !(st.Phase == experiments.PhaseReversal && opts.Reversal) {
				continue
			}
			if err := o.Induce(ctx, def, *st.Induction, opts); err != nil {
				return err
			}
		case st.Kind == experiments.StepTest && st.TestBlock != nil:
			if st.Optional && !opts.Followup {
				continue
			}
			if st.AfterS != nil {
				o.Rest(time.Duration(*st.AfterS * float64(time.Second)))
			}
			var err error
			if answers, err = o.runBlock(ctx, def, plan, st, opts, answers, sink); err != nil {
				return err
			}
		}
	}
	return nil
}

// Induce looks at an induction schedule's frames in order, each for its
// duration.
func (o *Observer) Induce(ctx context.Context, def experiments.Definition, sched experiments.InductionSchedule, opts RunOptions) error {
	size := o.model.Train.Arch.Size
	for i, f := range sched.Frames {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s, err := def.InductionStimulus(f.Pattern, f.Color)
		if err != nil {
			return err
		}
		dx, dy := 0, 0
		if !opts.FixedGaze {
			dx = -int(math.Round(float64(f.FixationX) * float64(size) / float64(def.SizePx)))
			dy = -int(math.Round(float64(f.FixationY) * float64(size) / float64(def.SizePx)))
		}
		if _, err := o.Look(s, dx, dy, time.Duration(f.DurationMS)*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// runBlock answers one test block and returns the session's answers so far.
func (o *Observer) runBlock(ctx context.Context, def experiments.Definition, plan experiments.Plan, st experiments.Step, opts RunOptions, answers []experiments.Response, sink Sink) ([]experiments.Response, error) {
	tb := st.TestBlock
	answer := func(t experiments.Trial, r experiments.Response, p float64) error {
		if err := experiments.ValidateResponse(t, r); err != nil {
			return fmt.Errorf("convnet: answer to trial %d: %w", t.Index, err)
		}
		answers = append(answers, r)
		if sink != nil {
			return sink(ctx, r, p)
		}
		return nil
	}
	switch tb.Method {
	case experiments.Staircase:
		for {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t, done, err := experiments.NextStaircaseTrial(plan, tb.Block, answers)
			if err != nil {
				return nil, err
			}
			if done {
				return answers, nil
			}
			r, p, err := o.choose(def, t, opts)
			if err != nil {
				return nil, err
			}
			if err := answer(t, r, p); err != nil {
				return nil, err
			}
		}
	default:
		for i := tb.FirstTrial; i < tb.FirstTrial+tb.TrialCount; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t := plan.Trials[i]
			var r experiments.Response
			var p float64
			var err error
			if t.Method == experiments.Adjustment { // catch trials among them are red/green
				r, p, err = o.adjust(def, t, opts)
			} else {
				r, p, err = o.choose(def, t, opts)
			}
			if err != nil {
				return nil, err
			}
			if err := answer(t, r, p); err != nil {
				return nil, err
			}
		}
	}
	return answers, nil
}

// timing is a trial's TrialResult: shown for its intended duration with
// no frames counted and no reaction time (the observer answers at once).
func (o *Observer) timing(t experiments.Trial, onset time.Duration) experiments.TrialResult {
	ms := float64(t.DurationMS)
	return experiments.TrialResult{OnsetMS: float64(onset) / 1e6, IntendedMS: ms, MeasuredMS: ms}
}

// choose answers a red/green trial: look, then sample.
func (o *Observer) choose(def experiments.Definition, t experiments.Trial, opts RunOptions) (experiments.Response, float64, error) {
	if t.Tint == nil {
		return experiments.Response{}, 0, fmt.Errorf("convnet: trial %d has no tint", t.Index)
	}
	s, err := def.TestStimulus(t.Pattern, *t.Tint)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	onset := o.clock
	p, err := o.Look(s, 0, 0, time.Duration(t.DurationMS)*time.Millisecond)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	o.Rest(opts.TrialGap)
	resp := experiments.Green
	if o.rng.Float64() < p {
		resp = experiments.Red
	}
	return experiments.Response{Index: t.Index, Tint: *t.Tint, Response: resp, TrialResult: o.timing(t, onset)}, p, nil
}

// adjust nulls an adjustment trial: bisection for P(red) = 0.5 within the
// trial's range on the current state, the setting rounded to the key-step
// grid; then the observer looks at the stimulus at its setting for the
// trial's duration.
func (o *Observer) adjust(def experiments.Definition, t experiments.Trial, opts RunOptions) (experiments.Response, float64, error) {
	lo, hi := -experiments.MaxAbsTint, experiments.MaxAbsTint
	if t.MinTint != nil {
		lo = *t.MinTint
	}
	if t.MaxTint != nil {
		hi = *t.MaxTint
	}
	// The slider cannot leave the screen's gamut (±30 a* reaches past
	// +28 at L* 82): search within both.
	glo, ghi := stimuli.TintRange(def.Colors.NeutralL)
	lo, hi = math.Max(lo, glo), math.Min(hi, ghi)
	if lo > hi {
		return experiments.Response{}, 0, fmt.Errorf("convnet: trial %d: no tint in range is displayable", t.Index)
	}
	probe := func(tint float64) (float64, error) {
		s, err := def.TestStimulus(t.Pattern, tint)
		if err != nil {
			return 0, err
		}
		return o.Probe(s, 0, 0)
	}
	a, b := lo, hi
	pa, err := probe(a)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	pb, err := probe(b)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	var setting float64
	switch {
	case pa >= 0.5:
		setting = lo
	case pb < 0.5:
		setting = hi
	default:
		for range 40 {
			mid := (a + b) / 2
			pm, err := probe(mid)
			if err != nil {
				return experiments.Response{}, 0, err
			}
			if pm < 0.5 {
				a = mid
			} else {
				b = mid
			}
		}
		setting = (a + b) / 2
	}
	if t.Step > 0 { // on the key-step grid, inside the range
		setting = math.Round(setting/t.Step) * t.Step
		for setting > hi {
			setting -= t.Step
		}
		for setting < lo {
			setting += t.Step
		}
	}
	setting = math.Min(math.Max(setting, lo), hi) + 0 // + 0: no −0 in the data
	s, err := def.TestStimulus(t.Pattern, setting)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	onset := o.clock
	p, err := o.Look(s, 0, 0, time.Duration(t.DurationMS)*time.Millisecond)
	if err != nil {
		return experiments.Response{}, 0, err
	}
	o.Rest(opts.TrialGap)
	return experiments.Response{Index: t.Index, Tint: setting, Setting: &setting, TrialResult: o.timing(t, onset)}, p, nil
}

// ShuffledPairing returns a copy of an induction schedule whose frames get
// their colours at random (from seed) but balanced: each pattern's frames
// are half red and half green, in random order, so colour and pattern are
// uncorrelated over the induction. This is the control that should induce
// no contingent aftereffect. (Drawing each frame's colour independently
// would not do: with ~37 frames per pattern, chance alone pairs a pattern
// with one colour on 58% of its frames or more in a third of the seeds,
// which is a weak real pairing.)
func ShuffledPairing(s experiments.InductionSchedule, seed int64) experiments.InductionSchedule {
	r := rand.New(rand.NewPCG(uint64(seed), streamShuffle))
	out := s
	out.Frames = append([]experiments.InductionFrame(nil), s.Frames...)
	byPattern := map[string][]int{}
	var order []string
	for i, f := range out.Frames {
		if _, ok := byPattern[f.Pattern]; !ok {
			order = append(order, f.Pattern)
		}
		byPattern[f.Pattern] = append(byPattern[f.Pattern], i)
	}
	for _, p := range order {
		idx := byPattern[p]
		colours := make([]string, len(idx))
		for k := range colours {
			colours[k] = experiments.Red
			if k%2 == 1 {
				colours[k] = experiments.Green
			}
		}
		if len(colours)%2 == 1 && r.IntN(2) == 1 {
			colours[len(colours)-1] = experiments.Green
		}
		r.Shuffle(len(colours), func(i, j int) { colours[i], colours[j] = colours[j], colours[i] })
		for k, i := range idx {
			out.Frames[i].Color = colours[k]
		}
	}
	return out
}

package convnet

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// modelDefinition is def as storage plans it for a model participant:
// without the (human) colour-vision screening.
func modelDefinition(def experiments.Definition) experiments.Definition {
	off := false
	def.Screening = &experiments.Screening{Enabled: &off}
	return def.WithDefaults()
}

// runPlan runs a fresh decorrelating observer through def's model plan
// and returns its answers and P(red) values in order.
func runPlan(t *testing.T, m *Model, def experiments.Definition, seed int64, opts RunOptions) (experiments.Plan, []experiments.Response, []float64) {
	t.Helper()
	def = modelDefinition(def)
	plan, err := experiments.NewPlan(def, seed, experiments.ConditionForArm(0))
	if err != nil {
		t.Fatal(err)
	}
	o, err := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, seed)
	if err != nil {
		t.Fatal(err)
	}
	var rs []experiments.Response
	var ps []float64
	err = o.Run(context.Background(), def, plan, opts, func(_ context.Context, r experiments.Response, p float64) error {
		// What the server would check before storing (TrialFor is the
		// staircase-aware trial a stored response must answer).
		tr, err := plan.TrialFor(r.Index, rs)
		if err != nil {
			return err
		}
		if err := experiments.ValidateResponse(tr, r); err != nil {
			return err
		}
		if p < 0 || p > 1 {
			t.Errorf("trial %d: P(red) %g", r.Index, p)
		}
		rs = append(rs, r)
		ps = append(ps, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing := experiments.MissingRequired(plan, rs); len(missing) > 0 {
		t.Errorf("%s: %d required trials unanswered (first %d)", def.Slug, len(missing), missing[0])
	}
	return plan, rs, ps
}

// TestRunClassicPlan: the observer answers every trial of the classic
// session, in order, with answers the storage path accepts, and the
// sampled answers follow P(red).
func TestRunClassicPlan(t *testing.T) {
	m := sharedModel(t)
	def := modelDefinition(experiments.Classic())
	plan, rs, ps := runPlan(t, m, def, 7, RunOptions{})
	if len(rs) != len(plan.Trials) {
		t.Fatalf("%d answers for %d trials", len(rs), len(plan.Trials))
	}
	red, expect := 0, 0.0
	for i, r := range rs {
		if r.Index != i {
			t.Fatalf("answer %d has index %d", i, r.Index)
		}
		if r.Response == experiments.Red {
			red++
		}
		expect += ps[i]
		if r.IntendedMS != float64(plan.Trials[i].DurationMS) || r.MeasuredMS != r.IntendedMS || r.RTMS != 0 || r.Frames != 0 {
			t.Errorf("trial %d: timing %+v", i, r.TrialResult)
		}
	}
	t.Logf("%d trials, %d answered red, %.1f expected from P(red)", len(rs), red, expect)
	if d := float64(red) - expect; d*d > 9*expect { // within 3 SDs (Poisson bound)
		t.Errorf("%d red answers, %.1f expected", red, expect)
	}
	// Post-test P(red) of A is lower than at baseline at the same tints:
	// the effect is visible in what Run reports.
	mean := func(phase experiments.Phase, pattern string) float64 {
		s, n := 0.0, 0
		for i, tr := range plan.Trials {
			if tr.Phase == phase && tr.Pattern == pattern {
				s += ps[i]
				n++
			}
		}
		return s / float64(n)
	}
	ba, pa := mean(experiments.PhaseBaseline, "a"), mean(experiments.PhasePost, "a")
	bb, pb := mean(experiments.PhaseBaseline, "b"), mean(experiments.PhasePost, "b")
	t.Logf("mean P(red) over the tint levels: A %.3f → %.3f, B %.3f → %.3f", ba, pa, bb, pb)
	if !(pa < ba) || !(pb > bb) {
		t.Errorf("mean P(red): A %.3f → %.3f, B %.3f → %.3f; want A greener and B redder after red-A/green-B induction", ba, pa, bb, pb)
	}
}

// TestRunStaircaseAndAdjustment: the other two test methods run to a
// complete session; adjustment settings are on the key-step grid.
func TestRunStaircaseAndAdjustment(t *testing.T) {
	m := sharedModel(t)
	stair := experiments.Classic()
	stair.Test = experiments.Test{Method: experiments.Staircase}
	stair = stair.WithDefaults()
	_, rs, _ := runPlan(t, m, stair, 3, RunOptions{})
	t.Logf("staircase: %d answers", len(rs))
	if len(rs) < 3*stair.Test.Staircase.MaxReversals {
		t.Errorf("staircase session ended after %d answers", len(rs))
	}

	adj := experiments.Classic()
	adj.Test = experiments.Test{Method: experiments.Adjustment}
	adj = adj.WithDefaults()
	plan, rs, _ := runPlan(t, m, adj, 3, RunOptions{})
	if len(rs) != len(plan.Trials) {
		t.Fatalf("adjustment: %d answers for %d trials", len(rs), len(plan.Trials))
	}
	step := adj.Test.Adjustment.Step
	settings := map[experiments.Phase]map[string][]float64{}
	for i, r := range rs {
		if r.Setting == nil {
			t.Fatalf("adjustment trial %d has no setting", i)
		}
		if k := *r.Setting / step; k != float64(int(k)) {
			t.Errorf("setting %g is not on the %g grid", *r.Setting, step)
		}
		tr := plan.Trials[r.Index]
		if settings[tr.Phase] == nil {
			settings[tr.Phase] = map[string][]float64{}
		}
		settings[tr.Phase][tr.Pattern] = append(settings[tr.Phase][tr.Pattern], *r.Setting)
	}
	t.Logf("adjustment settings: baseline %v, post %v", settings[experiments.PhaseBaseline], settings[experiments.PhasePost])
	// A screening step (a human plan) is skipped, not answered.
	human, err := experiments.NewPlan(experiments.Classic(), 3, experiments.ConditionForArm(0))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.NoAdaptation}, 3)
	err = o.Run(context.Background(), experiments.Classic(), human, RunOptions{}, func(_ context.Context, r experiments.Response, _ float64) error {
		if human.Trials[r.Index].Phase == experiments.PhaseScreening {
			t.Errorf("screening trial %d answered", r.Index)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	avg := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	if a := avg(settings[experiments.PhasePost]["a"]) - avg(settings[experiments.PhaseBaseline]["a"]); !(a > 0) {
		t.Errorf("adjustment: A's null point moved by %+.2f after red-A induction, want > 0", a)
	}
}

// TestRunOptionalSteps: reversal and follow-up run only when asked.
func TestRunOptionalSteps(t *testing.T) {
	m := sharedModel(t)
	def := experiments.Classic()
	def.Phases.Reversal = true
	def.Phases.Followup = true
	after := 3600.0
	def.Phases.FollowupAfterS = &after
	def = modelDefinition(def)
	plan, rs, _ := runPlan(t, m, def, 5, RunOptions{})
	var follow int
	for _, tr := range plan.Trials {
		if tr.Phase == experiments.PhaseFollowup {
			follow++
		}
	}
	if len(rs) != len(plan.Trials)-follow {
		t.Errorf("without options: %d answers, want %d (no follow-up)", len(rs), len(plan.Trials)-follow)
	}
	_, rs, _ = runPlan(t, m, def, 5, RunOptions{Reversal: true, Followup: true})
	if len(rs) != len(plan.Trials) {
		t.Errorf("with options: %d answers, want %d", len(rs), len(plan.Trials))
	}
}

// TestRunStopsOnSinkErrorAndCancel: a storage error or a cancelled
// context stops the run with that error.
func TestRunStopsOnSinkErrorAndCancel(t *testing.T) {
	m := sharedModel(t)
	def := modelDefinition(experiments.Classic())
	plan, err := experiments.NewPlan(def, 1, experiments.ConditionForArm(0))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, 1)
	boom := errors.New("boom")
	n := 0
	err = o.Run(context.Background(), def, plan, RunOptions{}, func(context.Context, experiments.Response, float64) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 3 {
		t.Errorf("Run = %v after %d answers, want boom after 3", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o, _ = m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, 1)
	if err := o.Run(ctx, def, plan, RunOptions{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v", err)
	}
}

// TestObserversIndependent: observers from one model share nothing but
// the weights: the same seed gives the same answers, adapting one leaves
// another untouched, and the descriptor names mechanism and seed.
func TestObserversIndependent(t *testing.T) {
	m := sharedModel(t)
	def := experiments.Classic()
	_, r1, _ := runPlan(t, m, def, 11, RunOptions{})
	_, r2, _ := runPlan(t, m, def, 11, RunOptions{})
	for i := range r1 {
		if r1[i].Response != r2[i].Response {
			t.Fatalf("same seed, answer %d differs", i)
		}
	}
	a, _ := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, 1)
	b, _ := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, 2)
	before := pses(t, b, def)
	plan, _ := experiments.NewPlan(def, 1, experiments.ConditionForArm(0))
	if err := a.Induce(context.Background(), def, inductionOf(t, plan, experiments.PhaseInduction), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	after := pses(t, b, def)
	for k := range before {
		if before[k] != after[k] {
			t.Errorf("adapting one observer moved another's PSE(%s)", k)
		}
	}
	if a.Mechanism() != experiments.Decorrelation || a.Seed() != 1 || a.Descriptor() != "convnet:"+m.Digest()+"/decorrelation/seed=1" {
		t.Errorf("mechanism %q seed %d descriptor %q", a.Mechanism(), a.Seed(), a.Descriptor())
	}
	if a.Elapsed() != 180e9 {
		t.Errorf("elapsed %v after 180 s of induction", a.Elapsed())
	}
}

// TestObserversConcurrent: observers sharing one model may run in
// parallel (the model's inference and feature cache are locked) and give
// the same answers as run one after the other.
func TestObserversConcurrent(t *testing.T) {
	m := sharedModel(t)
	def := modelDefinition(experiments.Classic())
	run := func(seed int64) []string {
		plan, err := experiments.NewPlan(def, seed, experiments.ConditionForArm(int(seed%2)))
		if err != nil {
			t.Error(err)
			return nil
		}
		o, err := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, seed)
		if err != nil {
			t.Error(err)
			return nil
		}
		var out []string
		err = o.Run(context.Background(), def, plan, RunOptions{}, func(_ context.Context, r experiments.Response, _ float64) error {
			out = append(out, r.Response)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		return out
	}
	const n = 4
	parallel := make([][]string, n)
	done := make(chan int)
	for i := range n {
		go func() {
			parallel[i] = run(int64(20 + i))
			done <- i
		}()
	}
	for range n {
		<-done
	}
	for i := range n {
		if seq := run(int64(20 + i)); !slices.Equal(seq, parallel[i]) {
			t.Errorf("seed %d: answers differ when run in parallel", 20+i)
		}
	}
}

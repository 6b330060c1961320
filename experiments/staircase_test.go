package experiments

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// runStaircases drives a staircase block through NextStaircaseTrial to the
// end, checking the rule's bookkeeping on the way.
func runStaircases(t *testing.T, p Plan, block int, answer func(Trial) string) []Response {
	t.Helper()
	step, err := p.BlockStep(block)
	if err != nil {
		t.Fatal(err)
	}
	var stored []Response
	for {
		tr, done, err := NextStaircaseTrial(p, block, stored)
		if err != nil {
			t.Fatalf("after %d trials: %v", len(stored), err)
		}
		if done {
			break
		}
		if tr.Index != step.FirstTrial+len(stored) || tr.Tint == nil || tr.Staircase == "" {
			t.Fatalf("next trial %+v after %d stored", tr, len(stored))
		}
		if miss := MissingRequired(p, stored); !slices.Contains(miss, tr.Index) {
			t.Fatalf("the trial the rule asks for (%d) should be required and missing: %v", tr.Index, miss)
		}
		r := Response{Index: tr.Index, Tint: *tr.Tint, Response: answer(tr)}
		if err := ValidateResponse(tr, r); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r)
		if len(stored) > step.TrialCount {
			t.Fatal("the block overran its reserved slots")
		}
	}
	return stored
}

// logisticObserver answers "red" with P = 1/(1+exp(−(tint−pse)/s)).
func logisticObserver(rng *rand.Rand, pse, s float64) func(Trial) string {
	return func(tr Trial) string {
		if rng.Float64() < 1/(1+math.Exp(-(*tr.Tint-pse)/s)) {
			return Red
		}
		return Green
	}
}

func TestStaircaseConvergence(t *testing.T) {
	d := withMethod(Staircase)
	for _, pse := range []float64{-5, 0, 3.5} {
		var ests []float64
		for seed := range int64(20) {
			p := mustPlan(t, d, seed, int(seed%2))
			obs := logisticObserver(rand.New(rand.NewPCG(uint64(seed), math.Float64bits(pse))), pse, 1.5)
			stored := runStaircases(t, p, 0, obs)
			hist, err := StaircaseHistories(p, 0, stored)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 3 {
				t.Fatalf("%d staircases ran, want 3", len(hist))
			}
			for _, h := range hist {
				ests = append(ests, StaircaseEstimate(h))
			}
		}
		mean := 0.0
		for _, e := range ests {
			mean += e / float64(len(ests))
		}
		t.Logf("PSE %g: mean estimate %.3f over %d staircases", pse, mean, len(ests))
		if math.Abs(mean-pse) > 1 {
			t.Errorf("PSE %g: mean estimate %.3f is more than 1 a* off", pse, mean)
		}
	}
}

func TestStaircaseStops(t *testing.T) {
	d := withMethod(Staircase)
	d.Test.Staircase.MaxReversals = 6
	d.Test.Staircase.MaxTrials = 15
	byReversals, byTrials := 0, 0
	defer func() {
		if byReversals == 0 || byTrials == 0 {
			t.Errorf("stops by reversals %d, by max_trials %d: both should occur", byReversals, byTrials)
		}
	}()
	for seed := range int64(10) {
		p := mustPlan(t, d, seed, 0)
		// An observer far from the start sometimes reaches max_reversals,
		// sometimes max_trials first.
		obs := logisticObserver(rand.New(rand.NewPCG(uint64(seed), 1)), 12, 1.5)
		stored := runStaircases(t, p, 0, obs)
		hist, _ := StaircaseHistories(p, 0, stored)
		for id, h := range hist {
			rev := reversals(h)
			if len(h) > 15 || rev > 6 || (len(h) < 15 && rev != 6) {
				t.Errorf("seed %d %s: stopped after %d trials with %d reversals", seed, id, len(h), rev)
			}
			if rev == 6 {
				byReversals++
			} else {
				byTrials++
			}
		}
		// Unused slots are not required; the used ones are, and are stored.
		step, _ := p.BlockStep(0)
		inBlock := 0
		for _, i := range p.RequiredIndices(stored) {
			if step.Contains(i) {
				inBlock++
			}
		}
		if inBlock != len(stored) {
			t.Errorf("seed %d: %d required in the block, %d stored", seed, inBlock, len(stored))
		}
		if miss := MissingRequired(p, stored); len(miss) != 0 {
			// Block 1 (post) has not run: its first trial is the only missing one.
			if step1, _ := p.BlockStep(1); !slices.Equal(miss, []int{step1.FirstTrial}) {
				t.Errorf("seed %d: missing %v", seed, miss)
			}
		}
	}
}

func reversals(h []Response) int {
	n := 0
	for j := 1; j < len(h); j++ {
		if h[j].Response != h[j-1].Response {
			n++
		}
	}
	return n
}

func TestStaircaseClamps(t *testing.T) {
	for _, answer := range []string{Red, Green} {
		d := withMethod(Staircase)
		d.Test.Staircase.MinTint, d.Test.Staircase.MaxTint = new(-12.0), new(12.0)
		d.Test.Staircase.MaxTrials = 10
		p := mustPlan(t, d, 4, 0)
		stored := runStaircases(t, p, 0, func(Trial) string { return answer })
		hist, _ := StaircaseHistories(p, 0, stored)
		for id, h := range hist {
			if len(h) != 10 {
				t.Errorf("%s: %d trials, want max_trials 10 (no reversals)", id, len(h))
			}
			for _, r := range h {
				if r.Tint < -12 || r.Tint > 12 {
					t.Errorf("%s: tint %g outside [-12, 12]", id, r.Tint)
				}
			}
			want := -12.0
			if answer == Green {
				want = 12
			}
			if last := h[len(h)-1].Tint; last != want {
				t.Errorf("always %s: %s ends at %g, want the bound %g", answer, id, last, want)
			}
		}
	}
}

func TestStaircaseRuleSteps(t *testing.T) {
	// One staircase, scripted answers: the tints follow 1-up/1-down with the
	// step shrinking at each reversal.
	d := withMethod(Staircase)
	d.Test.ExtraPatterns = []ExtraPattern{}
	p := mustPlan(t, d, 2, 0)
	step, _ := p.BlockStep(0)
	spec := step.Staircases[0]
	script := []string{Red, Red, Green, Red, Green, Green}
	var stored []Response
	var tints []float64
	for k := 0; len(tints) < len(script); k++ {
		tr, _, err := NextStaircaseTrial(p, 0, stored)
		if err != nil {
			t.Fatal(err)
		}
		ans := Green // the other staircase just says green
		if tr.Staircase == spec.ID {
			ans = script[len(tints)]
			tints = append(tints, *tr.Tint)
		}
		stored = append(stored, Response{Index: tr.Index, Tint: *tr.Tint, Response: ans})
	}
	s := spec.StartTint
	want := []float64{s, s - 8, s - 16, s - 16 + 4, s - 16 + 4 - 2, s - 16 + 4 - 2 + 1}
	if !slices.Equal(tints, want) {
		t.Errorf("tints %v, want %v", tints, want)
	}
}

func TestStaircaseRuleErrors(t *testing.T) {
	p := mustPlan(t, withMethod(Staircase), 6, 0)
	first, _, _ := NextStaircaseTrial(p, 0, nil)
	good := Response{Index: first.Index, Tint: *first.Tint, Response: Red}
	second, _, _ := NextStaircaseTrial(p, 0, []Response{good})
	tests := []struct {
		name   string
		block  int
		stored []Response
		want   Code
	}{
		{"wrong tint", 0, []Response{{Index: first.Index, Tint: *first.Tint + 1, Response: Red}}, Conflict},
		{"gap", 0, []Response{{Index: first.Index + 1, Tint: 0, Response: Red}}, Conflict},
		{"conflicting duplicate", 0, []Response{good, {Index: first.Index, Tint: *first.Tint, Response: Green}}, Conflict},
		{"bad response", 0, []Response{{Index: first.Index, Tint: *first.Tint, Response: "blue"}}, Invalid},
		{"no such block", 5, nil, NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := NextStaircaseTrial(p, tt.block, tt.stored); ErrorCode(err) != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	if _, _, err := NextStaircaseTrial(mustPlan(t, Classic(), 1, 0), 0, nil); ErrorCode(err) != Invalid {
		t.Errorf("constant-stimuli block: %v", err)
	}
	// Identical duplicates (an idempotent re-PUT) and other blocks' trials are fine.
	again, _, err := NextStaircaseTrial(p, 0, []Response{good, good, {Index: 10_000, Response: "x"}})
	if err != nil || again.Index != second.Index || *again.Tint != *second.Tint {
		t.Errorf("re-PUT: %+v %v", again, err)
	}
}

func TestStaircaseEstimate(t *testing.T) {
	h := func(tints []float64, resp string) []Response {
		out := make([]Response, len(tints))
		for i, v := range tints {
			out[i] = Response{Tint: v, Response: map[byte]string{'r': Red, 'g': Green}[resp[i]]}
		}
		return out
	}
	tests := []struct {
		name string
		h    []Response
		want float64
	}{
		{"no reversal: last tint", h([]float64{10, 2}, "rr"), 2},
		{"one reversal", h([]float64{10, 2, -6}, "rrg"), -6},
		{"two", h([]float64{10, 2, -6, -2, 0}, "rrggr"), -3},
		{"three: drop the first for balance", h([]float64{10, 2, -6, -2, -4}, "rrgrg"), -3},
		{"six: drop the first two", h([]float64{10, 2, -6, -2, 0, -1, 0, -1, 0}, "rrggrgrgr"), -0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StaircaseEstimate(tt.h); got != tt.want {
				t.Errorf("got %g, want %g", got, tt.want)
			}
		})
	}
	if !math.IsNaN(StaircaseEstimate(nil)) {
		t.Error("empty history should be NaN")
	}
}

func TestRequiredFixedBlocks(t *testing.T) {
	d := Classic()
	d.Phases.Followup = true
	p := mustPlan(t, d, 1, 0)
	req := p.RequiredIndices(nil)
	if len(req) != 108 || req[0] != 0 || req[107] != 107 {
		t.Errorf("required %d indices, want baseline+post = 108 (followup optional)", len(req))
	}
	var stored []Response
	for _, i := range req[:100] {
		stored = append(stored, Response{Index: i})
	}
	if miss := MissingRequired(p, stored); !slices.Equal(miss, []int{100, 101, 102, 103, 104, 105, 106, 107}) {
		t.Errorf("missing %v", miss)
	}
}

func TestTrialFor(t *testing.T) {
	p := mustPlan(t, withMethod(Staircase), 3, 0)
	first, _, _ := NextStaircaseTrial(p, 0, nil)
	r0 := Response{Index: first.Index, Tint: *first.Tint, Response: Green}
	second, _, _ := NextStaircaseTrial(p, 0, []Response{r0})
	for name, tc := range map[string]struct {
		i      int
		stored []Response
		want   *Trial
		code   Code
	}{
		"first":                    {0, nil, &first, ""},
		"re-PUT of a stored trial": {0, []Response{r0}, &first, ""},
		"second":                   {1, []Response{r0}, &second, ""},
		"out of order":             {2, []Response{r0}, nil, Conflict},
		"no such trial":            {len(p.Trials), nil, nil, NotFound},
	} {
		got, err := p.TrialFor(tc.i, tc.stored)
		if ErrorCode(err) != tc.code || (tc.want != nil && (got.Index != tc.want.Index || *got.Tint != *tc.want.Tint || got.Pattern != tc.want.Pattern)) {
			t.Errorf("%s: got %+v, %v", name, got, err)
		}
	}
	cs := mustPlan(t, Classic(), 3, 0)
	if got, err := cs.TrialFor(5, nil); err != nil || got != cs.Trials[5] {
		t.Errorf("constant stimuli: %+v %v", got, err)
	}
}

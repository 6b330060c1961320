package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestPlanDeterministic(t *testing.T) {
	defs := map[string]Definition{
		"classic":         Classic(),
		"circles-crosses": CirclesCrosses(),
		"staircase":       withMethod(Staircase),
		"adjustment":      withMethod(Adjustment),
	}
	for name, d := range defs {
		t.Run(name, func(t *testing.T) {
			for arm := range 2 {
				p1, p2 := mustPlan(t, d, 7, arm), mustPlan(t, d, 7, arm)
				if !reflect.DeepEqual(p1, p2) {
					t.Fatal("same inputs, different plans")
				}
				j1, j2 := mustJSON(t, p1), mustJSON(t, p2)
				if !bytes.Equal(j1, j2) {
					t.Fatal("same inputs, different JSON")
				}
				var back Plan
				if err := json.Unmarshal(j1, &back); err != nil || !reflect.DeepEqual(back, p1) {
					t.Fatalf("plan does not survive a JSON round trip: %v", err)
				}
				other := mustPlan(t, d, 8, arm)
				if reflect.DeepEqual(trialKeys(p1), trialKeys(other)) {
					t.Error("a different seed gave the same trial order")
				}
			}
		})
	}
}

// A pinned fingerprint: if this changes, stored sessions' plans would no
// longer regenerate identically. Change it only with a PlanFormat bump.
func TestPlanStableAcrossBuilds(t *testing.T) {
	p := mustPlan(t, Classic(), 12345, 1)
	got := fmt.Sprint(trialKeys(p)[:6], p.Steps[4].Induction.Frames[0])
	const want = "[oblique/12 a/8 b/-8 oblique/0 a/-12 b/12] {b red 0 2400 15 9}"
	if got != want {
		t.Errorf("plan fingerprint changed:\n got %s\nwant %s", got, want)
	}
}

func trialKeys(p Plan) []string {
	var ks []string
	for _, t := range p.Trials {
		k := t.Pattern
		if t.Tint != nil {
			k += fmt.Sprintf("/%g", *t.Tint)
		}
		if t.StartTint != nil {
			k += fmt.Sprintf("@%g", *t.StartTint)
		}
		ks = append(ks, k)
	}
	return ks
}

func TestPlanSteps(t *testing.T) {
	d := Classic()
	d.Phases.Reversal, d.Phases.Followup, d.Phases.FollowupAfterS = true, true, new(86400.0)
	p := mustPlan(t, d, 3, 0)
	var got []string
	for i, s := range p.Steps {
		if s.Index != i {
			t.Errorf("step %d has index %d", i, s.Index)
		}
		got = append(got, fmt.Sprintf("%s/%s/%v", s.Kind, s.Phase, s.Optional))
	}
	want := []string{"consent//false", "screen_check//false", "instructions/baseline/false", "test/baseline/false",
		"induction/induction/false", "test/post/false", "debrief//false", "induction/reversal/true", "test/followup/true"}
	if !slices.Equal(got, want) {
		t.Errorf("steps\n got %v\nwant %v", got, want)
	}
	if a := p.Steps[8].AfterS; a == nil || *a != 86400 {
		t.Errorf("followup after_s = %v", a)
	}
	for i, tr := range p.Trials {
		if tr.Index != i {
			t.Fatalf("trial %d has index %d", i, tr.Index)
		}
		if tr.Required != (tr.Phase != PhaseFollowup) {
			t.Errorf("trial %d (%s) required = %v", i, tr.Phase, tr.Required)
		}
	}
	// Blocks tile the trial array in order.
	next := 0
	for _, s := range p.Steps {
		if s.TestBlock == nil {
			continue
		}
		if s.FirstTrial != next {
			t.Errorf("block %d starts at %d, want %d", s.Block, s.FirstTrial, next)
		}
		for i := s.FirstTrial; i < s.FirstTrial+s.TrialCount; i++ {
			if p.Trials[i].Block != s.Block || p.Trials[i].Phase != s.Phase {
				t.Errorf("trial %d is not in block %d", i, s.Block)
			}
		}
		next += s.TrialCount
	}
	if next != len(p.Trials) {
		t.Errorf("blocks cover %d of %d trials", next, len(p.Trials))
	}

	d = Classic()
	d.Phases.Baseline = new(false)
	p = mustPlan(t, d, 3, 0)
	if p.Steps[2].Phase != PhaseInduction || p.Steps[3].Kind != StepInduction || p.Steps[4].Block != 0 {
		t.Errorf("without baseline: %+v", p.Steps)
	}
}

func TestPlanJSONShape(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, mustPlan(t, withMethod(Staircase), 1, 0)), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "seed", "condition", "size_px", "steps", "trials"} {
		if _, ok := m[k]; !ok {
			t.Errorf("plan has no %q", k)
		}
	}
	cond := m["condition"].(map[string]any)
	if cond["arm"] != 0.0 || cond["red_pattern"] != "a" || cond["green_pattern"] != "b" {
		t.Errorf("condition = %v", cond)
	}
	test := m["steps"].([]any)[3].(map[string]any)
	for _, k := range []string{"index", "kind", "phase", "block", "method", "first_trial", "trial_count", "staircases"} {
		if _, ok := test[k]; !ok {
			t.Errorf("test step has no %q: %v", k, test)
		}
	}
	ind := m["steps"].([]any)[4].(map[string]any)["induction"].(map[string]any)
	frame := ind["frames"].([]any)[0].(map[string]any)
	for _, k := range []string{"pattern", "color", "duration_ms", "fixation_x", "fixation_y"} {
		if _, ok := frame[k]; !ok {
			t.Errorf("frame has no %q", k)
		}
	}
	trial := m["trials"].([]any)[0].(map[string]any)
	if v, ok := trial["tint"]; !ok || v != nil || trial["staircase"] == nil || trial["required"] != true {
		t.Errorf("staircase slot = %v", trial)
	}
	if _, ok := m["steps"].([]any)[0].(map[string]any)["block"]; ok {
		t.Error("non-test steps must not carry a block")
	}
}

func TestClassicPlanTrials(t *testing.T) {
	d := Classic()
	p := mustPlan(t, d, 99, 0)
	for _, s := range p.Steps {
		if s.TestBlock == nil {
			continue
		}
		if s.TrialCount != 54 {
			t.Errorf("%s: %d trials, want 9 tints × 2 repeats × 3 patterns = 54", s.Phase, s.TrialCount)
		}
		count := map[string]int{}
		for _, tr := range p.Trials[s.FirstTrial : s.FirstTrial+s.TrialCount] {
			if tr.Method != ConstantStimuli || tr.DurationMS != 1000 || tr.Tint == nil {
				t.Errorf("trial %+v", tr)
			}
			count[fmt.Sprintf("%s/%g", tr.Pattern, *tr.Tint)]++
		}
		for _, pat := range d.PatternNames() {
			for _, tint := range d.Test.Tints {
				if n := count[fmt.Sprintf("%s/%g", pat, tint)]; n != 2 {
					t.Errorf("%s: (%s, %g) shown %d times, want 2", s.Phase, pat, tint, n)
				}
			}
		}
	}
	if len(p.Trials) != 108 {
		t.Errorf("%d trials, want 108", len(p.Trials))
	}
}

func inductionSteps(p Plan) map[Phase]*InductionSchedule {
	out := map[Phase]*InductionSchedule{}
	for _, s := range p.Steps {
		if s.Induction != nil {
			out[s.Phase] = s.Induction
		}
	}
	return out
}

func TestInductionSchedule(t *testing.T) {
	tests := []struct {
		name               string
		durationS, switch_ float64
		jitter             float64
		wantFrames         int
		wantLastMS         int
	}{
		{"classic", 180, 2.4, 20, 75, 2400},
		{"truncated", 10, 2.4, 20, 5, 400},
		{"seed pair", 120, 1, 5, 120, 1000},
		{"still mark", 10, 3, 0, 4, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classic()
			d.Phases.Reversal = true
			d.Induction = Induction{DurationS: tt.durationS, SwitchS: tt.switch_, JitterPx: new(tt.jitter)}
			for arm := range 2 {
				p := mustPlan(t, d, 5, arm)
				cond := p.Condition
				sched := inductionSteps(p)
				ind, rev := sched[PhaseInduction], sched[PhaseReversal]
				if ind == nil || rev == nil {
					t.Fatal("missing induction or reversal")
				}
				checkSchedule(t, ind, cond, int(tt.durationS*1000), tt.wantFrames, tt.wantLastMS, int(tt.jitter))
				checkSchedule(t, rev, cond.Swapped(), int(tt.durationS*1000), tt.wantFrames, tt.wantLastMS, int(tt.jitter))
			}
		})
	}
}

func checkSchedule(t *testing.T, s *InductionSchedule, c Condition, totalMS, frames, lastMS, jitter int) {
	t.Helper()
	if s.DurationMS != totalMS || len(s.Frames) != frames {
		t.Fatalf("duration %d ms in %d frames, want %d in %d", s.DurationMS, len(s.Frames), totalMS, frames)
	}
	sum := 0
	for i, f := range s.Frames {
		if f.StartMS != sum {
			t.Errorf("frame %d starts at %d, want %d", i, f.StartMS, sum)
		}
		sum += f.DurationMS
		if i > 0 && f.Pattern == s.Frames[i-1].Pattern {
			t.Errorf("frames %d and %d both show %s", i-1, i, f.Pattern)
		}
		wantColor := Green
		if f.Pattern == c.RedPattern {
			wantColor = Red
		}
		if f.Color != wantColor {
			t.Errorf("frame %d: %s in %s, condition %+v", i, f.Pattern, f.Color, c)
		}
		if abs(f.FixationX) > jitter || abs(f.FixationY) > jitter {
			t.Errorf("frame %d: fixation (%d,%d) beyond ±%d", i, f.FixationX, f.FixationY, jitter)
		}
		if jitter > 0 && i > 0 && f.FixationX == s.Frames[i-1].FixationX && f.FixationY == s.Frames[i-1].FixationY {
			t.Errorf("frame %d: the fixation mark did not jump", i)
		}
	}
	if sum != totalMS {
		t.Errorf("frames last %d ms, want %d", sum, totalMS)
	}
	if last := s.Frames[len(s.Frames)-1].DurationMS; last != lastMS {
		t.Errorf("last frame %d ms, want %d", last, lastMS)
	}
}

func abs(x int) int { return max(x, -x) }

func TestConditionSwapsColours(t *testing.T) {
	p0, p1 := mustPlan(t, Classic(), 11, 0), mustPlan(t, Classic(), 11, 1)
	f0, f1 := inductionSteps(p0)[PhaseInduction].Frames, inductionSteps(p1)[PhaseInduction].Frames
	for i := range f0 {
		if f0[i].Pattern != f1[i].Pattern || f0[i].Color == f1[i].Color {
			t.Fatalf("frame %d: arm 0 %+v, arm 1 %+v", i, f0[i], f1[i])
		}
	}
	if !reflect.DeepEqual(p0.Trials, p1.Trials) {
		t.Error("the arm should change colours only, not the tests")
	}
}

func TestPlanRejects(t *testing.T) {
	noCB := Classic()
	noCB.Counterbalance = new(false)
	bad := Classic()
	bad.SizePx = 10
	tests := []struct {
		name string
		d    Definition
		c    Condition
	}{
		{"arm 1 without counterbalancing", noCB, ConditionForArm(1)},
		{"arm 2", Classic(), Condition{Arm: 2, RedPattern: "a", GreenPattern: "b"}},
		{"inconsistent condition", Classic(), Condition{Arm: 0, RedPattern: "b", GreenPattern: "a"}},
		{"invalid definition", bad, ConditionForArm(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPlan(tt.d, 1, tt.c); ErrorCode(err) != Invalid {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
	mustPlan(t, noCB, 1, 0)
}

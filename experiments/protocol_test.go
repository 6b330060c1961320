package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// protocolJSON switches on every protocol option: practice, catch trials,
// breaks, an inter-trial interval, a response window and a post delay.
func protocolJSON(t *testing.T) []byte {
	t.Helper()
	doc := mustJSON(t, Classic())
	for path, v := range map[string]any{
		"practice":                map[string]any{"trials": 6},
		"test.catch_trials":       4,
		"test.break_every":        20,
		"test.iti_ms":             400,
		"test.response_window_ms": 2500,
		"phases.post_delay_s":     3,
		"induction.max_gap_s":     8,
	} {
		doc = mutate(t, doc, path, v)
	}
	return doc
}

func TestProtocolDefaults(t *testing.T) {
	d, err := ParseDefinition([]byte(minimalJSON))
	if err != nil {
		t.Fatal(err)
	}
	if d.Induction.MaxGap() != 5 || d.Test.ITI() != 250 || d.Phases.PostDelayS != 0 || d.Practice != nil ||
		d.Test.CatchTrials != 0 || d.Test.CatchTint != 0 || d.Test.BreakEvery != 0 || d.Test.BreakS != 0 || d.Test.ResponseWindowMS != 0 {
		t.Errorf("defaults: max_gap %v iti %v post_delay %v practice %+v test %+v",
			d.Induction.MaxGap(), d.Test.ITI(), d.Phases.PostDelayS, d.Practice, d.Test)
	}
	d, err = ParseDefinition(protocolJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Practice; p.Trials != 6 || p.Feedback == nil || !*p.Feedback || p.Tint != 16 {
		t.Errorf("practice defaults: %+v", p)
	}
	if d.Test.CatchTint != 16 || d.Test.BreakS != 20 || d.Test.ITI() != 400 || d.Induction.MaxGap() != 8 {
		t.Errorf("test defaults: %+v", d.Test)
	}
	// Explicit zeros that differ from the defaults survive.
	d, err = ParseDefinition(mutate(t, mutate(t, []byte(minimalJSON), "test.iti_ms", 0), "induction.max_gap_s", 0))
	if err != nil || d.Test.ITI() != 0 || d.Induction.MaxGap() != 0 {
		t.Errorf("explicit 0: iti %v max_gap %v (%v)", d.Test.ITI(), d.Induction.MaxGap(), err)
	}
	// {"trials": 0} is "no practice", with nothing filled in.
	d, err = ParseDefinition(mutate(t, []byte(minimalJSON), "practice", map[string]any{"trials": 0}))
	if err != nil || d.Practice.On() || d.Practice.Feedback != nil {
		t.Errorf("practice off: %+v %v", d.Practice, err)
	}
}

// A definition stored before these options existed loads as it did, and
// plans the same trials.
func TestOlderDefinitionsLoad(t *testing.T) {
	doc := mustJSON(t, Classic())
	for _, f := range []string{"induction.max_gap_s", "test.iti_ms", "phases.post_delay_s"} {
		doc = mutate(t, doc, f, del)
	}
	d, err := ParseDefinition(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, Classic()) {
		t.Errorf("old definition loads as\n%+v\nwant\n%+v", d, Classic())
	}
	if !reflect.DeepEqual(mustPlan(t, d, 5, 1), mustPlan(t, Classic(), 5, 1)) {
		t.Error("old definition plans differently")
	}
}

func TestProtocolValidation(t *testing.T) {
	base := protocolJSON(t)
	tests := []struct {
		name, path string
		value      any
		want       string
	}{
		{"negative max gap", "induction.max_gap_s", -1, "induction.max_gap_s"},
		{"huge max gap", "induction.max_gap_s", 601, "induction.max_gap_s"},
		{"negative post delay", "phases.post_delay_s", -1, "phases.post_delay_s"},
		{"long post delay", "phases.post_delay_s", 601, "phases.post_delay_s"},
		{"too many practice trials", "practice.trials", 51, "practice.trials"},
		{"negative practice", "practice.trials", -1, "practice.trials"},
		{"practice tint out of gamut", "practice.tint", 40, "practice.tint"},
		{"negative practice tint", "practice.tint", -3, "practice.tint"},
		{"too many catch trials", "test.catch_trials", 51, "test.catch_trials"},
		{"catch tint out of gamut", "test.catch_tint", 30, "test.catch_tint"},
		{"break every negative", "test.break_every", -1, "test.break_every"},
		{"break too short", "test.break_s", 0.5, "test.break_s"},
		{"negative iti", "test.iti_ms", -1, "test.iti_ms"},
		{"long iti", "test.iti_ms", 10001, "test.iti_ms"},
		{"window too short", "test.response_window_ms", 100, "test.response_window_ms"},
		{"window too long", "test.response_window_ms", 60001, "test.response_window_ms"},
	}
	for _, tc := range tests {
		_, err := ParseDefinition(mutate(t, base, tc.path, tc.value))
		if got := fieldsOf(t, err); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: fields %v, want [%s]", tc.name, got, tc.want)
		}
	}
	// Settings of an option that is off are reported, not silently kept.
	off := mutate(t, mutate(t, []byte(minimalJSON), "test.catch_tint", 12), "test.break_s", 10)
	if got := fieldsOf(t, parseErr(off)); !slices.Equal(got, []string{"test.break_s", "test.catch_tint"}) {
		t.Errorf("settings of options that are off: %v", got)
	}
	// Practice tints must be reachable by an adjustment study's slider.
	adj := mutate(t, mutate(t, mutate(t, mutate(t, base, "test.method", "adjustment"), "test.tints", del), "test.repeats", del),
		"test.adjustment", map[string]any{"min": -10, "max": 10, "start_range": 8})
	if got := fieldsOf(t, parseErr(adj)); !slices.Equal(got, []string{"practice.tint"}) {
		t.Errorf("adjustment practice beyond the slider: %v", got)
	}
}

func parseErr(doc []byte) error {
	_, err := ParseDefinition(doc)
	return err
}

func mustParse(t *testing.T, doc []byte) Definition {
	t.Helper()
	d, err := ParseDefinition(doc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPracticeBlock(t *testing.T) {
	d := mustParse(t, mutate(t, protocolJSON(t), "practice.trials", 8))
	p := mustPlan(t, d, 11, 0)
	var kinds []string
	for _, s := range p.Steps {
		kinds = append(kinds, fmt.Sprintf("%s/%s", s.Kind, s.Phase))
	}
	want := []string{"consent/", "screen_check/", "instructions/baseline", "test/practice", "test/baseline",
		"induction/induction", "test/post", "debrief/"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("steps %v\nwant %v", kinds, want)
	}
	s := p.Steps[3]
	if s.Block != 0 || s.FirstTrial != 0 || s.TrialCount != 8 || s.BreakEvery != 0 || s.ITIMS != 400 {
		t.Errorf("practice block %+v", *s.TestBlock)
	}
	count := map[string]int{}
	for _, tr := range p.Trials[:8] {
		if tr.Phase != PhasePractice || !tr.Feedback || tr.Catch || !tr.Required || tr.Method != ConstantStimuli ||
			tr.ResponseWindowMS != 2500 || tr.Tint == nil || math.Abs(*tr.Tint) != 16 {
			t.Errorf("practice trial %+v", tr)
		}
		count[fmt.Sprintf("%s/%g", tr.Pattern, *tr.Tint)]++
	}
	for _, k := range []string{"a/16", "a/-16", "b/16", "b/-16"} {
		if count[k] != 2 {
			t.Errorf("practice shows %s %d times, want 2 (balanced): %v", k, count[k], count)
		}
	}
	// Without feedback, and for an adjustment study (nulling from ±tint).
	d.Practice.Feedback = new(false)
	d.Test.Method, d.Test.Tints, d.Test.Repeats = Adjustment, nil, 0
	p = mustPlan(t, d.WithDefaults(), 11, 0)
	for _, tr := range p.Trials[:8] {
		if tr.Feedback || tr.Method != Adjustment || tr.Tint != nil || tr.StartTint == nil || math.Abs(*tr.StartTint) != 16 ||
			tr.MinTint == nil || tr.Step == 0 || tr.ResponseWindowMS != 0 {
			t.Errorf("adjustment practice trial %+v", tr)
		}
	}
}

func TestPostStartsByItself(t *testing.T) {
	for _, delay := range []float64{0, 2.5} {
		d := Classic()
		d.Phases.PostDelayS = delay
		d.Phases.Followup = true
		for _, s := range mustPlan(t, d, 1, 0).Steps {
			switch {
			case s.Phase == PhasePost:
				if s.StartDelayMS == nil || *s.StartDelayMS != int(delay*1000) {
					t.Errorf("post delay %g: start_delay_ms %v", delay, s.StartDelayMS)
				}
			case s.StartDelayMS != nil:
				t.Errorf("%s step starts by itself", s.Phase)
			}
		}
	}
}

func TestCatchTrials(t *testing.T) {
	d := mustParse(t, mutate(t, protocolJSON(t), "practice", del))
	plain := d
	plain.Test.CatchTrials, plain.Test.CatchTint = 0, 0
	for seed := range int64(6) {
		p, q := mustPlan(t, d, seed, 0), mustPlan(t, plain, seed, 0)
		for _, s := range p.Steps {
			if s.TestBlock == nil {
				continue
			}
			if s.BreakEvery != 20 || s.BreakMS != 20000 || s.ITIMS != 400 {
				t.Errorf("block pacing %+v", *s.TestBlock)
			}
			block := p.Trials[s.FirstTrial : s.FirstTrial+s.TrialCount]
			var catch []Trial
			var main []string
			for k, tr := range block {
				if tr.Block != s.Block || tr.Phase != s.Phase || tr.ResponseWindowMS != 2500 {
					t.Errorf("trial %+v in block %d", tr, s.Block)
				}
				if !tr.Catch {
					main = append(main, fmt.Sprintf("%s/%g", tr.Pattern, *tr.Tint))
					continue
				}
				catch = append(catch, tr)
				if k == 0 || block[k-1].Catch {
					t.Errorf("seed %d: catch trial at %d follows a catch trial or starts the block", seed, k)
				}
				if tr.Method != ConstantStimuli || math.Abs(*tr.Tint) != 16 || !tr.Required || tr.Feedback {
					t.Errorf("catch trial %+v", tr)
				}
			}
			if len(catch) != 4 || len(main) != 54 {
				t.Fatalf("block %d: %d catch and %d other trials", s.Block, len(catch), len(main))
			}
			// Catch trials are spread: one in each quarter of the block.
			for j, c := range catch {
				if q := (c.Index - s.FirstTrial) * 4 / len(block); q != j {
					t.Errorf("seed %d: catch trial %d in quarter %d", seed, j, q)
				}
			}
			// The other trials keep the order they have without catch trials.
			qs := q.Steps[s.Index]
			var want []string
			for _, tr := range q.Trials[qs.FirstTrial : qs.FirstTrial+qs.TrialCount] {
				want = append(want, fmt.Sprintf("%s/%g", tr.Pattern, *tr.Tint))
			}
			if !slices.Equal(main, want) {
				t.Errorf("seed %d: catch trials changed the order of the others", seed)
			}
		}
		if !reflect.DeepEqual(p, mustPlan(t, d, seed, 0)) {
			t.Error("plans with catch trials are not reproducible")
		}
	}
}

func TestCatchScoring(t *testing.T) {
	d := mustParse(t, protocolJSON(t))
	p := mustPlan(t, d, 4, 1)
	var stored []Response
	wrong, j := 0, -1
	for _, tr := range p.Trials {
		if !tr.Catch {
			continue
		}
		j++
		resp := Red
		if *tr.Tint < 0 {
			resp = Green
		}
		if !CatchCorrect(*tr.Tint, resp) {
			t.Fatalf("catch trial %+v: %s is the right answer", tr, resp)
		}
		switch j {
		case 0:
			resp = Timeout // a missed catch trial is wrong
			wrong++
		case 1:
			resp = map[string]string{Red: Green, Green: Red}[resp]
			wrong++
		case 5:
			continue // not reached yet: not counted
		}
		stored = append(stored, Response{Index: tr.Index, Tint: *tr.Tint, Response: resp})
	}
	got := ScoreCatch(p, stored)
	if got.Answered != 7 || got.Correct != 7-wrong || math.Abs(got.Accuracy()-5.0/7) > 1e-12 {
		t.Errorf("score %+v (accuracy %v)", got, got.Accuracy())
	}
	if !math.IsNaN(ScoreCatch(p, nil).Accuracy()) {
		t.Error("no answers: accuracy should be NaN")
	}
}

func TestAnalysed(t *testing.T) {
	for _, tc := range []struct {
		phase    Phase
		catch    bool
		response string
		want     bool
	}{
		{PhaseBaseline, false, Red, true},
		{PhasePost, false, "", true}, // adjustment
		{PhaseFollowup, false, Green, true},
		{PhasePost, true, Red, false},
		{PhasePost, false, Timeout, false},
		{PhasePractice, false, Red, false},
		{PhaseScreening, false, "", false},
	} {
		if got := Analysed(tc.phase, tc.catch, tc.response); got != tc.want {
			t.Errorf("Analysed(%s, catch=%v, %q) = %v", tc.phase, tc.catch, tc.response, got)
		}
	}
}

// A staircase block serves its catch trials in their planned places, and
// timeouts use up slots without moving the staircase.
func TestStaircaseWithCatchTrials(t *testing.T) {
	d := withMethod(Staircase)
	d.Test.CatchTrials, d.Test.ResponseWindowMS = 5, 2000
	d = d.WithDefaults()
	rng := rand.New(rand.NewPCG(1, 2))
	for seed := range int64(5) {
		p := mustPlan(t, d, seed, 0)
		step, _ := p.BlockStep(0)
		var stored []Response
		last, timeouts := -1, 0
		for {
			tr, done, err := NextStaircaseTrial(p, 0, stored)
			if err != nil {
				t.Fatalf("after %d answers: %v", len(stored), err)
			}
			if done {
				break
			}
			if tr.Index <= last {
				t.Fatalf("trial %d served after %d", tr.Index, last)
			}
			if miss := MissingRequired(p, stored); !slices.Contains(miss, tr.Index) {
				t.Fatalf("served trial %d is not required: %v", tr.Index, miss)
			}
			if got, err := p.TrialFor(tr.Index, stored); err != nil || !reflect.DeepEqual(got, tr) {
				t.Fatalf("TrialFor(%d) = %+v, %v; served %+v", tr.Index, got, err, tr)
			}
			last = tr.Index
			resp := Green
			switch {
			case tr.Catch:
				if *tr.Tint > 0 {
					resp = Red
				}
			case rng.IntN(10) == 0:
				resp = Timeout
				timeouts++
			case *tr.Tint > 2:
				resp = Red
			}
			r := Response{Index: tr.Index, Tint: *tr.Tint, Response: resp}
			if err := ValidateResponse(tr, r); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, r)
		}
		if sc := ScoreCatch(p, stored); sc.Correct != 5 || sc.Answered != 5 {
			t.Errorf("seed %d: every catch trial should be served and right: %+v", seed, sc)
		}
		if miss := MissingRequired(p, stored); slices.ContainsFunc(miss, step.Contains) {
			t.Errorf("seed %d: a finished block still misses %v", seed, miss)
		}
		hist, err := StaircaseHistories(p, 0, stored)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, h := range hist {
			for _, r := range h {
				if r.Response == Timeout || p.Trials[r.Index].Catch {
					t.Errorf("history holds %+v", r)
				}
			}
			n += len(h)
		}
		if n+timeouts+5 != len(stored) {
			t.Errorf("seed %d: histories %d + timeouts %d + catch 5 != %d answers", seed, n, timeouts, len(stored))
		}
		if last >= step.FirstTrial+step.TrialCount {
			t.Errorf("served beyond the block")
		}
	}
}

func TestTimeoutAndSinceInduction(t *testing.T) {
	d := mustParse(t, protocolJSON(t))
	p := mustPlan(t, d, 2, 0)
	var post, base Trial
	for _, tr := range p.Trials {
		switch {
		case tr.Phase == PhasePost && !tr.Catch:
			post = tr
		case tr.Phase == PhaseBaseline:
			base = tr
		}
	}
	since := 1234.5
	ok := Response{Index: post.Index, Tint: *post.Tint, Response: Timeout, TrialResult: TrialResult{SinceInductionMS: &since}}
	if err := ValidateResponse(post, ok); err != nil {
		t.Errorf("a timeout with since_induction_ms on a post trial: %v", err)
	}
	bad := Response{Index: base.Index, Tint: *base.Tint, Response: Red, TrialResult: TrialResult{SinceInductionMS: &since}}
	if got := fieldsOf(t, ValidateResponse(base, bad)); !slices.Equal(got, []string{"since_induction_ms"}) {
		t.Errorf("since_induction_ms on a baseline trial: %v", got)
	}
	classic := mustPlan(t, Classic(), 2, 0)
	noWindow := classic.Trials[0]
	to := Response{Index: 0, Tint: *noWindow.Tint, Response: Timeout}
	if got := fieldsOf(t, ValidateResponse(noWindow, to)); !slices.Equal(got, []string{"response"}) {
		t.Errorf("a timeout without a response window: %v", got)
	}

	r, err := DecodeResponse([]byte(`{"response":"timeout","tint":4,"rt_ms":2500,"input":"touch","since_induction_ms":900}`))
	if err != nil || r.Response != Timeout || r.Input != InputTouch || r.SinceInductionMS == nil || *r.SinceInductionMS != 900 {
		t.Errorf("decode: %+v %v", r, err)
	}
	for body, field := range map[string]string{
		`{"response":"red","tint":1,"input":"voice"}`:             "input",
		`{"response":"red","tint":1,"since_induction_ms":-1}`:     "since_induction_ms",
		`{"response":"timeout","tint":"x"}`:                       "tint",
		`{"response":"late","tint":1}`:                            "response",
		`{"response":"red","tint":1,"since_induction_ms":"soon"}`: "since_induction_ms",
	} {
		_, err := DecodeResponse([]byte(body))
		if got := fieldsOf(t, err); !slices.Equal(got, []string{field}) {
			t.Errorf("%s: fields %v, want [%s]", body, got, field)
		}
	}
}

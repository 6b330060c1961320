package experiments

import (
	"slices"
	"testing"
)

func screeningPlan(t *testing.T, seed int64) Plan {
	t.Helper()
	p, err := NewPlan(Classic(), seed, ConditionForArm(0))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScreeningComesFirstAndIsBalanced(t *testing.T) {
	p := screeningPlan(t, 7)
	var kinds []StepKind
	for _, s := range p.Steps {
		kinds = append(kinds, s.Kind)
	}
	if want := []StepKind{StepConsent, StepScreenCheck, StepScreening, StepInstructions}; !slices.Equal(kinds[:4], want) {
		t.Fatalf("steps %v, want the screening right after the screen check", kinds)
	}
	var screening []Trial
	for _, tr := range p.Trials {
		if tr.Phase == PhaseScreening {
			screening = append(screening, tr)
		}
	}
	if len(screening) != 2*len(DefaultScreeningLevels) {
		t.Fatalf("%d screening trials", len(screening))
	}
	signs := map[float64]int{}
	for i, tr := range screening {
		if tr.Index != i || !tr.Required || tr.Method != MethodScreening || tr.Patches != DefaultScreeningPatches ||
			tr.Target == nil || *tr.Target < 0 || *tr.Target >= tr.Patches {
			t.Fatalf("screening trial %+v", tr)
		}
		signs[*tr.Tint]++
	}
	for _, l := range DefaultScreeningLevels {
		if signs[l] != 1 || signs[-l] != 1 {
			t.Fatalf("level %g not shown once on each side: %v", l, signs)
		}
	}
	// The tests' trials follow, and the plan is still reproducible.
	if p.Trials[len(screening)].Phase != PhaseBaseline {
		t.Fatal("baseline does not follow the screening")
	}
	if string(mustJSON(t, p)) != string(mustJSON(t, screeningPlan(t, 7))) {
		t.Fatal("plan with screening not deterministic")
	}
	targets := map[int]bool{}
	for seed := range int64(50) {
		for _, tr := range screeningPlan(t, seed).Trials[:len(screening)] {
			targets[*tr.Target] = true
		}
	}
	if len(targets) != DefaultScreeningPatches {
		t.Fatalf("targets seen %v: every position should occur", targets)
	}
}

func TestScoreScreening(t *testing.T) {
	p := screeningPlan(t, 3)
	answers := func(wrong int) []Response {
		var rs []Response
		for _, tr := range p.Trials {
			if tr.Phase != PhaseScreening {
				continue
			}
			choice := float64(*tr.Target)
			if wrong > 0 {
				choice = float64((*tr.Target + 1) % tr.Patches)
				wrong--
			}
			rs = append(rs, Response{Index: tr.Index, Tint: *tr.Tint, Setting: &choice})
		}
		return rs
	}
	minCorrect := Classic().Screening.MinCorrect
	for _, tc := range []struct {
		wrong  int
		passed bool
	}{{0, true}, {1, true}, {2, false}, {6, false}} {
		correct, passed := ScoreScreening(p, answers(tc.wrong), minCorrect)
		if correct != 6-tc.wrong || passed != tc.passed {
			t.Errorf("%d wrong: %d correct, passed %v", tc.wrong, correct, passed)
		}
	}
	if _, passed := ScoreScreening(p, answers(0)[:4], minCorrect); passed {
		t.Error("unanswered trials must count as wrong")
	}
}

func TestScreeningResponses(t *testing.T) {
	p := screeningPlan(t, 3)
	tr := p.Trials[0]
	num := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name string
		r    Response
		ok   bool
	}{
		{"a patch", Response{Index: 0, Tint: *tr.Tint, Setting: num(2)}, true},
		{"beyond the patches", Response{Index: 0, Tint: *tr.Tint, Setting: num(4)}, false},
		{"not a position", Response{Index: 0, Tint: *tr.Tint, Setting: num(1.5)}, false},
		{"a colour word", Response{Index: 0, Tint: *tr.Tint, Response: "red"}, false},
		{"another tint", Response{Index: 0, Tint: *tr.Tint + 3, Setting: num(1)}, false},
	} {
		if err := ValidateResponse(tr, tc.r); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestScreenDevice(t *testing.T) {
	s := Classic().Screening
	big, small := &Viewport{Width: 1280, Height: 800}, &Viewport{Width: 390, Height: 700}
	if r := s.ScreenDevice(ScreenInfo{Viewport: big, Pointer: "coarse"}); r != "" {
		t.Fatalf("a large tablet screen refused (%s) though desktop_only is off", r)
	}
	if r := s.ScreenDevice(ScreenInfo{Viewport: small}); r != ScreenReasonViewport {
		t.Fatalf("small viewport: %q", r)
	}
	desktop := *s
	desktop.DesktopOnly = true
	if r := desktop.ScreenDevice(ScreenInfo{Viewport: big, Pointer: "coarse"}); r != ScreenReasonTouchDevice {
		t.Fatalf("desktop only: %q", r)
	}
	off := &Screening{Enabled: new(false)}
	if r := off.ScreenDevice(ScreenInfo{Viewport: small}); r != "" || off.On() {
		t.Fatal("a disabled screening screens")
	}
}

func TestScreeningValidation(t *testing.T) {
	for _, tc := range []struct {
		s     Screening
		field string
	}{
		{Screening{Levels: []float64{80}}, "screening.levels[0]"},
		{Screening{Levels: []float64{-3}}, "screening.levels[0]"},
		{Screening{Patches: 1}, "screening.patches"},
		{Screening{MinCorrect: 9}, "screening.min_correct"},
	} {
		d := Classic()
		s := tc.s
		d.Screening = &s
		d = d.WithDefaults()
		got := fieldsOf(t, InvalidFields(d.Validate()))
		if !slices.Contains(got, tc.field) {
			t.Errorf("%+v: fields %v, want %s", tc.s, got, tc.field)
		}
	}
}

package experiments

import (
	"slices"
	"strings"
	"testing"
)

// A clean human session: 60 Hz steady, few frames lost, catch trials right.
func cleanFacts() SessionFacts {
	return SessionFacts{
		Screen:     ScreenInfo{RefreshHz: 60, RefreshSDMS: 0.4},
		TestFrames: 6000, DroppedFrames: 12,
		CatchTrials: 8, CatchCorrect: 8,
		FullscreenExits: 1,
	}
}

func flagsOf(js []Judged) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.Flag)
	}
	return out
}

func TestJudgeDefaultRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(*SessionFacts)
		want   []string
		detail string
	}{
		{"clean", func(*SessionFacts) {}, nil, ""},
		{"slow screen", func(f *SessionFacts) { f.Screen.RefreshHz = 30 }, []string{FlagRefresh}, "30.0 Hz, outside 50–1000 Hz"},
		{"unstable screen", func(f *SessionFacts) { f.Screen.RefreshSDMS = 3.5 }, []string{FlagRefresh}, "3.5 ms (SD), more than 2 ms"},
		{"many dropped frames", func(f *SessionFacts) { f.DroppedFrames = 610 }, []string{FlagDroppedFrames}, "610 of 6000 stimulus frames dropped (10.2%), more than 5%"},
		{"failed catch trials", func(f *SessionFacts) { f.CatchCorrect = 5 }, []string{FlagCatch}, "5 of 8 catch trials right (62%), fewer than 75%"},
		{"full screen left often", func(f *SessionFacts) { f.FullscreenExits = 3 }, []string{FlagFullscreen}, "left full screen 3 times, more than 2"},
		{"induction restarted", func(f *SessionFacts) { f.InductionRestarts = 1 }, []string{FlagInductionInterrupted}, "started again 1 times, more than 0"},
		{"several at once, in a fixed order", func(f *SessionFacts) {
			f.FullscreenExits, f.CatchCorrect, f.DroppedFrames, f.Screen.RefreshHz = 9, 0, 6000, 24
		}, []string{FlagRefresh, FlagDroppedFrames, FlagCatch, FlagFullscreen}, ""},
		// Nothing measured is nothing broken: a model participant, a
		// version without catch trials, a session without test frames.
		{"model: nothing measured", func(f *SessionFacts) { *f = SessionFacts{} }, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := cleanFacts()
			c.change(&f)
			got := Classic().Exclusions.Judge(f)
			if !slices.Equal(flagsOf(got), c.want) {
				t.Fatalf("flags %v, want %v", flagsOf(got), c.want)
			}
			if c.detail != "" && !strings.Contains(got[0].Detail, c.detail) {
				t.Errorf("detail %q, want it to say %q", got[0].Detail, c.detail)
			}
		})
	}
}

func TestJudgeOwnRules(t *testing.T) {
	x := &Exclusions{MinCatchAccuracy: new(0.0), MaxDroppedFrameRate: new(1.0), MinRefreshHz: new(59.0), MaxRefreshHz: new(61.0),
		MaxFullscreenExits: new(MaxCountLimit), MaxInductionRestarts: new(1)}
	f := cleanFacts()
	f.CatchCorrect, f.DroppedFrames, f.FullscreenExits, f.InductionRestarts = 0, 6000, 50, 1
	if got := x.Judge(f); len(got) != 0 {
		t.Errorf("rules switched off still flag: %v", got)
	}
	f.Screen.RefreshHz = 75 // outside 59–61
	if got := flagsOf(x.Judge(f)); !slices.Equal(got, []string{FlagRefresh}) {
		t.Errorf("75 Hz with a 59–61 Hz range: %v", got)
	}
}

func TestExclusionsDefaultsAndValidation(t *testing.T) {
	d := Classic()
	x := d.Exclusions
	if x == nil || *x.MinCatchAccuracy != DefaultMinCatchAccuracy || *x.MaxDroppedFrameRate != DefaultMaxDroppedFrameRate ||
		*x.MinRefreshHz != 50 || *x.MaxRefreshSDMS != 2 || *x.MaxFullscreenExits != DefaultMaxFullscreenExits || *x.MaxInductionRestarts != 0 ||
		x.SeparatedExcludes() {
		t.Fatalf("defaults not filled: %+v", x)
	}
	_, err := ParseNewDefinition([]byte(`{"slug": "x1", "name": "X", "exclusions": {"min_catch_accuracy": 1.5,
		"max_dropped_frame_rate": -0.1, "min_refresh_hz": 90, "max_refresh_hz": 60, "max_refresh_sd_ms": -1,
		"max_fullscreen_exits": -1, "max_induction_restarts": 5000}}`))
	want := []string{"exclusions.max_dropped_frame_rate", "exclusions.max_fullscreen_exits", "exclusions.max_induction_restarts",
		"exclusions.max_refresh_hz", "exclusions.max_refresh_sd_ms", "exclusions.min_catch_accuracy"}
	if got := fieldsOf(t, err); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if _, err := ParseNewDefinition([]byte(`{"slug": "x1", "name": "X", "exclusions": {"max_catch": 1}}`)); err == nil {
		t.Error("an unknown exclusion rule was accepted")
	}
}

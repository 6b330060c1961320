package experiments

import (
	"testing"
	"time"
)

func TestCompletionRedirect(t *testing.T) {
	for _, tc := range []struct{ url, code, want string }{
		{"", "ABC123", ""},
		{"https://app.prolific.com/submissions/complete?cc={code}", "ABC123", "https://app.prolific.com/submissions/complete?cc=ABC123"},
		{"https://example.org/done", "ABC123", "https://example.org/done"},
		{"https://example.org/{code}/done?again={code}", "X9", "https://example.org/X9/done?again=X9"},
	} {
		d := Definition{CompletionURL: tc.url}
		if got := d.CompletionRedirect(tc.code); got != tc.want {
			t.Errorf("%q with code %q: %q, want %q", tc.url, tc.code, got, tc.want)
		}
	}
}

// TestPendingFollowup: the follow-up retest is offered until one of its
// trials is stored, and is ready once its delay after completion has
// passed, by the clock given.
func TestPendingFollowup(t *testing.T) {
	d := Classic()
	d.Phases.Followup, d.Phases.FollowupAfterS = true, new(86400.0)
	p := mustPlan(t, d.WithDefaults(), 1, 0)
	var step Step
	for _, s := range p.Steps {
		if s.Phase == PhaseFollowup {
			step = s
		}
	}
	if step.TestBlock == nil {
		t.Fatal("the plan has no follow-up test")
	}
	var before []int // every trial before the follow-up
	for _, tr := range p.Trials {
		if !step.Contains(tr.Index) {
			before = append(before, tr.Index)
		}
	}
	done := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	day := done.Add(24 * time.Hour)
	for _, tc := range []struct {
		name    string
		stored  []int
		now     time.Time
		pending bool
		ready   bool
	}{
		{"just completed", before, done, true, false},
		{"a second before it is due", before, day.Add(-time.Second), true, false},
		{"due", before, day, true, true},
		{"a week later", before, day.Add(7 * 24 * time.Hour), true, true},
		{"begun", append(before[:len(before):len(before)], step.FirstTrial), day, false, false},
		{"a later follow-up trial stored", append(before[:len(before):len(before)], step.FirstTrial+step.TrialCount-1), day, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := p.PendingFollowup(tc.stored, done, tc.now)
			if ok != tc.pending || f.Ready != tc.ready {
				t.Fatalf("pending %v ready %v, want %v %v", ok, f.Ready, tc.pending, tc.ready)
			}
			if ok && (!f.From.Equal(day) || f.Step.Index != step.Index) {
				t.Errorf("from %v step %d, want %v step %d", f.From, f.Step.Index, day, step.Index)
			}
		})
	}

	// Without a delay it is due at once; without a follow-up there is none.
	d.Phases.FollowupAfterS = nil
	if f, ok := mustPlan(t, d.WithDefaults(), 1, 0).PendingFollowup(nil, done, done); !ok || !f.Ready || !f.From.Equal(done) {
		t.Errorf("no delay: %+v %v", f, ok)
	}
	if _, ok := mustPlan(t, Classic(), 1, 0).PendingFollowup(nil, done, day); ok {
		t.Error("a follow-up offered by a plan without one")
	}
}

// TestCheckFollowupAnswer: follow-up answers are refused before the
// session is completed and before the delay has passed, by the clock given.
func TestCheckFollowupAnswer(t *testing.T) {
	d := Classic()
	d.Phases.Followup, d.Phases.FollowupAfterS = true, new(600.0)
	p := mustPlan(t, d.WithDefaults(), 1, 0)
	done := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		completedAt *time.Time
		now         time.Time
		ok          bool
	}{
		{"not completed", nil, done.Add(time.Hour), false},
		{"just completed", &done, done, false},
		{"a second early", &done, done.Add(599 * time.Second), false},
		{"when due", &done, done.Add(600 * time.Second), true},
		{"long after", &done, done.Add(30 * 24 * time.Hour), true},
	} {
		err := p.CheckFollowupAnswer(tc.completedAt, tc.now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && ErrorCode(err) != Conflict {
			t.Errorf("%s: code %v, want a conflict", tc.name, ErrorCode(err))
		}
	}
	if err := mustPlan(t, Classic().WithDefaults(), 1, 0).CheckFollowupAnswer(nil, done); err != nil {
		t.Errorf("a plan without a follow-up: %v", err)
	}
}

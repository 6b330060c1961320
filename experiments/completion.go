package experiments

import (
	"strings"
	"time"
)

// What a completed session offers its participant: the way back to the
// recruiter, and the follow-up retest when the protocol has one.

// CompletionRedirect is where a participant who finished goes: the
// definition's completion_url with every "{code}" replaced by their
// completion code; "" when the definition has none.
func (d Definition) CompletionRedirect(code string) string {
	if d.CompletionURL == "" {
		return ""
	}
	return strings.ReplaceAll(d.CompletionURL, "{code}", code)
}

// Followup is a session's follow-up retest that is still to be taken.
type Followup struct {
	// Step is the plan's follow-up test.
	Step Step
	// From is when it may start: the completion plus the step's delay.
	From time.Time
	// Ready says whether From has come.
	Ready bool
}

// PendingFollowup is the plan's follow-up retest of a session completed at
// completedAt, as it stands at now; ok is false when the plan has none or
// one of its trials is among the stored trial indices already (it was taken).
func (p Plan) PendingFollowup(stored []int, completedAt, now time.Time) (f Followup, ok bool) {
	s, ok := p.followupStep()
	if !ok {
		return Followup{}, false
	}
	for _, i := range stored {
		if s.Contains(i) {
			return Followup{}, false
		}
	}
	f = Followup{Step: s, From: s.opensAfter(completedAt)}
	f.Ready = !now.Before(f.From)
	return f, true
}

// CheckFollowupAnswer says whether an answer to one of the follow-up
// retest's trials may be stored at now, for a session completed at
// completedAt (nil: not completed). The retest measures what is left after
// its delay, so an answer given before the session was completed, or before
// the delay has passed by the server's clock, would be data about something
// else: it is a Conflict, whatever the browser says.
func (p Plan) CheckFollowupAnswer(completedAt *time.Time, now time.Time) error {
	s, ok := p.followupStep()
	if !ok {
		return nil
	}
	if completedAt == nil {
		return Errorf(Conflict, "the follow-up retest opens only after the session is completed")
	}
	if from := s.opensAfter(*completedAt); now.Before(from) {
		return Errorf(Conflict, "the follow-up retest opens at %s", from.UTC().Format(time.RFC3339))
	}
	return nil
}

func (p Plan) followupStep() (Step, bool) {
	for _, s := range p.Steps {
		if s.Kind == StepTest && s.Phase == PhaseFollowup && s.TestBlock != nil {
			return s, true
		}
	}
	return Step{}, false
}

// opensAfter is when a follow-up step may start after a completion.
func (s Step) opensAfter(completedAt time.Time) time.Time {
	if s.AfterS == nil {
		return completedAt
	}
	return completedAt.Add(time.Duration(*s.AfterS * float64(time.Second)))
}

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
	for _, s := range p.Steps {
		if s.Kind != StepTest || s.Phase != PhaseFollowup || s.TestBlock == nil {
			continue
		}
		for _, i := range stored {
			if s.Contains(i) {
				return Followup{}, false
			}
		}
		f = Followup{Step: s, From: completedAt}
		if s.AfterS != nil {
			f.From = completedAt.Add(time.Duration(*s.AfterS * float64(time.Second)))
		}
		f.Ready = !now.Before(f.From)
		return f, true
	}
	return Followup{}, false
}

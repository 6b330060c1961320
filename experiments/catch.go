package experiments

import "math"

// Timeout is the response stored for a red/green trial not answered within
// its response window. It is data (the participant was too slow), not an
// answer: it enters no fit and moves no staircase.
const Timeout = "timeout"

// MaxCatchTrials bounds the catch trials of one block.
const MaxCatchTrials = 50

// catchTrials are a block's catch trials: red/green trials of patterns a
// and b at ±tint, balanced over pattern and side.
func catchTrials(t Test, r *Stream, base Trial) []Trial {
	base.Method = ConstantStimuli
	base.Catch = true
	base.Staircase, base.StartTint, base.MinTint, base.MaxTint, base.Step = "", nil, nil, nil, 0
	return strongTrials(t.CatchTrials, t.CatchTint, r, base)
}

// interleaveCatch places the catch trials among the block's main trials,
// one in each of len(catch) equal stretches of the first spread main
// trials, at a position drawn from r, never first: spread out, never in a
// row, and not predictable. The order of the main trials is kept.
func interleaveCatch(main, catch []Trial, spread int, r *Stream) []Trial {
	spread = min(spread, len(main))
	out := make([]Trial, 0, len(main)+len(catch))
	next := 0 // main trials placed so far
	for j, c := range catch {
		lo, hi := j*spread/len(catch), (j+1)*spread/len(catch)
		after := lo + 1 + r.IntN(max(hi-lo, 1))
		after = min(after, spread)
		out = append(out, main[next:max(next, after)]...)
		next = max(next, after)
		out = append(out, c)
	}
	return append(out, main[next:]...)
}

// staircaseSpread estimates how many trials a staircase block runs before
// its staircases stop (about three trials per reversal, at most
// max_trials each), so that its catch trials are spread over the trials
// actually shown rather than over reserved slots that go unused.
func staircaseSpread(t Test, patterns int) int {
	s := t.Staircase
	return patterns * min(s.MaxTrials, 3*s.MaxReversals)
}

// CatchCorrect reports whether the response to a catch trial of the given
// (strong) tint is right: the colour of the tint's side. A timeout is wrong.
func CatchCorrect(tint float64, response string) bool {
	if tint > 0 {
		return response == Red
	}
	return tint < 0 && response == Green
}

// CatchScore is a session's catch-trial result: Correct of Answered (a
// timeout counts as answered and wrong; trials not yet reached are not
// counted).
type CatchScore struct {
	Correct  int `json:"correct"`
	Answered int `json:"answered"`
}

// Add scores one stored catch trial.
func (s *CatchScore) Add(tint float64, response string) {
	s.Answered++
	if CatchCorrect(tint, response) {
		s.Correct++
	}
}

// Accuracy is Correct / Answered, NaN when nothing was answered.
func (s CatchScore) Accuracy() float64 {
	if s.Answered == 0 {
		return math.NaN()
	}
	return float64(s.Correct) / float64(s.Answered)
}

// ScoreCatch scores the stored responses to the plan's catch trials. The
// server scores them from the plan it made; the browser's word is never
// taken for it.
func ScoreCatch(p Plan, stored []Response) CatchScore {
	var s CatchScore
	for _, r := range stored {
		if r.Index >= 0 && r.Index < len(p.Trials) && p.Trials[r.Index].Catch && p.Trials[r.Index].Tint != nil {
			s.Add(*p.Trials[r.Index].Tint, r.Response)
		}
	}
	return s
}

// Analysed reports whether a stored trial enters the psychometric fits and
// effects: answers of the baseline, post and follow-up tests. Screening and
// practice trials, catch trials and timeouts do not.
func Analysed(phase Phase, catch bool, response string) bool {
	switch phase {
	case PhaseBaseline, PhasePost, PhaseFollowup:
		return !catch && response != Timeout
	}
	return false
}

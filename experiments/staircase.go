package experiments

import (
	"math"
	"slices"
)

// tintTolerance absorbs float noise from storage round trips when a stored
// tint is compared with the one the rule asked for.
const tintTolerance = 1e-6

// staircaseSpecs is one staircase per test pattern. Start sides are
// balanced: half the staircases start on the red side, half on the green
// (an odd one out from the seed), shuffled across patterns.
func staircaseSpecs(d Definition, seed int64, phase Phase) []StaircaseSpec {
	s := *d.Test.Staircase
	names := d.PatternNames()
	sides := balancedSides(NewStream(seed, "staircase-sides/"+string(phase), 0), len(names))
	specs := make([]StaircaseSpec, len(names))
	for i, p := range names {
		specs[i] = StaircaseSpec{
			ID:           string(phase) + "/" + p,
			Pattern:      p,
			StartTint:    sides[i] * s.StartTint,
			Steps:        slices.Clone(s.Steps),
			MaxReversals: s.MaxReversals,
			MaxTrials:    s.MaxTrials,
			MinTint:      *s.MinTint,
			MaxTint:      *s.MaxTint,
		}
	}
	return specs
}

// staircaseSlots reserves max_trials slots per staircase. Their pattern and
// staircase are provisional: they are what NextStaircaseTrial picks when no
// staircase stops early on reversals; once one does, the rule's picks are
// authoritative and the unused slots at the end of the block stay unused.
func staircaseSlots(seed int64, phase Phase, specs []StaircaseSpec, base Trial) []Trial {
	states := newStaircaseStates(specs)
	var slots []Trial
	for k := 0; ; k++ {
		i := pickStaircase(seed, phase, k, states)
		if i < 0 {
			return slots
		}
		t := base
		t.Method = Staircase
		t.Pattern, t.Staircase = specs[i].Pattern, specs[i].ID
		t.MinTint, t.MaxTint = new(specs[i].MinTint), new(specs[i].MaxTint)
		slots = append(slots, t)
		states[i].trials++ // no responses: only max_trials ends it
	}
}

// staircaseState is the running state of one 1-up/1-down staircase.
type staircaseState struct {
	spec      *StaircaseSpec
	trials    int
	reversals int
	stepIdx   int
	tint      float64 // the tint of its next trial
	last      string  // the last response
}

func newStaircaseStates(specs []StaircaseSpec) []*staircaseState {
	states := make([]*staircaseState, len(specs))
	for i := range specs {
		states[i] = &staircaseState{spec: &specs[i], tint: specs[i].StartTint}
	}
	return states
}

func (s *staircaseState) done() bool {
	return s.trials >= s.spec.MaxTrials || s.reversals >= s.spec.MaxReversals
}

// record applies one response: "red" moves the tint down (greener), "green"
// up; a change of response is a reversal and moves to the next smaller step.
func (s *staircaseState) record(response string) {
	if s.trials > 0 && response != s.last {
		s.reversals++
		if s.stepIdx < len(s.spec.Steps)-1 {
			s.stepIdx++
		}
	}
	s.last = response
	s.trials++
	step := s.spec.Steps[s.stepIdx]
	if response == Red {
		s.tint -= step
	} else {
		s.tint += step
	}
	s.tint = roundTint(min(max(s.tint, s.spec.MinTint), s.spec.MaxTint))
}

// pickStaircase chooses the staircase of the block's k-th trial: uniformly,
// from a stream seeded by (seed, phase, k), among the unfinished staircases
// with the fewest trials so far, so they interleave round by round. It
// returns -1 when all are finished.
func pickStaircase(seed int64, phase Phase, k int, states []*staircaseState) int {
	var cands []int
	for i, s := range states {
		switch {
		case s.done():
		case len(cands) == 0 || s.trials < states[cands[0]].trials:
			cands = append(cands[:0], i)
		case s.trials == states[cands[0]].trials:
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return -1
	}
	return cands[NewStream(seed, "staircase/"+string(phase), uint64(k)).IntN(len(cands))]
}

// staircaseRun is a block replayed from its stored responses.
type staircaseRun struct {
	states  []*staircaseState
	slots   []int              // the block's staircase slots (its indices but catch trials)
	answers int                // slots answered, in order, from the first
	next    int                // staircase of the next trial, -1 when done
	history map[int][]Response // per staircase, the answered trials
}

// replayStaircase re-runs the block's rule over the stored responses. The
// block's staircase trials are its slots (indices that are not catch
// trials) in order; replay stops at the first slot with no usable
// response. A timeout uses up its slot and counts as one of its
// staircase's trials but moves nothing. When strict, a gap before a later
// stored slot, a duplicate, a bad response or a tint other than the one
// the rule asked for is an error; otherwise replay just stops there (used
// to decide what is still required).
func replayStaircase(p Plan, step Step, stored []Response, strict bool) (*staircaseRun, error) {
	tb := step.TestBlock
	run := &staircaseRun{states: newStaircaseStates(tb.Staircases), history: map[int][]Response{}}
	for i := tb.FirstTrial; i < tb.FirstTrial+tb.TrialCount && i < len(p.Trials); i++ {
		if !p.Trials[i].Catch {
			run.slots = append(run.slots, i)
		}
	}
	byIndex := map[int]Response{}
	last := -1
	for _, r := range stored {
		if !tb.Contains(r.Index) || r.Index >= len(p.Trials) || p.Trials[r.Index].Catch {
			continue
		}
		if prev, dup := byIndex[r.Index]; dup {
			if strict && (prev.Response != r.Response || prev.Tint != r.Tint) {
				return nil, Errorf(Conflict, "trial %d is stored twice with different responses", r.Index)
			}
			continue
		}
		byIndex[r.Index] = r
		last = max(last, r.Index)
	}
	for k := 0; ; k++ {
		run.next = pickStaircase(p.Seed, step.Phase, k, run.states)
		if run.next < 0 {
			if strict && k < len(run.slots) && last >= run.slots[k] {
				return nil, Errorf(Conflict, "trial %d is beyond the end of the finished staircase block", last)
			}
			return run, nil
		}
		if k >= len(run.slots) {
			return nil, Errorf(Internal, "staircase block %d overran its %d slots", tb.Block, len(run.slots))
		}
		idx := run.slots[k]
		s := run.states[run.next]
		r, ok := byIndex[idx]
		answer := ok && (r.Response == Red || r.Response == Green || r.Response == Timeout)
		if ok && strict {
			if !answer {
				return nil, Errorf(Invalid, "trial %d: stored response %q is not %q, %q or %q", idx, r.Response, Red, Green, Timeout)
			}
			if !finite(r.Tint) || math.Abs(r.Tint-s.tint) > tintTolerance {
				return nil, Errorf(Conflict, "trial %d: stored tint %g, but the staircase asked for %g", idx, r.Tint, s.tint)
			}
		}
		if !answer {
			if strict && last > idx {
				return nil, Errorf(Conflict, "trial %d is missing: staircase trials must be stored in order (trial %d is stored)", idx, last)
			}
			return run, nil
		}
		if r.Response == Timeout {
			s.trials++
		} else {
			s.record(r.Response)
			run.history[run.next] = append(run.history[run.next], r)
		}
		run.answers = k + 1
	}
}

// nextSlot is the staircase trial the rule asks for next in a block, or
// done when every staircase has finished.
func nextSlot(p Plan, step Step, stored []Response) (Trial, bool, error) {
	run, err := replayStaircase(p, step, stored, true)
	if err != nil {
		return Trial{}, false, err
	}
	if run.next < 0 {
		return Trial{}, true, nil
	}
	spec := step.Staircases[run.next]
	t := p.Trials[run.slots[run.answers]]
	t.Pattern, t.Staircase = spec.Pattern, spec.ID
	t.Tint = new(run.states[run.next].tint)
	t.MinTint, t.MaxTint = new(spec.MinTint), new(spec.MaxTint)
	return t, false, nil
}

// NextStaircaseTrial is the staircase rule: given the responses stored so
// far (any of the session's; those outside the block are ignored), it
// returns the block's next trial in presentation order — a catch trial not
// yet answered that comes before the next staircase slot, or else that
// slot with the staircase it belongs to and the tint that staircase asks
// for — or done when every staircase has reached max_reversals or
// max_trials and every catch trial is answered. It is a pure function of
// the plan and the responses, so any replica (or the ConvNet) computes the
// same next trial.
func NextStaircaseTrial(p Plan, block int, stored []Response) (Trial, bool, error) {
	step, err := p.BlockStep(block)
	if err != nil {
		return Trial{}, false, err
	}
	if step.Method != Staircase {
		return Trial{}, false, Invalidf("test block %d uses method %s, not %s", block, step.Method, Staircase)
	}
	slot, done, err := nextSlot(p, step, stored)
	if err != nil {
		return Trial{}, false, err
	}
	answered := make(map[int]bool, len(stored))
	for _, r := range stored {
		answered[r.Index] = true
	}
	for i := step.FirstTrial; i < step.FirstTrial+step.TrialCount; i++ {
		if !done && i >= slot.Index {
			break
		}
		if p.Trials[i].Catch && !answered[i] {
			return p.Trials[i], false, nil
		}
	}
	return slot, done, nil
}

// StaircaseHistories groups a staircase block's answered trials by
// staircase ID, in presentation order, for StaircaseEstimate. Trials after
// a gap or an inconsistency are left out.
func StaircaseHistories(p Plan, block int, stored []Response) (map[string][]Response, error) {
	step, err := p.BlockStep(block)
	if err != nil {
		return nil, err
	}
	if step.Method != Staircase {
		return nil, Invalidf("test block %d uses method %s, not %s", block, step.Method, Staircase)
	}
	run, err := replayStaircase(p, step, stored, false)
	if err != nil {
		return nil, err
	}
	out := map[string][]Response{}
	for i, h := range run.history {
		out[step.Staircases[i].ID] = h
	}
	return out, nil
}

// StaircaseEstimate is a staircase's null point (PSE) from its history in
// presentation order: the mean tint of the trials at which the response
// reversed, leaving out the first two (still on the large steps) when at
// least four remain, and then the earliest one more if that leaves an odd
// number, so as many reversals above as below the PSE are averaged. With no
// reversal it is the last tint; with no history, NaN.
func StaircaseEstimate(history []Response) float64 {
	var rev []float64
	for j := 1; j < len(history); j++ {
		if history[j].Response != history[j-1].Response {
			rev = append(rev, history[j].Tint)
		}
	}
	switch {
	case len(history) == 0:
		return math.NaN()
	case len(rev) == 0:
		return history[len(history)-1].Tint
	}
	if len(rev) >= 6 {
		rev = rev[2:]
	}
	if len(rev)%2 == 1 && len(rev) > 1 {
		rev = rev[1:]
	}
	sum := 0.0
	for _, v := range rev {
		sum += v
	}
	return sum / float64(len(rev))
}

package experiments

import "slices"

// RequiredIndices lists the trial indices that must be stored before the
// session is complete, in order. Fixed blocks contribute their required
// trials. A required staircase block contributes its catch trials, the
// slots its rule has asked for so far and, until every staircase has
// finished, the next one; reserved slots the rule never uses are not
// required.
func (p Plan) RequiredIndices(stored []Response) []int {
	var idx []int
	for _, s := range p.Steps {
		if s.TestBlock == nil {
			continue
		}
		if s.Method != Staircase {
			for i := s.FirstTrial; i < s.FirstTrial+s.TrialCount && i < len(p.Trials); i++ {
				if p.Trials[i].Required {
					idx = append(idx, i)
				}
			}
			continue
		}
		if s.TrialCount == 0 || s.FirstTrial >= len(p.Trials) || !p.Trials[s.FirstTrial].Required {
			continue
		}
		run, err := replayStaircase(p, s, stored, false)
		if err != nil { // cannot happen when not strict; be safe: require all
			for i := s.FirstTrial; i < s.FirstTrial+s.TrialCount; i++ {
				idx = append(idx, i)
			}
			continue
		}
		n := run.answers
		if run.next >= 0 {
			n++
		}
		for i := s.FirstTrial; i < s.FirstTrial+s.TrialCount; i++ {
			if p.Trials[i].Catch {
				idx = append(idx, i)
			}
		}
		idx = append(idx, run.slots[:n]...)
	}
	slices.Sort(idx)
	return idx
}

// MissingRequired lists the required trial indices with no stored response:
// empty exactly when the session may complete.
func MissingRequired(p Plan, stored []Response) []int {
	have := make(map[int]bool, len(stored))
	for _, r := range stored {
		have[r.Index] = true
	}
	var missing []int
	for _, i := range p.RequiredIndices(stored) {
		if !have[i] {
			missing = append(missing, i)
		}
	}
	return slices.Clip(missing)
}

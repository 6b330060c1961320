package experiments

// BlockStep finds the test step of a block (NotFound when the plan has none).
func (p Plan) BlockStep(block int) (Step, error) {
	for _, s := range p.Steps {
		if s.TestBlock != nil && s.Block == block {
			return s, nil
		}
	}
	return Step{}, Errorf(NotFound, "the plan has no test block %d", block)
}

// stepOf finds the test step whose block holds trial index i.
func (p Plan) stepOf(i int) (Step, bool) {
	for _, s := range p.Steps {
		if s.TestBlock.Contains(i) {
			return s, true
		}
	}
	return Step{}, false
}

// TrialFor is the trial a response for index i must answer, for checking it
// with ValidateResponse: the planned trial, or in a staircase block the
// trial the rule asks for at i given the responses stored before i (so a
// repeated, idempotent PUT of a stored trial checks against the same
// trial). Storing i before the earlier trials of its staircase block is a
// Conflict, as is an index past the end of a finished staircase block.
// Catch trials are fixed, in any block.
func (p Plan) TrialFor(i int, stored []Response) (Trial, error) {
	if i < 0 || i >= len(p.Trials) {
		return Trial{}, Errorf(NotFound, "the plan has no trial %d", i)
	}
	step, ok := p.stepOf(i)
	if !ok || step.Method != Staircase || p.Trials[i].Catch {
		return p.Trials[i], nil
	}
	var before []Response
	for _, r := range stored {
		if r.Index < i {
			before = append(before, r)
		}
	}
	t, done, err := nextSlot(p, step, before)
	switch {
	case err != nil:
		return Trial{}, err
	case done:
		return Trial{}, Errorf(Conflict, "trial %d is past the end of the finished staircase block", i)
	case t.Index != i:
		return Trial{}, Errorf(Conflict, "trial %d cannot be stored yet: staircase trial %d comes first", i, t.Index)
	}
	return t, nil
}

package storage

import (
	"context"
	"fmt"

	"github.com/mccollough/mccollough/experiments"
)

// ScreenOut ends a started session that the screening found unsuitable,
// with the reason; no further answers are taken.
func (db *DB) ScreenOut(ctx context.Context, id, reason string) error {
	_, err := db.pool.Exec(ctx, `UPDATE sessions SET status = $2, status_reason = $3, updated_at = now()
		WHERE id = $1 AND status = 'started'`, id, experiments.StatusScreenedOut, reason)
	return err
}

// ScreeningOutcome is the verdict of a session's colour-vision check.
type ScreeningOutcome struct {
	Passed  bool   `json:"passed"`
	Correct int    `json:"correct"`
	Needed  int    `json:"needed"`
	Reason  string `json:"reason,omitempty"`
}

// CheckScreening scores the session's stored screening answers. A session
// that passes may answer its tests from then on; one that fails is
// screened out (status screened_out, reason color_vision) and takes no
// test answers. Until every screening trial is stored it is a Conflict
// listing the missing ones. Checking again gives the same verdict.
func (db *DB) CheckScreening(ctx context.Context, id, token string) (ScreeningOutcome, error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return ScreeningOutcome{}, err
	}
	if _, err := db.liveStatus(ctx, id); err != nil {
		return ScreeningOutcome{}, err
	}
	out, missing, err := db.decideScreening(ctx, info)
	if err != nil {
		return ScreeningOutcome{}, err
	}
	if len(missing) > 0 {
		e := experiments.Errorf(experiments.Conflict, "%d screening answer(s) are not stored yet", len(missing))
		e.Details = map[string]any{"missing": missing}
		return ScreeningOutcome{}, e
	}
	return out, nil
}

// decideScreening scores the stored screening answers and records the
// verdict: passed (the session's tests are open) or screened out. With
// answers missing it decides nothing and lists them. The plan decides
// whether there is a screening: model sessions' plans have none.
func (db *DB) decideScreening(ctx context.Context, info *sessionInfo) (ScreeningOutcome, []int, error) {
	p := info.Plan
	if !p.HasScreening() {
		return ScreeningOutcome{Passed: true}, nil, nil
	}
	stored, err := db.storedResponses(ctx, info.ID, -1, p)
	if err != nil {
		return ScreeningOutcome{}, nil, err
	}
	have := map[int]bool{}
	for _, r := range stored {
		have[r.Index] = true
	}
	var missing []int
	for _, t := range p.Trials {
		if t.Method == experiments.MethodScreening && !have[t.Index] {
			missing = append(missing, t.Index)
		}
	}
	if len(missing) > 0 {
		return ScreeningOutcome{}, missing, nil
	}
	minCorrect := info.Definition.Screening.MinCorrect
	correct, passed := experiments.ScoreScreening(p, stored, minCorrect)
	out := ScreeningOutcome{Passed: passed, Correct: correct, Needed: minCorrect}
	if !passed {
		out.Reason = experiments.ScreenReasonColorVision
		return out, nil, db.ScreenOut(ctx, info.ID, out.Reason)
	}
	_, err = db.pool.Exec(ctx, `UPDATE sessions SET screening_passed_at = coalesce(screening_passed_at, now()), updated_at = now()
		WHERE id = $1 AND status = 'started'`, info.ID)
	if err != nil {
		return ScreeningOutcome{}, nil, fmt.Errorf("recording the screening: %w", err)
	}
	return out, nil, nil
}

// screeningGate is called when an answer that waits for the screening
// (a test answer, or the completion) finds the session not yet passed: a
// runner that skipped POST .../screening. The server decides now, from the
// stored answers: passed (and the caller tries again), failed, or skipped
// (screening answers missing); the last two screen the session out.
func (db *DB) screeningGate(ctx context.Context, info *sessionInfo) error {
	out, missing, err := db.decideScreening(ctx, info)
	switch {
	case err != nil:
		return err
	case len(missing) > 0:
		if err := db.ScreenOut(ctx, info.ID, experiments.ScreenReasonSkipped); err != nil {
			return err
		}
		return experiments.Errorf(experiments.Conflict, "the colour-vision check was skipped: the session has ended")
	case !out.Passed:
		return experiments.Errorf(experiments.Conflict, "the colour-vision check was not passed: the session has ended")
	}
	return nil
}

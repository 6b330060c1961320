package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// TrialWrite is one response to store.
type TrialWrite struct {
	Response experiments.Response
	// ModelPRed is the observer's P(red) (model sessions only).
	ModelPRed *float64
	// Now is the server's clock, which decides whether a follow-up retest
	// is open (zero: time.Now).
	Now time.Time
}

// RecordTrial stores one response of session id, authorised by its token.
// It is idempotent by trial index: storing the same response again stores
// nothing and reports created=false; a different response for a stored
// index is a Conflict. The row is committed when it returns.
func (db *DB) RecordTrial(ctx context.Context, id, token string, w TrialWrite) (created bool, err error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return false, err
	}
	return db.recordTrial(ctx, info, w)
}

func (db *DB) recordTrial(ctx context.Context, info *sessionInfo, w TrialWrite) (bool, error) {
	r := w.Response
	p := info.Plan
	if r.Index < 0 || r.Index >= len(p.Trials) {
		return false, experiments.InvalidFields(fieldError("index", "trial %d is outside the plan (0..%d)", r.Index, len(p.Trials)-1))
	}
	planned := p.Trials[r.Index]
	var stored []experiments.Response
	if planned.Method == experiments.Staircase {
		// The tint a staircase trial must show depends on the earlier answers.
		var err error
		if stored, err = db.storedResponses(ctx, info.ID, planned.Block, p); err != nil {
			return false, err
		}
	}
	trial, err := p.TrialFor(r.Index, stored)
	if err != nil {
		return false, err
	}
	// A browser does not say which tint it showed: the plan does.
	r = r.WithPlannedTint(trial)
	if err := experiments.ValidateResponse(trial, r); err != nil {
		return false, err
	}
	// A model session runs its follow-up on a simulated clock, before the
	// session is completed; a human's follow-up waits for the real one.
	if trial.Phase == experiments.PhaseFollowup && info.Kind != experiments.KindModel {
		completedAt, err := db.completedAt(ctx, info.ID)
		if err != nil {
			return false, err
		}
		now := w.Now
		if now.IsZero() {
			now = time.Now()
		}
		if err := p.CheckFollowupAnswer(completedAt, now); err != nil {
			return false, err
		}
	}
	if w.ModelPRed != nil && info.Kind != experiments.KindModel {
		return false, experiments.InvalidFields(fieldError("model_p_red", "only model sessions report P(red)"))
	}
	// The normalised response is what identical retries are compared by.
	body, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	row := trialRow{SessionID: info.ID, Index: r.Index, Phase: string(trial.Phase), Block: trial.Block,
		Method: string(trial.Method), Pattern: trial.Pattern, Tint: &r.Tint, Response: r.Response, Setting: r.Setting,
		RTMS: r.RTMS, OnsetMS: r.OnsetMS, IntendedMS: r.IntendedMS, MeasuredMS: r.MeasuredMS, Frames: r.Frames,
		DroppedFrames: r.DroppedFrames, ModelPRed: w.ModelPRed, Body: body, Catch: trial.Catch,
		SinceInductionMS: r.SinceInductionMS, Input: r.Input, Target: trial.Target, WaitsForScreening: p.WaitsForScreening(trial)}
	if r.Setting != nil {
		row.Response = "" // the setting column holds an adjustment answer
	}
	created, err := db.insertTrial(ctx, info, row)
	if errors.Is(err, errScreeningNotPassed) {
		// A runner that never asked for the verdict: decide it now.
		if err := db.screeningGate(ctx, info); err != nil {
			return false, err
		}
		created, err = db.insertTrial(ctx, info, row)
	}
	return created, err
}

// errScreeningNotPassed is insertTrial's answer when the session is open
// but has not passed its screening yet.
var errScreeningNotPassed = errors.New("the session has not passed its screening")

// insertTrial stores one answer, and when it stores nothing, says why.
func (db *DB) insertTrial(ctx context.Context, info *sessionInfo, row trialRow) (bool, error) {
	// Stored with the answers that arrive meanwhile, in one statement
	// (trialbatch.go): the common case costs this answer less than one
	// round trip.
	inserted, err := db.trials.insert(ctx, row)
	if inserted || err != nil {
		return inserted, err
	}
	// Nothing inserted: a retry of a stored trial, a conflicting answer, a
	// screening not passed yet, or a session that no longer takes answers
	// (deleted, withdrawn, ended).
	var status string
	var passed bool
	var same *bool
	err = db.pool.QueryRow(ctx, `SELECT s.status, s.screening_passed_at IS NOT NULL,
		       (SELECT t.body = $3::jsonb FROM trials t WHERE t.session_id = s.id AND t.trial_index = $2)
		FROM sessions s WHERE s.id = $1`, info.ID, row.Index, row.Body).Scan(&status, &passed, &same)
	switch {
	case isNoRows(err):
		return false, db.sessionDeleted(info.ID)
	case err != nil:
		return false, fmt.Errorf("checking stored trial: %w", err)
	case status == experiments.StatusWithdrawn:
		return false, sessionWithdrawn()
	case same != nil && !*same:
		return false, experiments.Errorf(experiments.Conflict, "trial %d is already stored with a different response", row.Index)
	case same != nil:
		return false, nil // an identical retry
	case status != experiments.StatusStarted && status != experiments.StatusComplete:
		return false, experiments.Errorf(experiments.Conflict, "the session no longer accepts responses (it is %s)", status)
	case row.WaitsForScreening && !passed:
		return false, errScreeningNotPassed
	}
	return false, experiments.Errorf(experiments.Conflict, "the session did not take the response: try again")
}

// completedAt is when the session was completed (nil: not yet).
func (db *DB) completedAt(ctx context.Context, id string) (*time.Time, error) {
	var at *time.Time
	err := db.pool.QueryRow(ctx, `SELECT completed_at FROM sessions WHERE id = $1`, id).Scan(&at)
	switch {
	case isNoRows(err):
		return nil, db.sessionDeleted(id)
	case err != nil:
		return nil, fmt.Errorf("reading the session's completion: %w", err)
	}
	return at, nil
}

// storedResponses are the session's stored answers in a block (all blocks
// when block < 0), in index order.
func (db *DB) storedResponses(ctx context.Context, id string, block int, p experiments.Plan) ([]experiments.Response, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT trial_index, coalesce(tint, 0), response, setting FROM trials
		WHERE session_id = $1 AND ($2 < 0 OR block = $2)
		ORDER BY trial_index`, id, block)
	if err != nil {
		return nil, fmt.Errorf("reading stored trials: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (experiments.Response, error) {
		var r experiments.Response
		err := row.Scan(&r.Index, &r.Tint, &r.Response, &r.Setting)
		return r, err
	})
}

func fieldError(field, format string, args ...any) experiments.FieldErrors {
	return experiments.FieldErrors{{Field: field, Message: fmt.Sprintf(format, args...)}}
}

// CatchScores scores the catch trials of an experiment's sessions (by
// session id; previews left out) with the domain's rule.
func (db *DB) CatchScores(ctx context.Context, experimentID int64) (map[string]experiments.CatchScore, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT t.session_id::text, t.tint, t.response
		FROM trials t JOIN sessions s ON s.id = t.session_id JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 AND NOT s.preview AND t.catch`, experimentID)
	if err != nil {
		return nil, fmt.Errorf("reading catch trials: %w", err)
	}
	defer rows.Close()
	scores := map[string]experiments.CatchScore{}
	for rows.Next() {
		var id, response string
		var tint float64
		if err := rows.Scan(&id, &tint, &response); err != nil {
			return nil, err
		}
		s := scores[id]
		s.Add(tint, response)
		scores[id] = s
	}
	return scores, rows.Err()
}

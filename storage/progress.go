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

// SessionState is a session as its runner resumes it.
type SessionState struct {
	Session
	// Stored lists the trial indices already stored, ascending.
	Stored []int
	// MaxEventSeq is the highest stored event sequence number (-1: none).
	MaxEventSeq int
	// StatusReason says why a session was screened out.
	StatusReason string
	// CompletedAt is when the session completed (nil before).
	CompletedAt *time.Time
}

// SessionState returns the session, its plan and what is already stored.
func (db *DB) SessionState(ctx context.Context, id, token string) (SessionState, error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return SessionState{}, err
	}
	st := SessionState{Session: info.Session}
	err = db.pool.QueryRow(ctx, `
		SELECT s.status, coalesce(s.status_reason, ''), coalesce(s.completion_code, ''), s.completed_at,
		       coalesce((SELECT array_agg(trial_index ORDER BY trial_index) FROM trials WHERE session_id = s.id), '{}'),
		       coalesce((SELECT max(seq) FROM events WHERE session_id = s.id), -1)
		FROM sessions s WHERE s.id = $1`, id).Scan(&st.Status, &st.StatusReason, &st.CompletionCode, &st.CompletedAt, &st.Stored, &st.MaxEventSeq)
	if isNoRows(err) {
		return SessionState{}, db.sessionDeleted(id)
	}
	if err != nil {
		return SessionState{}, fmt.Errorf("reading session: %w", err)
	}
	return st, nil
}

// SessionPlan is a live session's immutable part (plan, definition,
// condition; usually from memory) with its current status, authorised by
// its token. A deleted session is NotFound, a withdrawn one Gone.
func (db *DB) SessionPlan(ctx context.Context, id, token string) (Session, error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return Session{}, err
	}
	s := info.Session
	if s.Status, err = db.liveStatus(ctx, id); err != nil {
		return Session{}, err
	}
	return s, nil
}

// NextStaircaseTrial is the next trial of a staircase block, computed from
// the stored answers; done is true when every staircase of the block has
// finished.
func (db *DB) NextStaircaseTrial(ctx context.Context, id, token string, block int) (experiments.Trial, bool, error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return experiments.Trial{}, false, err
	}
	if _, err := info.Plan.BlockStep(block); err != nil {
		return experiments.Trial{}, false, err
	}
	if _, err := db.liveStatus(ctx, id); err != nil {
		return experiments.Trial{}, false, err
	}
	stored, err := db.storedResponses(ctx, id, block, info.Plan)
	if err != nil {
		return experiments.Trial{}, false, err
	}
	return experiments.NextStaircaseTrial(info.Plan, block, stored)
}

// Completion is what a completed session gives the participant.
type Completion struct {
	Code string
}

// CompleteSession marks the session complete once every required trial is
// stored; until then it is a Conflict whose Details list the missing
// indices. Completing again returns the same code.
func (db *DB) CompleteSession(ctx context.Context, id, token string) (Completion, error) {
	info, err := db.sessionFor(ctx, id, token)
	if err != nil {
		return Completion{}, err
	}
	if _, err := db.liveStatus(ctx, id); err != nil {
		return Completion{}, err
	}
	stored, err := db.storedResponses(ctx, id, -1, info.Plan)
	if err != nil {
		return Completion{}, err
	}
	if missing := experiments.MissingRequired(info.Plan, stored); len(missing) > 0 {
		e := experiments.Errorf(experiments.Conflict, "%d required trial(s) are not stored yet", len(missing))
		e.Details = map[string]any{"missing": missing}
		return Completion{}, e
	}
	code, err := db.complete(ctx, id, info.Plan.HasScreening())
	if errors.Is(err, errScreeningNotPassed) {
		// Never a code for a session that did not pass: decide it now.
		if err := db.screeningGate(ctx, info); err != nil {
			return Completion{}, err
		}
		code, err = db.complete(ctx, id, true)
	}
	if err != nil {
		return Completion{}, err
	}
	return Completion{Code: code}, nil
}

// complete marks the session complete and returns its completion code;
// when screened, only once it has passed the screening.
func (db *DB) complete(ctx context.Context, id string, screened bool) (string, error) {
	var code string
	err := db.pool.QueryRow(ctx, `
		UPDATE sessions SET status = 'complete',
		       completion_code = coalesce(completion_code, $2),
		       completed_at = coalesce(completed_at, now()), updated_at = now()
		WHERE id = $1 AND status IN ('started', 'complete') AND (NOT $3::bool OR screening_passed_at IS NOT NULL)
		RETURNING completion_code`, id, newCompletionCode(), screened).Scan(&code)
	if err == nil {
		return code, nil
	}
	if !isNoRows(err) {
		return "", fmt.Errorf("completing session: %w", err)
	}
	var status string
	var passed bool
	err = db.pool.QueryRow(ctx, `SELECT status, screening_passed_at IS NOT NULL FROM sessions WHERE id = $1`, id).Scan(&status, &passed)
	switch {
	case isNoRows(err):
		return "", db.sessionDeleted(id)
	case err != nil:
		return "", fmt.Errorf("completing session: %w", err)
	case status == experiments.StatusStarted && screened && !passed:
		return "", errScreeningNotPassed
	}
	return "", experiments.Errorf(experiments.Conflict, "the session can no longer be completed (it is %s)", status)
}

// RecordEvents stores a batch of events, idempotent by sequence number
// (a resent batch stores nothing twice). It returns how many were new. A
// session holds at most experiments.MaxEventsPerSession events and
// MaxEventBytesPerSession bytes of them: a batch that would pass either is
// refused whole (TooLarge).
func (db *DB) RecordEvents(ctx context.Context, id, token string, events []experiments.Event) (int, error) {
	if _, err := db.sessionFor(ctx, id, token); err != nil {
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	seqs, kinds := make([]int, len(events)), make([]string, len(events))
	data, times := make([]json.RawMessage, len(events)), make([]float64, len(events))
	for i, ev := range events {
		seqs[i], kinds[i], data[i], times[i] = ev.Seq, ev.Kind, ev.Data, ev.ClientMS
		if len(data[i]) == 0 {
			data[i] = json.RawMessage(`{}`)
		}
	}
	var created int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// The row lock orders batches of one session (the totals stay
		// exact) without blocking its trial writes (FOR KEY SHARE).
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM sessions WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&status)
		switch {
		case isNoRows(err):
			return db.sessionDeleted(id)
		case err != nil:
			return err
		case status == experiments.StatusWithdrawn:
			return sessionWithdrawn()
		case status != experiments.StatusStarted && status != experiments.StatusComplete:
			return experiments.Errorf(experiments.Conflict, "the session no longer accepts events")
		}
		var count int
		var bytes int64
		err = tx.QueryRow(ctx, `
			WITH ins AS (
				INSERT INTO events (session_id, seq, kind, data, client_ms)
				SELECT $1, e.seq, e.kind, e.data, e.t FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::float8[]) AS e(seq, kind, data, t)
				ON CONFLICT (session_id, seq) DO NOTHING
				RETURNING octet_length(kind) + octet_length(data::text) AS bytes)
			UPDATE sessions SET events_stored = events_stored + (SELECT count(*) FROM ins),
			       event_bytes = event_bytes + (SELECT coalesce(sum(bytes), 0) FROM ins), updated_at = now()
			WHERE id = $1
			RETURNING (SELECT count(*) FROM ins), events_stored, event_bytes`,
			id, seqs, kinds, data, times).Scan(&created, &count, &bytes)
		if err != nil {
			return fmt.Errorf("storing events: %w", err)
		}
		if count > experiments.MaxEventsPerSession || bytes > experiments.MaxEventBytesPerSession {
			return experiments.Errorf(experiments.TooLarge, "a session keeps at most %d events and %d MB of them: this batch is refused",
				experiments.MaxEventsPerSession, experiments.MaxEventBytesPerSession>>20)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return created, nil
}

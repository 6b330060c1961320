package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// Withdrawal is what a participant who withdrew is shown.
type Withdrawal struct {
	SessionID string
	Trials    int
	Events    int
}

// WithdrawSession is a participant leaving the study and taking their
// data: the session's trials and events are deleted, and so are the link's
// parameters (their recruiter id) and screen measurements; the session
// stays as a tombstone marked withdrawn, so a retry or a reload shows the
// confirmation again. Withdrawing twice is harmless.
func (db *DB) WithdrawSession(ctx context.Context, id, token string) (Withdrawal, error) {
	if _, err := db.sessionFor(ctx, id, token); err != nil {
		return Withdrawal{}, err
	}
	w := Withdrawal{SessionID: id}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Lock the session first: a trial write racing with the withdrawal
		// either commits before (and is deleted here) or finds the session
		// withdrawn (and stores nothing).
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if isNoRows(err) {
			return db.sessionDeleted(id)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM trials WHERE session_id = $1`, id)
		if err != nil {
			return err
		}
		w.Trials = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, `DELETE FROM events WHERE session_id = $1`, id)
		if err != nil {
			return err
		}
		w.Events = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE sessions SET status = $2, participant_ref = '', params = '{}', screen = '{}',
			completion_code = NULL, updated_at = now() WHERE id = $1`, id, experiments.StatusWithdrawn)
		return err
	})
	if experiments.ErrorCode(err) == experiments.NotFound {
		return Withdrawal{}, err
	}
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdrawing: %w", err)
	}
	return w, nil
}

// Deletion is how much participant data a researcher's deletion removed.
type Deletion struct {
	Sessions int `json:"sessions"`
	Trials   int `json:"trials"`
	Events   int `json:"events"`
}

// DeleteParticipantData deletes, from one of ownerID's experiments, the
// sessions with session id sessionID, or all sessions of participant
// participantRef (exactly one of the two), with their trials and events,
// and records who did it, when and how many rows (never the data). It is
// safe while the participant is still sending answers: the sessions are
// locked first, so a concurrent write either lands before and is deleted,
// or finds no session and stores nothing.
func (db *DB) DeleteParticipantData(ctx context.Context, ownerID int64, slug, sessionID, participantRef string) (Deletion, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return Deletion{}, err
	}
	if (sessionID == "") == (participantRef == "") {
		return Deletion{}, experiments.Invalidf("give a session id or a participant id")
	}
	if _, err := uuid.Parse(sessionID); sessionID != "" && err != nil {
		return Deletion{}, experiments.Errorf(experiments.NotFound, "no session %q in %q", sessionID, slug)
	}
	if p := stimuli.TextProblem(participantRef); p != "" {
		return Deletion{}, experiments.InvalidFields(fieldError("participant_id", "%s", p))
	}
	var d Deletion
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT s.id::text FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
			WHERE v.experiment_id = $1 AND (s.id::text = $2 OR ($3 <> '' AND s.participant_ref = $3))
			FOR UPDATE OF s`, e.ID, sessionID, participantRef)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return experiments.Errorf(experiments.NotFound, "no such session or participant in %q", slug)
		}
		if err := tx.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM trials WHERE session_id::text = ANY($1)),
				(SELECT count(*) FROM events WHERE session_id::text = ANY($1))`, ids).Scan(&d.Trials, &d.Events); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id::text = ANY($1)`, ids) // trials and events cascade
		if err != nil {
			return err
		}
		d.Sessions = int(tag.RowsAffected())
		target := "session " + sessionID
		if participantRef != "" {
			target = "participant (id withheld)"
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (researcher_id, action, experiment, target, sessions, trials, events)
			VALUES ($1, 'delete_participant_data', $2, $3, $4, $5, $6)`, ownerID, slug, target, d.Sessions, d.Trials, d.Events)
		return err
	})
	return d, err
}

// AuditEntry is one line of an experiment's deletion log.
type AuditEntry struct {
	Researcher string    `json:"researcher"`
	Action     string    `json:"action"`
	Target     string    `json:"target"`
	Sessions   int       `json:"sessions"`
	Trials     int       `json:"trials"`
	Events     int       `json:"events"`
	At         time.Time `json:"at"`
}

// AuditLog lists the deletions made in one of ownerID's experiments.
func (db *DB) AuditLog(ctx context.Context, ownerID int64, slug string) ([]AuditEntry, error) {
	if _, err := db.OwnedExperiment(ctx, ownerID, slug); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `
		SELECT coalesce(r.email, '(deleted account)'), a.action, a.target, a.sessions, a.trials, a.events, a.created_at
		FROM audit_log a LEFT JOIN researchers r ON r.id = a.researcher_id
		WHERE a.experiment = $1 ORDER BY a.created_at DESC`, slug)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
}

// DeletePreviews deletes every preview session of one of ownerID's
// experiments (the "delete previews" button) and returns how many.
func (db *DB) DeletePreviews(ctx context.Context, ownerID int64, slug string) (int, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return 0, err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions s USING experiment_versions v
		WHERE v.id = s.experiment_version_id AND v.experiment_id = $1 AND s.preview`, e.ID)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// Observer run statuses: the observer_runs table is also the job queue.
const (
	RunQueued  = "queued"
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// ObserverRun is one run of the machine observer through an experiment:
// one network, one mechanism, one seed, one model session.
type ObserverRun struct {
	ID           int64           `json:"id"`
	ExperimentID int64           `json:"-"`
	Slug         string          `json:"experiment"`
	Mechanism    string          `json:"mechanism"`
	NetworkSeed  int64           `json:"network_seed"`
	Seed         int64           `json:"seed"`
	Params       json.RawMessage `json:"params"`
	Metrics      json.RawMessage `json:"metrics"`
	Status       string          `json:"status"`
	Error        *string         `json:"error"`
	Progress     float64         `json:"progress"`
	SessionID    *string         `json:"session_id"`
	CreatedAt    time.Time       `json:"created_at"`
	StartedAt    *time.Time      `json:"started_at"`
	FinishedAt   *time.Time      `json:"finished_at"`
}

const runColumns = `r.id, r.experiment_id, e.slug, r.mechanism, r.network_seed, r.seed, r.params, r.metrics, r.status, r.error,
	r.progress, r.session_id::text, r.created_at, r.started_at, r.finished_at
	FROM observer_runs r JOIN experiments e ON e.id = r.experiment_id`

func scanRun(row pgx.Row) (ObserverRun, error) {
	var r ObserverRun
	err := row.Scan(&r.ID, &r.ExperimentID, &r.Slug, &r.Mechanism, &r.NetworkSeed, &r.Seed, &r.Params, &r.Metrics, &r.Status, &r.Error,
		&r.Progress, &r.SessionID, &r.CreatedAt, &r.StartedAt, &r.FinishedAt)
	return r, err
}

// EnqueueObserverRuns queues one run per entry of runs for any worker to
// take.
func (db *DB) EnqueueObserverRuns(ctx context.Context, experimentID int64, mechanism string, runs []experiments.ModelRun, params json.RawMessage) ([]int64, error) {
	if len(params) == 0 {
		params = json.RawMessage(`{}`)
	}
	var ids []int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, run := range runs {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO observer_runs (experiment_id, mechanism, network_seed, seed, params)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				experimentID, mechanism, run.Network, run.Seed, params).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		// Wake idle workers on every replica.
		_, err := tx.Exec(ctx, `NOTIFY observer_runs`)
		return err
	})
	return ids, err
}

// ClaimObserverRun takes the oldest queued run for worker, or returns
// (nil, nil) when there is none. FOR UPDATE SKIP LOCKED lets any number of
// workers on any number of replicas claim runs without taking one twice.
func (db *DB) ClaimObserverRun(ctx context.Context, worker string) (*ObserverRun, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `
		UPDATE observer_runs SET status = 'running', claimed_by = $1, started_at = now(), progress = 0
		WHERE id = (SELECT id FROM observer_runs WHERE status = 'queued' ORDER BY created_at, id
		            FOR UPDATE SKIP LOCKED LIMIT 1)
		RETURNING id`, worker).Scan(&id)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claiming an observer run: %w", err)
	}
	r, err := scanRun(db.pool.QueryRow(ctx, `SELECT `+runColumns+` WHERE r.id = $1`, id))
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// SetRunProgress records how far a running run is (0..1); it also serves
// as the worker's heartbeat.
func (db *DB) SetRunProgress(ctx context.Context, id int64, progress float64) error {
	_, err := db.pool.Exec(ctx, `UPDATE observer_runs SET progress = $2, started_at = coalesce(started_at, now()) WHERE id = $1 AND status = 'running'`, id, progress)
	return err
}

// FinishObserverRun records a run's outcome: its model session and metrics,
// or the error that ended it.
func (db *DB) FinishObserverRun(ctx context.Context, id int64, sessionID string, metrics any, runErr error) error {
	m, err := json.Marshal(metrics)
	if err != nil || metrics == nil {
		m = []byte(`{}`)
	}
	status, msg := RunDone, (*string)(nil)
	if runErr != nil {
		status = RunFailed
		s := runErr.Error()
		msg = &s
	}
	_, err = db.pool.Exec(ctx, `UPDATE observer_runs SET status = $2, error = $3, metrics = $4,
		session_id = nullif($5, '')::uuid, progress = CASE WHEN $2 = 'done' THEN 1 ELSE progress END, finished_at = now()
		WHERE id = $1`, id, status, msg, m, sessionID)
	return err
}

// RequeueStaleRuns puts back runs whose worker stopped (no progress for
// olderThan): a crashed replica's jobs are taken up by another.
func (db *DB) RequeueStaleRuns(ctx context.Context, olderThan time.Duration) (int, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE observer_runs SET status = 'queued', claimed_by = NULL, started_at = NULL
		WHERE status = 'running' AND started_at < now() - $1::interval`, olderThan.String())
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// ObserverRuns lists the runs of one of ownerID's experiments, newest first.
func (db *DB) ObserverRuns(ctx context.Context, ownerID int64, slug string) ([]ObserverRun, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+runColumns+` WHERE r.experiment_id = $1 ORDER BY r.id DESC`, e.ID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ObserverRun, error) { return scanRun(row) })
}

// ModelTrialSink stores a model participant's answers through the same
// path as a human's.
type ModelTrialSink struct {
	db      *DB
	session Session
	token   string
}

// ModelParticipant describes a model session: its arm and plan seed,
// and the observer (network digest, mechanism, seed of its answers,
// descriptor).
type ModelParticipant struct {
	Arm        int
	PlanSeed   int64
	Network    string
	Mechanism  string
	ModelSeed  int64
	Descriptor string
}

// StartModelSession creates the model participant's session for a run.
func (db *DB) StartModelSession(ctx context.Context, e Experiment, p ModelParticipant) (*ModelTrialSink, error) {
	s, token, err := db.CreateSession(ctx, e, NewSession{
		Kind: experiments.KindModel, ParticipantRef: p.Descriptor, Condition: &p.Arm, Seed: &p.PlanSeed,
		Mechanism: p.Mechanism, ModelSeed: &p.ModelSeed, ModelNetwork: p.Network,
	})
	if err != nil {
		return nil, err
	}
	return &ModelTrialSink{db: db, session: s, token: token}, nil
}

// Session is the model session.
func (m *ModelTrialSink) Session() Session { return m.session }

// Record stores one answer with the model's P(red).
func (m *ModelTrialSink) Record(ctx context.Context, r experiments.Response, pRed float64) error {
	_, err := m.db.RecordTrial(ctx, m.session.ID, m.token, TrialWrite{Response: r, ModelPRed: &pRed})
	return err
}

// Complete marks the model session complete.
func (m *ModelTrialSink) Complete(ctx context.Context) error {
	_, err := m.db.CompleteSession(ctx, m.session.ID, m.token)
	return err
}

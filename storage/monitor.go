package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionSummary is one row of an experiment's session list.
type SessionSummary struct {
	ID             string     `json:"session_id"`
	Version        int        `json:"version"`
	Kind           string     `json:"participant_kind"`
	ParticipantRef string     `json:"participant_id"`
	Condition      int        `json:"condition"`
	Status         string     `json:"status"`
	Preview        bool       `json:"preview"`
	Trials         int        `json:"trials"`
	RefreshHz      *float64   `json:"refresh_hz"`
	Mechanism      *string    `json:"model_mechanism,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	CompletedAt    *time.Time `json:"completed_at"`
}

// ExperimentSessions lists the sessions of one of ownerID's experiments,
// newest first (at most limit).
func (db *DB) ExperimentSessions(ctx context.Context, ownerID int64, slug string, limit int) ([]SessionSummary, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `
		SELECT s.id::text, v.version, s.participant_kind, s.participant_ref, s.condition, s.status, s.preview,
		       (SELECT count(*) FROM trials t WHERE t.session_id = s.id), (s.screen->>'refresh_hz')::float8,
		       s.model_mechanism, s.created_at, s.completed_at
		FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 ORDER BY s.created_at DESC LIMIT $2`, e.ID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (SessionSummary, error) {
		var s SessionSummary
		err := row.Scan(&s.ID, &s.Version, &s.Kind, &s.ParticipantRef, &s.Condition, &s.Status, &s.Preview, &s.Trials,
			&s.RefreshHz, &s.Mechanism, &s.CreatedAt, &s.CompletedAt)
		return s, err
	})
}

// Dashboard is the live overview of an experiment's human sessions.
type Dashboard struct {
	Total int `json:"total"`
	// ByStatus counts sessions per status; ByCondition per arm and status.
	ByStatus    map[string]int         `json:"by_status"`
	ByCondition map[int]map[string]int `json:"by_condition"`
	// CompletionRate is complete / total (0 when there are none).
	CompletionRate float64 `json:"completion_rate"`
	// MedianDurationS is the median time from start to completion.
	MedianDurationS *float64 `json:"median_duration_s"`
	// RefreshRates counts sessions by measured refresh rate (rounded Hz).
	RefreshRates []RefreshCount `json:"refresh_rates"`
	Models       int            `json:"model_sessions"`
	Previews     int            `json:"preview_sessions"`
	LastActivity *time.Time     `json:"last_activity"`
}

// RefreshCount is how many sessions measured a refresh rate.
type RefreshCount struct {
	Hz    int `json:"hz"`
	Count int `json:"count"`
}

// Dashboard summarises one of ownerID's experiments.
func (db *DB) Dashboard(ctx context.Context, ownerID int64, slug string) (Dashboard, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{ByStatus: map[string]int{}, ByCondition: map[int]map[string]int{}, RefreshRates: []RefreshCount{}}
	const scope = `FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 AND s.participant_kind = 'human' AND NOT s.preview`
	rows, err := db.pool.Query(ctx, `SELECT s.condition, s.status, count(*) `+scope+` GROUP BY 1, 2`, e.ID)
	if err != nil {
		return Dashboard{}, err
	}
	for rows.Next() {
		var cond, n int
		var status string
		if err := rows.Scan(&cond, &status, &n); err != nil {
			return Dashboard{}, err
		}
		d.Total += n
		d.ByStatus[status] += n
		if d.ByCondition[cond] == nil {
			d.ByCondition[cond] = map[string]int{}
		}
		d.ByCondition[cond][status] += n
	}
	if err := rows.Err(); err != nil {
		return Dashboard{}, err
	}
	if d.Total > 0 {
		d.CompletionRate = float64(d.ByStatus["complete"]) / float64(d.Total)
	}
	err = db.pool.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.completed_at - s.created_at)),
		max(greatest(s.updated_at, s.created_at)) `+scope, e.ID).Scan(&d.MedianDurationS, &d.LastActivity)
	if err != nil {
		return Dashboard{}, err
	}
	rows, err = db.pool.Query(ctx, `SELECT round((s.screen->>'refresh_hz')::float8)::int AS hz, count(*) `+scope+`
		AND s.screen ? 'refresh_hz' GROUP BY 1 ORDER BY 1`, e.ID)
	if err != nil {
		return Dashboard{}, err
	}
	d.RefreshRates, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RefreshCount])
	if err != nil {
		return Dashboard{}, err
	}
	err = db.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE s.participant_kind = 'model'), count(*) FILTER (WHERE s.preview)
		FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1`, e.ID).Scan(&d.Models, &d.Previews)
	return d, err
}

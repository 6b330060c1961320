package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// Experiment statuses.
const (
	StatusDraft  = "draft"
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Experiment is an experiment with its latest (or a chosen) version.
type Experiment struct {
	ID         int64
	OwnerID    *int64
	Slug       string
	Name       string
	Status     string
	VersionID  int64
	Version    int
	Definition experiments.Definition
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CreateExperiment stores a new experiment with its definition as version 1.
// A slug already taken is a Conflict.
func (db *DB) CreateExperiment(ctx context.Context, ownerID *int64, def experiments.Definition, status string) (Experiment, error) {
	var e Experiment
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		e, err = createExperiment(ctx, tx, ownerID, def, status)
		return err
	})
	return e, err
}

func createExperiment(ctx context.Context, tx pgx.Tx, ownerID *int64, def experiments.Definition, status string) (Experiment, error) {
	defJSON, err := json.Marshal(def)
	if err != nil {
		return Experiment{}, err
	}
	e := Experiment{OwnerID: ownerID, Slug: def.Slug, Name: def.Name, Status: status, Version: 1, Definition: def}
	err = tx.QueryRow(ctx, `
		INSERT INTO experiments (owner_id, slug, name, status) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at, updated_at`, ownerID, def.Slug, def.Name, status).Scan(&e.ID, &e.CreatedAt, &e.UpdatedAt)
	if isUniqueViolation(err, "experiments_slug_key") {
		return Experiment{}, experiments.Errorf(experiments.Conflict, "an experiment with slug %q already exists", def.Slug)
	}
	if err != nil {
		return Experiment{}, fmt.Errorf("creating experiment: %w", err)
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO experiment_versions (experiment_id, version, definition) VALUES ($1, 1, $2)
		RETURNING id`, e.ID, defJSON).Scan(&e.VersionID)
	if err != nil {
		return Experiment{}, fmt.Errorf("creating experiment version: %w", err)
	}
	return e, nil
}

// experimentFields and experimentFrom select an experiment with its latest
// version; scan with scanExperiment.
const (
	experimentFields = `e.id, e.owner_id, e.slug, e.name, e.status, v.id, v.version, v.definition, e.created_at, e.updated_at`
	experimentFrom   = ` FROM experiments e
	JOIN LATERAL (SELECT id, version, definition FROM experiment_versions
	              WHERE experiment_id = e.id ORDER BY version DESC LIMIT 1) v ON true`
	experimentColumns = experimentFields + experimentFrom
)

func scanExperiment(row pgx.Row) (Experiment, error) {
	var e Experiment
	var def []byte
	if err := row.Scan(&e.ID, &e.OwnerID, &e.Slug, &e.Name, &e.Status, &e.VersionID, &e.Version, &def, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return Experiment{}, err
	}
	if err := json.Unmarshal(def, &e.Definition); err != nil {
		return Experiment{}, fmt.Errorf("experiment %s version %d: stored definition unreadable: %w", e.Slug, e.Version, err)
	}
	// Versions are stored with their defaults filled; a field added since
	// gets its default here, as NewPlan would give it.
	e.Definition = e.Definition.WithDefaults()
	return e, nil
}

// ExperimentBySlug returns an experiment with its latest version.
func (db *DB) ExperimentBySlug(ctx context.Context, slug string) (Experiment, error) {
	if !experiments.IsSlug(slug) {
		return Experiment{}, experiments.Errorf(experiments.NotFound, "no experiment %q", slug)
	}
	e, err := scanExperiment(db.pool.QueryRow(ctx, `SELECT `+experimentColumns+` WHERE e.slug = $1`, slug))
	if isNoRows(err) {
		return Experiment{}, experiments.Errorf(experiments.NotFound, "no experiment %q", slug)
	}
	return e, err
}

// OpenStudy is the experiment a study link points at; a study that does
// not exist or is not open is NotFound to participants.
func (db *DB) OpenStudy(ctx context.Context, slug string) (Experiment, error) {
	e, err := db.ExperimentBySlug(ctx, slug)
	if err != nil {
		return Experiment{}, err
	}
	if e.Status != StatusOpen {
		return Experiment{}, experiments.Errorf(experiments.NotFound, "study %q is not open", slug)
	}
	return e, nil
}

// EnsureDemoStudies publishes the built-in definitions as open studies,
// each only if its slug is free: a study a researcher has since changed or
// closed is left alone. They have no owner until the first researcher
// account claims them. It returns how many it created.
func (db *DB) EnsureDemoStudies(ctx context.Context, defs []experiments.Definition) (int, error) {
	created := 0
	for _, def := range defs {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var exists bool
			// Serialise with other replicas publishing at the same time.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, demoLockKey); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM experiments WHERE slug = $1)`, def.Slug).Scan(&exists); err != nil || exists {
				return err
			}
			if _, err := createExperiment(ctx, tx, nil, def, StatusOpen); err != nil {
				return err
			}
			created++
			return nil
		})
		if err != nil {
			return created, fmt.Errorf("publishing demo study %q: %w", def.Slug, err)
		}
	}
	return created, nil
}

const demoLockKey int64 = 0x4d6344656d6f // "McDemo"

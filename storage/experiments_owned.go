package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// ExperimentSummary is a row of a researcher's experiment list.
type ExperimentSummary struct {
	Experiment
	Sessions  int
	Completed int
}

// CreateOwnedExperiment validates def (resolving a pair_id against the
// owner's pairs) and stores it as a draft.
func (db *DB) CreateOwnedExperiment(ctx context.Context, ownerID int64, def experiments.Definition) (Experiment, error) {
	def, pairID, err := db.resolvePair(ctx, ownerID, def)
	if err != nil {
		return Experiment{}, err
	}
	var e Experiment
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = createExperiment(ctx, tx, &ownerID, def, StatusDraft); err != nil {
			return err
		}
		if pairID != nil {
			_, err = tx.Exec(ctx, `UPDATE experiments SET pair_id = $2 WHERE id = $1`, e.ID, *pairID)
		}
		return err
	})
	return e, err
}

// resolvePair replaces a definition's pair_id by the owner's stored
// patterns, then validates the whole definition.
func (db *DB) resolvePair(ctx context.Context, ownerID int64, def experiments.Definition) (experiments.Definition, *int64, error) {
	var pairID *int64
	if def.PairID != nil {
		id := *def.PairID
		p, err := db.Pair(ctx, ownerID, id)
		if err != nil {
			return def, nil, experiments.InvalidFields(fieldError("pair_id", "no pattern pair %d among yours", id))
		}
		def = def.WithPair(experiments.Pair{A: p.A, B: p.B})
		pairID = &id
	}
	def = def.WithDefaults()
	if errs := def.Validate(); len(errs) > 0 {
		return def, nil, experiments.InvalidFields(errs)
	}
	return def, pairID, nil
}

// OwnedExperiment is one of ownerID's experiments with its latest version;
// another researcher's is NotFound, as if it did not exist.
func (db *DB) OwnedExperiment(ctx context.Context, ownerID int64, slug string) (Experiment, error) {
	if !experiments.IsSlug(slug) {
		return Experiment{}, experiments.Errorf(experiments.NotFound, "no experiment %q", slug)
	}
	e, err := scanExperiment(db.pool.QueryRow(ctx, `SELECT `+experimentColumns+` WHERE e.slug = $1 AND e.owner_id = $2`, slug, ownerID))
	if isNoRows(err) {
		return Experiment{}, experiments.Errorf(experiments.NotFound, "no experiment %q", slug)
	}
	return e, err
}

// Experiments lists ownerID's experiments, newest first, with session counts.
func (db *DB) Experiments(ctx context.Context, ownerID int64) ([]ExperimentSummary, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+experimentFields+`,
		(SELECT count(*) FROM sessions s JOIN experiment_versions ev ON ev.id = s.experiment_version_id
		 WHERE ev.experiment_id = e.id AND s.participant_kind = 'human' AND NOT s.preview),
		(SELECT count(*) FROM sessions s JOIN experiment_versions ev ON ev.id = s.experiment_version_id
		 WHERE ev.experiment_id = e.id AND s.participant_kind = 'human' AND NOT s.preview AND s.status = 'complete')
		`+experimentFrom+` WHERE e.owner_id = $1 ORDER BY e.id DESC`, ownerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ExperimentSummary, error) {
		var s ExperimentSummary
		var def []byte
		err := row.Scan(&s.ID, &s.OwnerID, &s.Slug, &s.Name, &s.Status, &s.VersionID, &s.Version, &def,
			&s.CreatedAt, &s.UpdatedAt, &s.Sessions, &s.Completed)
		if err == nil {
			err = json.Unmarshal(def, &s.Definition)
			s.Definition = s.Definition.WithDefaults()
		}
		return s, err
	})
}

// SaveDefinition replaces an experiment's definition. When participants'
// sessions have run on the latest version, it is kept and a new version is
// created (newVersion = true); otherwise the latest version is edited in
// place. Preview sessions do not count: they are the researcher trying the
// study, not data (one in progress keeps its stored plan). The slug cannot
// change: study links point at it.
func (db *DB) SaveDefinition(ctx context.Context, ownerID int64, slug string, def experiments.Definition) (e Experiment, newVersion bool, err error) {
	if def.Slug != slug {
		return Experiment{}, false, experiments.InvalidFields(fieldError("slug", "cannot change (study links use it): it is %q", slug))
	}
	def, pairID, err := db.resolvePair(ctx, ownerID, def)
	if err != nil {
		return Experiment{}, false, err
	}
	defJSON, err := json.Marshal(def)
	if err != nil {
		return Experiment{}, false, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var id, versionID int64
		var version int
		var used bool
		err := tx.QueryRow(ctx, `
			SELECT e.id, v.id, v.version, EXISTS (SELECT 1 FROM sessions s WHERE s.experiment_version_id = v.id AND NOT s.preview)
			FROM experiments e
			JOIN LATERAL (SELECT id, version FROM experiment_versions WHERE experiment_id = e.id ORDER BY version DESC LIMIT 1) v ON true
			WHERE e.slug = $1 AND e.owner_id = $2 FOR UPDATE OF e`, slug, ownerID).Scan(&id, &versionID, &version, &used)
		if isNoRows(err) {
			return experiments.Errorf(experiments.NotFound, "no experiment %q", slug)
		}
		if err != nil {
			return err
		}
		if used {
			newVersion = true
			_, err = tx.Exec(ctx, `INSERT INTO experiment_versions (experiment_id, version, definition) VALUES ($1, $2, $3)`,
				id, version+1, defJSON)
		} else {
			_, err = tx.Exec(ctx, `UPDATE experiment_versions SET definition = $2, created_at = now() WHERE id = $1`, versionID, defJSON)
		}
		if err != nil {
			return fmt.Errorf("saving definition: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE experiments SET name = $2, pair_id = coalesce($3, pair_id), updated_at = now() WHERE id = $1`,
			id, def.Name, pairID)
		return err
	})
	if err != nil {
		return Experiment{}, false, err
	}
	e, err = db.OwnedExperiment(ctx, ownerID, slug)
	return e, newVersion, err
}

// statusMoves are the allowed status changes: a study opens, closes and
// may reopen; once open it never returns to draft.
var statusMoves = map[string][]string{
	StatusDraft:  {StatusOpen},
	StatusOpen:   {StatusClosed},
	StatusClosed: {StatusOpen},
}

// SetStatus moves an experiment to status.
func (db *DB) SetStatus(ctx context.Context, ownerID int64, slug, status string) (Experiment, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return Experiment{}, err
	}
	if _, known := statusMoves[status]; !known {
		return Experiment{}, experiments.InvalidFields(fieldError("status", "must be draft, open or closed"))
	}
	if status == e.Status {
		return e, nil
	}
	allowed := false
	for _, s := range statusMoves[e.Status] {
		allowed = allowed || s == status
	}
	if !allowed {
		return Experiment{}, experiments.Errorf(experiments.Conflict, "an experiment cannot go from %s to %s", e.Status, status)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE experiments SET status = $3, updated_at = now() WHERE id = $1 AND status = $2`, e.ID, e.Status, status)
	if err != nil {
		return Experiment{}, err
	}
	if tag.RowsAffected() == 0 {
		return Experiment{}, experiments.Errorf(experiments.Conflict, "the experiment's status changed meanwhile; reload")
	}
	return db.OwnedExperiment(ctx, ownerID, slug)
}

// Version is one immutable version of an experiment.
type Version struct {
	Version    int                    `json:"version"`
	Definition experiments.Definition `json:"definition"`
	CreatedAt  time.Time              `json:"created_at"`
	// Sessions counts the participants' sessions (not previews).
	Sessions int `json:"sessions"`
}

// Versions lists an experiment's versions, newest first.
func (db *DB) Versions(ctx context.Context, ownerID int64, slug string) ([]Version, error) {
	e, err := db.OwnedExperiment(ctx, ownerID, slug)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `
		SELECT v.version, v.definition, v.created_at, (SELECT count(*) FROM sessions s WHERE s.experiment_version_id = v.id AND NOT s.preview)
		FROM experiment_versions v WHERE v.experiment_id = $1 ORDER BY v.version DESC`, e.ID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Version, error) {
		var v Version
		var def []byte
		err := row.Scan(&v.Version, &def, &v.CreatedAt, &v.Sessions)
		if err == nil {
			err = json.Unmarshal(def, &v.Definition)
			v.Definition = v.Definition.WithDefaults()
		}
		return v, err
	})
}

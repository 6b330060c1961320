package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// Pair is a stored pattern pair.
type Pair struct {
	ID      int64
	OwnerID int64
	experiments.PatternPair
	CreatedAt time.Time
	UpdatedAt time.Time
	// InUse counts the experiments made from the pair.
	InUse int
}

const pairColumns = `p.id, p.owner_id, p.name, p.spec, p.created_at, p.updated_at,
	(SELECT count(*) FROM experiments e WHERE e.pair_id = p.id)`

func scanPair(row pgx.Row) (Pair, error) {
	var p Pair
	var spec []byte
	if err := row.Scan(&p.ID, &p.OwnerID, &p.Name, &spec, &p.CreatedAt, &p.UpdatedAt, &p.InUse); err != nil {
		return Pair{}, err
	}
	name := p.Name
	if err := json.Unmarshal(spec, &p.PatternPair); err != nil {
		return Pair{}, fmt.Errorf("pair %d: stored spec unreadable: %w", p.ID, err)
	}
	p.Name = name
	return p, nil
}

// CreatePair stores a new pair owned by ownerID.
func (db *DB) CreatePair(ctx context.Context, ownerID int64, pp experiments.PatternPair) (Pair, error) {
	spec, err := json.Marshal(pp)
	if err != nil {
		return Pair{}, err
	}
	var id int64
	if err := db.pool.QueryRow(ctx, `INSERT INTO pattern_pairs (owner_id, name, spec) VALUES ($1, $2, $3) RETURNING id`,
		ownerID, pp.Name, spec).Scan(&id); err != nil {
		return Pair{}, fmt.Errorf("creating pair: %w", err)
	}
	return db.Pair(ctx, ownerID, id)
}

// Pair returns one of ownerID's pairs; another researcher's is NotFound.
func (db *DB) Pair(ctx context.Context, ownerID, id int64) (Pair, error) {
	p, err := scanPair(db.pool.QueryRow(ctx, `SELECT `+pairColumns+` FROM pattern_pairs p WHERE p.id = $1 AND p.owner_id = $2`, id, ownerID))
	if isNoRows(err) {
		return Pair{}, experiments.Errorf(experiments.NotFound, "no pattern pair %d", id)
	}
	return p, err
}

// Pairs lists ownerID's pairs, newest first.
func (db *DB) Pairs(ctx context.Context, ownerID int64) ([]Pair, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+pairColumns+` FROM pattern_pairs p WHERE p.owner_id = $1 ORDER BY p.id DESC`, ownerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Pair, error) { return scanPair(row) })
}

// UpdatePair replaces a pair's name and spec. Experiments made from it keep
// the patterns they were made with (their versions are immutable).
func (db *DB) UpdatePair(ctx context.Context, ownerID, id int64, pp experiments.PatternPair) (Pair, error) {
	spec, err := json.Marshal(pp)
	if err != nil {
		return Pair{}, err
	}
	tag, err := db.pool.Exec(ctx, `UPDATE pattern_pairs SET name = $3, spec = $4, updated_at = now() WHERE id = $1 AND owner_id = $2`,
		id, ownerID, pp.Name, spec)
	if err != nil {
		return Pair{}, fmt.Errorf("updating pair: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Pair{}, experiments.Errorf(experiments.NotFound, "no pattern pair %d", id)
	}
	return db.Pair(ctx, ownerID, id)
}

// DeletePair deletes a pair no experiment was made from.
func (db *DB) DeletePair(ctx context.Context, ownerID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM pattern_pairs WHERE id = $1 AND owner_id = $2`, id, ownerID)
	if isForeignKeyViolation(err) {
		return experiments.Errorf(experiments.Conflict, "pattern pair %d is used by an experiment and cannot be deleted", id)
	}
	if err != nil {
		return fmt.Errorf("deleting pair: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return experiments.Errorf(experiments.NotFound, "no pattern pair %d", id)
	}
	return nil
}

package storage

import (
	"context"
	"log/slog"
)

// ApplyMigrations exposes apply to the tests of other migration sets.
func (db *DB) ApplyMigrations(ctx context.Context, ms []Migration, log *slog.Logger) (int, error) {
	return db.apply(ctx, ms, log)
}

// TrialRow exposes the stored form of an answer to the batch tests.
type TrialRow = trialRow

// StoreTrialBatch stores rows as one batch and returns, for each, whether
// it was stored and its error.
func (db *DB) StoreTrialBatch(rows []TrialRow) ([]bool, []error) {
	batch := make([]*pendingTrial, len(rows))
	for i, r := range rows {
		batch[i] = &pendingTrial{row: r, done: make(chan struct{})}
	}
	db.trials.store(batch)
	inserted, errs := make([]bool, len(rows)), make([]error, len(rows))
	for i, p := range batch {
		<-p.done
		inserted[i], errs[i] = p.inserted, p.err
	}
	return inserted, errs
}

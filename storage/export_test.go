package storage

import (
	"context"
	"log/slog"
)

// ApplyMigrations exposes apply to the tests of other migration sets.
func (db *DB) ApplyMigrations(ctx context.Context, ms []Migration, log *slog.Logger) (int, error) {
	return db.apply(ctx, ms, log)
}

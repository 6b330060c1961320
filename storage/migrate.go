package storage

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/migrations"
)

// migrationLockKey is the advisory lock that serialises migrations, so two
// replicas starting together don't both apply the same file.
const migrationLockKey int64 = 0x4d63436f6c6c6f75 // "McCollou"

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNNN_name.sql files from fsys, in version order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(path.Base(name), ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the embedded migrations that the database lacks, each in
// its own transaction, and returns how many it applied.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (int, error) {
	ms, err := LoadMigrations(migrations.FS)
	if err != nil {
		return 0, err
	}
	return db.apply(ctx, ms, log)
}

// apply runs each missing migration in a transaction of its own that first
// takes the migration lock, so replicas starting together apply each file
// once. The lock is transaction-scoped (pg_advisory_xact_lock): a session
// lock would be taken on one server connection and released on another
// behind a transaction-pooling PgBouncer.
func (db *DB) apply(ctx context.Context, ms []Migration, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var applied map[int]bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		applied, err = lockMigrations(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	n := 0
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		ran := false
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			// Another replica may have applied it since we looked.
			now, err := lockMigrations(ctx, tx)
			if err != nil || now[m.Version] {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			ran = err == nil
			return err
		})
		if err != nil {
			return n, fmt.Errorf("migration %04d_%s failed: %w", m.Version, m.Name, err)
		}
		if ran {
			log.Info("applied migration", "version", m.Version, "name", m.Name)
			n++
		}
	}
	return n, nil
}

// lockMigrations takes the migration lock for tx's lifetime, creates the
// bookkeeping table on first use, and returns the versions applied.
func lockMigrations(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    int PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, err
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

package storage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/migrations"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t) // already migrated once from the template
	ctx := context.Background()
	before := schemaFingerprint(t, sql)
	for i := range 2 {
		n, err := db.Migrate(ctx, nil)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if n != 0 {
			t.Fatalf("run %d applied %d migrations to an up-to-date database", i, n)
		}
	}
	if after := schemaFingerprint(t, sql); after != before {
		t.Fatalf("schema changed by a repeated migrate:\nbefore %s\nafter  %s", before, after)
	}
	ms, err := storage.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int
	if err := sql.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", recorded, len(ms))
	}
}

func TestMigrateFromEmptyConcurrently(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	// Empty the database, then let several "replicas" migrate it at once.
	if _, err := sql.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range applied {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx, nil) })
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		total += applied[i]
	}
	ms, _ := storage.LoadMigrations(migrations.FS)
	if total != len(ms) {
		t.Fatalf("replicas applied %d migrations in all, want each of %d exactly once", total, len(ms))
	}
	for _, table := range []string{"researchers", "api_tokens", "pattern_pairs", "experiments",
		"experiment_versions", "sessions", "trials", "events", "observer_runs"} {
		var exists bool
		if err := sql.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing after migrate (%v)", table, err)
		}
	}
}

func TestFailedMigrationIsRolledBack(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"9001_ok.sql":     {Data: []byte(`CREATE TABLE ok_table (n int);`)},
		"9002_broken.sql": {Data: []byte(`CREATE TABLE half_done (n int); SELECT no_such_function();`)},
	}
	ms, err := storage.LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.ApplyMigrations(ctx, ms, nil)
	if err == nil || !strings.Contains(err.Error(), "9002_broken") {
		t.Fatalf("got %v, want an error naming the broken migration", err)
	}
	if n != 1 {
		t.Fatalf("applied %d, want 1 before the broken one", n)
	}
	var halfDone bool
	_ = sql.QueryRow(ctx, `SELECT to_regclass('half_done') IS NOT NULL`).Scan(&halfDone)
	if halfDone {
		t.Fatal("a failed migration left a table behind: it must run in one transaction")
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no number":      {"core.sql": {}},
		"duplicate":      {"0001_a.sql": {}, "0001_b.sql": {}},
		"zero":           {"0000_a.sql": {}},
		"not a number":   {"x001_a.sql": {}},
		"missing suffix": {"0001.sql": {}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := storage.LoadMigrations(fsys); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// schemaFingerprint lists every column of the public schema.
func schemaFingerprint(t *testing.T, sql *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := sql.QueryRow(context.Background(), `
		SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public'`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

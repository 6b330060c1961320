package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/migrations"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// openPooled opens the test's database through its own PgBouncer
// (transaction pooling, poolSize server connections).
// sql is the test's own pool through the same PgBouncer.
func openPooled(t *testing.T, poolSize int) (db *storage.DB, sql *pgxpool.Pool) {
	t.Helper()
	url := pgtest.NewPooledURL(t, poolSize)
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, pgtest.SQL(t, url)
}

// TestOpenChoosesTheQueryModeForTheRoute: named prepared statements
// straight to PostgreSQL, none through a pooler, and the URL's own settings
// win.
func TestOpenChoosesTheQueryModeForTheRoute(t *testing.T) {
	direct, pooled := pgtest.NewURL(t), pgtest.NewPooledURL(t, 2)
	ctx := context.Background()
	for _, c := range []struct {
		name, url string
		mode      pgx.QueryExecMode
		maxConns  int32
	}{
		{"direct", direct, pgx.QueryExecModeCacheStatement, 32},
		{"pooled", pooled, pgx.QueryExecModeCacheDescribe, 32},
		{"direct, set in the URL", direct + "&default_query_exec_mode=exec&pool_max_conns=5", pgx.QueryExecModeExec, 5},
		{"pooled, set in the URL", pooled + "&default_query_exec_mode=describe_exec", pgx.QueryExecModeDescribeExec, 32},
	} {
		db, err := storage.Open(ctx, c.url)
		if err != nil {
			t.Fatal(err)
		}
		mode, maxConns := db.QueryExecMode(), db.MaxConns()
		db.Close()
		if mode != c.mode.String() || maxConns != c.maxConns {
			t.Errorf("%s: mode %v, max conns %d; want %v, %d", c.name, mode, maxConns, c.mode, c.maxConns)
		}
	}
}

// TestMigrateThroughPgBouncer: replicas starting together behind a
// transaction-pooling PgBouncer apply each migration once. (With a
// session-level advisory lock, the unlock could run on another server
// connection than the lock, and the next replica would wait forever.)
func TestMigrateThroughPgBouncer(t *testing.T) {
	db, sql := openPooled(t, 2)
	ctx := context.Background()
	if _, err := sql.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	applied := make([]int, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
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
	if n, err := db.Migrate(ctx, nil); err != nil || n != 0 {
		t.Fatalf("migrating again: %d applied, %v", n, err)
	}
}

// TestWithLockThroughPgBouncer: while one caller holds a lock, the lock is
// held in PostgreSQL (another connection cannot take it) and other callers
// wait; they run one after another, and a failure is the caller's.
func TestWithLockThroughPgBouncer(t *testing.T) {
	db, sql := openPooled(t, 2)
	ctx := context.Background()
	const key = "observer-model:test"
	heldElsewhere := func() bool {
		var free bool
		err := pgx.BeginFunc(ctx, sql, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, key).Scan(&free)
		})
		if err != nil {
			t.Fatal(err)
		}
		return !free
	}
	var mu sync.Mutex
	var trace []string
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c"} {
		wg.Go(func() {
			err := db.WithLock(ctx, key, func(ctx context.Context) error {
				mu.Lock()
				trace = append(trace, name+"+")
				mu.Unlock()
				if !heldElsewhere() {
					t.Errorf("%s holds the lock, but another connection could take it", name)
				}
				mu.Lock()
				trace = append(trace, name+"-")
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := 0; i < len(trace); i += 2 {
		if trace[i][:1] != trace[i+1][:1] {
			t.Fatalf("holders overlapped: %v", trace)
		}
	}
	if len(trace) != 6 {
		t.Fatalf("trace %v, want three holders in turn", trace)
	}
	if heldElsewhere() {
		t.Fatal("the lock is still held after every holder returned")
	}
	boom := errors.New("boom")
	if err := db.WithLock(ctx, key, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("WithLock returned %v, want fn's error", err)
	}
	if heldElsewhere() {
		t.Fatal("the lock is still held after fn failed")
	}
}

// TestExportThroughPgBouncer: COPY … TO STDOUT works through the pooler.
func TestExportThroughPgBouncer(t *testing.T) {
	db, sql := openPooled(t, 2)
	id := seedTrials(t, db, sql, 300)
	var out strings.Builder
	if err := db.ExportCSV(context.Background(), id, storage.ExportFilter{}, &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 301 {
		t.Fatalf("%d lines, want a header and 300 rows", lines)
	}
}

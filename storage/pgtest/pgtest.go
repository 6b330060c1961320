// Package pgtest gives tests a real PostgreSQL: one throwaway server per test
// binary (or the server at TEST_DATABASE_URL), and a fresh, migrated database
// per test, cloned from a template so each costs milliseconds. Tests never
// mock the database.
//
// A package using it calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/localpg"
)

var (
	once     sync.Once
	server   *localpg.Cluster
	tempDir  string
	adminURL string // a database on the server we may CREATE DATABASE from
	template string // the migrated template database
	setupErr error
	counter  atomic.Int64
	createMu sync.Mutex // CREATE DATABASE ... TEMPLATE refuses concurrent use of the template
)

// Main runs the package's tests, then stops the server it started.
func Main(m *testing.M) int {
	code := m.Run()
	if server != nil {
		if err := server.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	if tempDir != "" {
		os.RemoveAll(tempDir)
	}
	return code
}

// Server returns the admin URL of the shared test server, starting it if
// needed (for tests of whole programs that need their own database).
func Server(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("pgtest: no PostgreSQL for tests: %v", setupErr)
	}
	return adminURL
}

// NewURL creates a fresh, migrated database and returns its URL; it is
// dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	return withDatabase(adminURL, newDatabase(t))
}

// NewPooledURL creates a fresh, migrated database and returns its URL
// through a PgBouncer of the test's own, in transaction pooling mode with
// poolSize server connections: a client's consecutive transactions may run
// on different server connections, so anything that relies on
// connection-level state (named prepared statements, session advisory
// locks, SET) fails in the test as it would in production behind a pooler.
// A missing pgbouncer is a failure, not a skip.
func NewPooledURL(t testing.TB, poolSize int) string {
	t.Helper()
	name := newDatabase(t)
	dir, err := os.MkdirTemp("", "mccollough-pgbouncer-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	b, err := localpg.StartBouncer(context.Background(), localpg.BouncerOptions{
		Dir: dir, Server: adminURL, PoolSize: poolSize, DieWithParent: true,
	})
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		_ = b.Stop()
		os.RemoveAll(dir)
	})
	return b.URL(name)
}

// newDatabase creates a fresh, migrated database, dropped when the test
// ends, and returns its name.
func newDatabase(t testing.TB) string {
	t.Helper()
	Server(t)
	ctx := context.Background()
	name := fmt.Sprintf("%s_%d", template, counter.Add(1))
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	createMu.Lock()
	_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template))
	createMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return name
}

// New returns a connection pool on a fresh, migrated database of the
// test's own, closed when the test ends.
func New(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), NewURL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// NewWithSQL is New plus a pgx pool of the test's own on the same
// database: for the SQL a test writes itself, to put the database in a
// state no API reaches or to read back exactly what was stored. storage.DB
// keeps its pool to itself, so such SQL never leaks into the platform.
func NewWithSQL(t testing.TB) (*storage.DB, *pgxpool.Pool) {
	t.Helper()
	url := NewURL(t)
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(db.Close)
	return db, SQL(t, url)
}

// SQL opens a pgx pool on the database at url (direct or through a
// pooler) for the test's own SQL, closed when the test ends. It prepares
// no named statements, so it works through a transaction-pooling PgBouncer.
func SQL(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func setup() {
	ctx := context.Background()
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		tempDir, setupErr = os.MkdirTemp("", "mccollough-pgtest-")
		if setupErr != nil {
			return
		}
		server, setupErr = localpg.Start(ctx, localpg.Options{
			DataDir:       tempDir,
			NoSync:        true,
			DieWithParent: true,
			Settings: map[string]string{
				"fsync":              "off",
				"synchronous_commit": "off",
				"full_page_writes":   "off",
				"max_connections":    "300",
				"shared_buffers":     "64MB",
			},
		})
		if setupErr != nil {
			return
		}
		adminURL = server.AdminURL()
	}
	template = fmt.Sprintf("mcc_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	setupErr = createTemplate(ctx)
}

func createTemplate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("creating template database: %w", err)
	}
	conn.Close(ctx)
	db, err := storage.Open(ctx, withDatabase(adminURL, template))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		return err
	}
	return nil
}

func withDatabase(rawURL, db string) string {
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		// A keyword/value DSN: append the dbname, the last one wins.
		return rawURL + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}

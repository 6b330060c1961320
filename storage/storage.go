// Package storage keeps the platform's state in PostgreSQL with plain SQL
// through pgx. The server holds no state of its own, so any number of
// replicas can share one database.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the platform's database.
type DB struct {
	// pool is unexported: callers go through DB's methods, so every query has
	// one home here (tests get their own pool from storage/pgtest).
	pool *pgxpool.Pool
	// plans caches sessions' immutable plans, so recording a trial costs one
	// round trip.
	plans *planCache
	// trials stores answers in batches (trialbatch.go).
	trials *trialBatcher
	// creating holds a *sync.Mutex per experiment id (lockExperiment).
	creating sync.Map
	// planning holds a chan struct{} of plan-building slots per
	// experiment id (planSlot).
	planning sync.Map
	// hashing bounds the password hashes computed at once (passwords.go).
	hashing passwordHashing
}

// Open connects to the database at url and checks that it answers.
//
// The URL may be PostgreSQL's own or a connection pooler's (PgBouncer in
// transaction pooling mode): no query relies on connection-level state, and
// the query execution mode is chosen for the route (execmode.go). The URL's
// pool_max_conns and default_query_exec_mode settings, when given, win.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %w", redact(err))
	}
	if !hasSetting(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !hasSetting(url, "default_query_exec_mode") {
		mode, err := detectExecMode(pingCtx, cfg.ConnConfig)
		if err != nil {
			return nil, fmt.Errorf("cannot reach the database at %s: %w", describeHost(cfg), redact(err))
		}
		cfg.ConnConfig.DefaultQueryExecMode = mode
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", redact(err))
	}
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach the database at %s: %w", describeHost(cfg), redact(err))
	}
	return &DB{pool: pool, plans: newPlanCache(planCacheBytes), trials: newTrialBatcher(pool), hashing: newPasswordHashing()}, nil
}

// QueryExecMode is the pgx query execution mode in use (for the log).
func (db *DB) QueryExecMode() string {
	return db.pool.Config().ConnConfig.DefaultQueryExecMode.String()
}

// MaxConns is the most connections this replica's pool opens (for the log
// and the pool-sizing rule in the README).
func (db *DB) MaxConns() int32 { return db.pool.Config().MaxConns }

// defaultMaxConns is each replica's pool size unless the URL sets
// pool_max_conns: pgxpool's default (4 per CPU) is 8 on a small server, too
// few for bursts.
const defaultMaxConns = 32

// hasSetting reports whether a connection string (URL or keyword/value
// form) sets name.
func hasSetting(connString, name string) bool {
	if u, err := neturl.Parse(connString); err == nil && strings.HasPrefix(u.Scheme, "postgres") {
		return u.Query().Has(name)
	}
	return regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(name) + `\s*=`).MatchString(connString)
}

// Close stops storing answers and releases all connections.
func (db *DB) Close() {
	db.trials.close()
	db.pool.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

func describeHost(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s/%s", net.JoinHostPort(cfg.ConnConfig.Host, fmt.Sprint(cfg.ConnConfig.Port)), cfg.ConnConfig.Database)
}

// redact keeps the message of a connection error but not the URL (which may
// hold a password) that pgx sometimes repeats in it.
func redact(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errors.New(oneLine(ce.Unwrap().Error()))
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("cannot parse the connection string")
	}
	return err
}

// oneLine joins the distinct lines of a multi-line message (pgx reports one
// line per address tried).
func oneLine(msg string) string {
	var parts []string
	seen := map[string]bool{}
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !seen[line] {
			seen[line] = true
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/localpg"
)

// dbFlags are the flags every command that touches the database shares.
type dbFlags struct {
	dataDir     string
	databaseURL string
	logLevel    string
}

func (f *dbFlags) register(fs *flag.FlagSet, env *environment) {
	fs.StringVar(&f.dataDir, "data", envOr(env, "MCCOLLOUGH_DATA", "./data"),
		"data folder holding the private PostgreSQL cluster `dir` (env MCCOLLOUGH_DATA)")
	fs.StringVar(&f.databaseURL, "database-url", env.getenv("DATABASE_URL"),
		"PostgreSQL connection `URL`; when set, no private server is started (env DATABASE_URL)")
	fs.StringVar(&f.logLevel, "log-level", envOr(env, "LOG_LEVEL", "info"), "log `level`: debug, info, warn, error (env LOG_LEVEL)")
}

func (f *dbFlags) logger(env *environment) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usageError{fmt.Sprintf("invalid --log-level %q (debug, info, warn, error)", f.logLevel)}
	}
	return slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level})), nil
}

// open is what every database command starts with: its logger, and the
// database (up to date) that the flags point at.
func (f *dbFlags) open(ctx context.Context, env *environment) (*database, *slog.Logger, error) {
	log, err := f.logger(env)
	if err != nil {
		return nil, nil, err
	}
	d, err := f.openDatabase(ctx, log)
	return d, log, err
}

// database is an open database and, when the platform runs its own, the
// local cluster behind it.
type database struct {
	*storage.DB
	cluster *localpg.Cluster
}

// openDatabase connects to DATABASE_URL, or else starts (or joins) the
// private cluster in the data folder, and brings the schema up to date.
func (f *dbFlags) openDatabase(ctx context.Context, log *slog.Logger) (*database, error) {
	d := &database{}
	url := f.databaseURL
	if url == "" {
		cluster, err := localpg.Start(ctx, localpg.Options{DataDir: f.dataDir, Logger: log})
		if err != nil {
			return nil, err
		}
		d.cluster = cluster
		url = cluster.URL()
	}
	db, err := storage.Open(ctx, url)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.DB = db
	// cache_describe means a pooler or proxy was detected (no named statements).
	log.Debug("connected to the database", "query_exec_mode", db.QueryExecMode(), "max_conns", db.MaxConns())
	if _, err := db.Migrate(ctx, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close disconnects, then stops the private cluster if this process owns it.
func (d *database) Close() {
	if d.DB != nil {
		d.DB.Close()
	}
	if d.cluster != nil {
		_ = d.cluster.Stop(context.Background())
	}
}

func envOr(env *environment, key, def string) string {
	if v := strings.TrimSpace(env.getenv(key)); v != "" {
		return v
	}
	return def
}

// parseFlags parses args, turning flag errors into usage errors; --help
// prints the flags and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, env *environment, args []string) error {
	fs.SetOutput(env.stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func newFlagSet(name, about string, env *environment) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(env.stdout, "Usage: mccollough %s [flags]\n\n%s\n\nFlags:\n", name, about)
		fs.SetOutput(env.stdout)
		fs.PrintDefaults()
	}
	return fs
}

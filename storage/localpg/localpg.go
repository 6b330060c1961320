// Package localpg runs a private PostgreSQL cluster inside the platform's data
// folder, so that `mccollough serve` works on a fresh machine with nothing but
// the PostgreSQL binaries installed.
//
// Several mccollough processes may share one data folder: the first to need
// the cluster starts it and is its owner (it stops it when it exits); the
// others find it running and connect to it. A cluster left running by an
// owner that died (SIGKILL) is adopted by the next process.
package localpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Names of the files localpg keeps in the data folder.
const (
	clusterSubdir = "postgres"          // the cluster (PGDATA)
	passwordFile  = "postgres.password" // the superuser's password, 0600
	ownerFile     = "postgres.owner"    // pid of the process that will stop the cluster
	logFile       = "postgres.log"      // the server's own log
	lockFile      = ".localpg.lock"     // serialises start/adopt decisions
	superuser     = "mccollough"
)

// Options configure a local cluster.
type Options struct {
	// DataDir is the platform's data folder; the cluster lives in DataDir/postgres.
	DataDir string
	// BinDir holds initdb and postgres; found with FindBinDir when empty.
	BinDir string
	// Database is created on first start and is the one URL() points at.
	Database string
	// Settings are extra server settings (-c name=value), e.g. fsync=off in tests.
	Settings map[string]string
	// NoSync makes initdb skip fsync (throwaway test clusters).
	NoSync bool
	// Logger receives one line per lifecycle event; nil discards them.
	Logger *slog.Logger
	// DieWithParent makes the kernel stop the server if this process dies
	// (throwaway test clusters; Linux only).
	DieWithParent bool
	// Port pins the loopback port; 0 picks a free one at each start.
	Port int
}

// Cluster is a running local PostgreSQL server.
type Cluster struct {
	opts     Options
	dir      string // PGDATA
	port     int
	password string
	pid      int
	child    *exec.Cmd // set when this process started the server
	exited   chan struct{}
	owner    bool
}

// Start makes sure the cluster in opts.DataDir exists and runs, and returns
// it. The caller must call Stop when done; Stop shuts the server down only if
// this process started or adopted it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Database == "" {
		opts.Database = "mccollough"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data folder %q: %w", opts.DataDir, err)
	}
	opts.DataDir = dataDir
	if err := prepareDataDir(dataDir); err != nil {
		return nil, err
	}
	unlock, err := lockDir(filepath.Join(dataDir, lockFile))
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Cluster{opts: opts, dir: filepath.Join(dataDir, clusterSubdir)}
	if err := c.ensureInitialised(ctx); err != nil {
		return nil, err
	}
	if err := c.attachOrStart(ctx); err != nil {
		return nil, err
	}
	if err := c.ensureDatabase(ctx); err != nil {
		c.Stop(context.Background())
		return nil, err
	}
	return c, nil
}

// URL is the connection string of the cluster's database.
func (c *Cluster) URL() string { return c.urlFor(c.opts.Database) }

// AdminURL is the connection string of the maintenance database "postgres".
func (c *Cluster) AdminURL() string { return c.urlFor("postgres") }

func (c *Cluster) urlFor(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Owner reports whether this process will stop the server in Stop.
func (c *Cluster) Owner() bool { return c.owner }

// Pid is the postmaster's process id.
func (c *Cluster) Pid() int { return c.pid }

// Port is the loopback TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// Stop shuts the server down (fast shutdown: open transactions are rolled
// back, committed data is safe) if this process owns it, and waits for it to
// exit. It is a no-op for a process that merely connected.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.owner {
		return nil
	}
	c.owner = false
	defer os.Remove(filepath.Join(c.opts.DataDir, ownerFile))
	c.opts.Logger.Info("stopping PostgreSQL", "pid", c.pid)
	if err := syscall.Kill(c.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping PostgreSQL (pid %d): %w", c.pid, err)
	}
	if c.waitExit(ctx, 60*time.Second) {
		return nil
	}
	// Fast shutdown did not finish in time: immediate shutdown is still
	// crash-safe (WAL replay on next start).
	_ = syscall.Kill(c.pid, syscall.SIGQUIT)
	if c.waitExit(context.Background(), 10*time.Second) {
		return nil
	}
	return fmt.Errorf("PostgreSQL (pid %d) did not stop", c.pid)
}

// waitExit waits until the postmaster has exited.
func (c *Cluster) waitExit(ctx context.Context, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c.exited != nil {
			select {
			case <-c.exited:
				return true
			default:
			}
		} else if !processAlive(c.pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// ensureInitialised runs initdb once, with a generated superuser password.
func (c *Cluster) ensureInitialised(ctx context.Context) error {
	pwPath := filepath.Join(c.opts.DataDir, passwordFile)
	if _, err := os.Stat(filepath.Join(c.dir, "PG_VERSION")); err == nil {
		pw, err := os.ReadFile(pwPath)
		if err != nil {
			return fmt.Errorf("the cluster in %s exists but its password file is unreadable: %w", c.dir, err)
		}
		c.password = strings.TrimSpace(string(pw))
		return nil
	}
	if err := c.findBinaries(); err != nil {
		return err
	}
	// A half-made cluster from an interrupted initdb is useless: start over.
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("removing incomplete cluster %s: %w", c.dir, err)
	}
	c.password = randomHex(24)
	if err := os.WriteFile(pwPath, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", c.opts.DataDir, err)
	}
	if err := chownToServerUser(pwPath); err != nil {
		return err
	}
	c.opts.Logger.Info("initialising PostgreSQL cluster", "dir", c.dir)
	args := []string{"-D", c.dir, "-U", superuser, "--pwfile", pwPath,
		"--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C"}
	if c.opts.NoSync {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.opts.BinDir, "initdb"), args...)
	if err := runAsServerUser(cmd); err != nil {
		return err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb failed: %v\n%s", err, lastLines(string(out), 10))
	}
	return nil
}

func (c *Cluster) findBinaries() error {
	if c.opts.BinDir != "" {
		return nil
	}
	dir, err := FindBinDir()
	if err != nil {
		return err
	}
	c.opts.BinDir = dir
	return nil
}

// attachOrStart connects to a server already running on the cluster or
// starts one. A running server whose owner process is gone is adopted.
func (c *Cluster) attachOrStart(ctx context.Context) error {
	pf, err := readPidFile(filepath.Join(c.dir, "postmaster.pid"))
	switch {
	case err == nil && processAlive(pf.pid) && isPostgres(pf.pid):
		c.pid, c.port = pf.pid, pf.port
		owner := readOwner(filepath.Join(c.opts.DataDir, ownerFile))
		if owner == 0 || !processAlive(owner) {
			c.opts.Logger.Info("adopting PostgreSQL left running by a process that exited", "pid", c.pid, "port", c.port)
			if err := c.becomeOwner(); err != nil {
				return err
			}
		} else {
			c.opts.Logger.Info("using the PostgreSQL already running on this data folder", "pid", c.pid, "port", c.port, "owner", owner)
		}
		return c.waitReady(ctx, 30*time.Second)
	case err == nil:
		// The pid is dead or belongs to another program now: the file is
		// stale (a crash). postgres would refuse to start on a reused pid.
		c.opts.Logger.Info("removing stale postmaster.pid", "pid", pf.pid)
		if err := os.Remove(filepath.Join(c.dir, "postmaster.pid")); err != nil {
			return fmt.Errorf("removing stale %s: %w", filepath.Join(c.dir, "postmaster.pid"), err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := c.findBinaries(); err != nil {
		return err
	}
	var lastErr error
	for range 3 { // the free port may be taken before postgres binds it
		if lastErr = c.start(ctx); lastErr == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return lastErr
}

func (c *Cluster) start(ctx context.Context) error {
	port := c.opts.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	c.port = port
	args := []string{"-D", c.dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="}
	for _, k := range sortedKeys(c.opts.Settings) {
		args = append(args, "-c", k+"="+c.opts.Settings[k])
	}
	logf, err := os.OpenFile(filepath.Join(c.opts.DataDir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", c.opts.DataDir, err)
	}
	defer logf.Close()
	logStart, _ := logf.Seek(0, 2)
	cmd := exec.Command(filepath.Join(c.opts.BinDir, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := runAsServerUser(cmd); err != nil {
		return err
	}
	// Its own process group: a Ctrl-C in the terminal reaches only us, and we
	// stop the server in order, after the web server has drained.
	cmd.SysProcAttr.Setpgid = true
	if c.opts.DieWithParent {
		setDeathSignal(cmd.SysProcAttr)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	c.child, c.pid = cmd, cmd.Process.Pid
	c.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(c.exited) }()
	if err := c.becomeOwner(); err != nil {
		_ = syscall.Kill(c.pid, syscall.SIGQUIT)
		return err
	}
	c.opts.Logger.Info("starting PostgreSQL", "pid", c.pid, "port", port, "dir", c.dir)
	if err := c.waitReady(ctx, 60*time.Second); err != nil {
		_ = c.Stop(context.Background())
		tail := readTail(filepath.Join(c.opts.DataDir, logFile), logStart, 10)
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, filepath.Join(c.opts.DataDir, logFile), tail)
	}
	return nil
}

func (c *Cluster) becomeOwner() error {
	c.owner = true
	path := filepath.Join(c.opts.DataDir, ownerFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", c.opts.DataDir, err)
	}
	return nil
}

// waitReady polls until the server accepts a login.
func (c *Cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		if c.exited != nil {
			select {
			case <-c.exited:
				return errors.New("postgres exited during start-up")
			default:
			}
		}
		conn, err := pgx.Connect(ctx, c.AdminURL())
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not become ready within %s: %v", timeout, lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ensureDatabase creates the platform's database on first start.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.AdminURL())
	if err != nil {
		return fmt.Errorf("connecting to local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, c.opts.Database).Scan(&exists); err != nil {
		return fmt.Errorf("checking database %q: %w", c.opts.Database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.opts.Database}.Sanitize()); err != nil {
		return fmt.Errorf("creating database %q: %w", c.opts.Database, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

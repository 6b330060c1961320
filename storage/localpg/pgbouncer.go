package localpg

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoPgBouncer means the pgbouncer binary was not found.
var ErrNoPgBouncer = errors.New("pgbouncer not found: install it (Debian/Ubuntu: apt-get install pgbouncer; " +
	"macOS: brew install pgbouncer) or set PGBOUNCER to its path")

// FindPgBouncer returns the path of the pgbouncer binary: $PGBOUNCER, PATH,
// or /usr/sbin (where Debian installs it, often not on a user's PATH).
func FindPgBouncer() (string, error) {
	if p := os.Getenv("PGBOUNCER"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("PGBOUNCER=%s is not an executable file", p)
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer"} {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", ErrNoPgBouncer
}

// BouncerOptions configure a PgBouncer in front of a PostgreSQL server.
type BouncerOptions struct {
	// Dir holds the configuration, the auth file (with the server's
	// password, mode 0600) and the log; it is created if missing.
	Dir string
	// Server is the URL of the PostgreSQL server. Its user and password are
	// the only login the pooler accepts, and the one it uses upstream;
	// every database of the server is reachable through the pooler.
	Server string
	// PoolMode is session, transaction (the default) or statement.
	PoolMode string
	// PoolSize is the number of server connections per database and user
	// (PgBouncer's default_pool_size; 0 means 4).
	PoolSize int
	// MaxClients is max_client_conn (0 means 1000).
	MaxClients int
	// DieWithParent makes the kernel stop the pooler if this process dies
	// (throwaway test poolers; Linux only).
	DieWithParent bool
}

// Bouncer is a running PgBouncer.
type Bouncer struct {
	port     int
	user     string
	password string
	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string
}

// StartBouncer starts a PgBouncer listening on a free loopback port and
// waits until it accepts connections.
func StartBouncer(ctx context.Context, opts BouncerOptions) (*Bouncer, error) {
	bin, err := FindPgBouncer()
	if err != nil {
		return nil, err
	}
	server, err := pgconn.ParseConfig(opts.Server)
	if err != nil {
		return nil, fmt.Errorf("pgbouncer: server URL: %w", err)
	}
	if opts.PoolMode == "" {
		opts.PoolMode = "transaction"
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 4
	}
	if opts.MaxClients == 0 {
		opts.MaxClients = 1000
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgbouncer: %w", err)
	}
	if err := chownToServerUser(opts.Dir); err != nil {
		return nil, err
	}
	b := &Bouncer{user: server.User, password: server.Password, logPath: filepath.Join(opts.Dir, "pgbouncer.log")}
	authFile := filepath.Join(opts.Dir, "userlist.txt")
	if err := writeServerUserFile(authFile, fmt.Sprintf("%s %s\n", quoteIni(server.User), quoteIni(server.Password))); err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // the free port may be taken before pgbouncer binds it
		if lastErr = b.start(ctx, bin, opts, server, authFile); lastErr == nil {
			return b, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func (b *Bouncer) start(ctx context.Context, bin string, opts BouncerOptions, server *pgconn.Config, authFile string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	b.port = port
	authType := "scram-sha-256"
	if server.Password == "" {
		authType = "trust" // the server trusts this user; so does its pooler
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = %s
auth_file = %s
pool_mode = %s
default_pool_size = %d
max_client_conn = %d
logfile = %s
`, server.Host, server.Port, port, authType, authFile, opts.PoolMode, opts.PoolSize, opts.MaxClients, b.logPath)
	iniPath := filepath.Join(opts.Dir, "pgbouncer.ini")
	if err := writeServerUserFile(iniPath, ini); err != nil {
		return err
	}
	cmd := exec.Command(bin, iniPath)
	// PgBouncer refuses to run as root, like PostgreSQL.
	if err := runAsServerUser(cmd); err != nil {
		return err
	}
	cmd.SysProcAttr.Setpgid = true
	if opts.DieWithParent {
		setDeathSignal(cmd.SysProcAttr)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting pgbouncer: %w", err)
	}
	b.cmd = cmd
	b.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(b.exited) }()
	if err := b.waitReady(ctx, server.Database, 30*time.Second); err != nil {
		_ = b.Stop()
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, b.logPath, readTail(b.logPath, 0, 10))
	}
	return nil
}

// URL is the connection string of database through the pooler.
func (b *Bouncer) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(b.user, b.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the loopback TCP port the pooler listens on.
func (b *Bouncer) Port() int { return b.port }

// Stop shuts the pooler down at once (clients are disconnected) and waits
// for it to exit.
func (b *Bouncer) Stop() error {
	if b.cmd == nil {
		return nil
	}
	_ = syscall.Kill(b.cmd.Process.Pid, syscall.SIGINT) // SIGINT: immediate shutdown
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(b.cmd.Process.Pid, syscall.SIGKILL)
		<-b.exited
	}
	b.cmd = nil
	return nil
}

func (b *Bouncer) waitReady(ctx context.Context, database string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		select {
		case <-b.exited:
			return errors.New("pgbouncer exited during start-up")
		default:
		}
		conn, err := pgx.Connect(ctx, b.URL(database))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgbouncer did not become ready within %s: %v", timeout, lastErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// writeServerUserFile writes a private file that the pooler (running as the
// server user when we are root) can read.
func writeServerUserFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgbouncer: %w", err)
	}
	return chownToServerUser(path)
}

// quoteIni quotes a value for PgBouncer's auth file ("" doubles a quote).
func quoteIni(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

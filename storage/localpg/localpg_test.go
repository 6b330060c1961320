package localpg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The test binary doubles as a helper process that owns a cluster, so tests
// can kill an owner with SIGKILL or run the manager as a non-root user.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LOCALPG_HELPER_DIR"); dir != "" {
		os.Exit(helperMain(dir))
	}
	os.Exit(m.Run())
}

// helperMain starts the cluster in dir, reports "READY pid port", and stops
// it on SIGTERM.
func helperMain(dir string) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	c, err := Start(context.Background(), Options{DataDir: dir, NoSync: true})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Printf("READY %d %d %v\n", c.Pid(), c.Port(), c.Owner())
	<-sig
	if err := c.Stop(context.Background()); err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	return 0
}

func newDataDir(t *testing.T) string {
	t.Helper()
	// Not t.TempDir: as root, the postgres OS user must be able to enter it.
	dir, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), Options{DataDir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

func exec1(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, url, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestStartStopRestartKeepsData(t *testing.T) {
	dir := newDataDir(t)
	c := start(t, dir)
	if !c.Owner() {
		t.Fatal("the process that started the cluster must own it")
	}
	exec1(t, c.URL(), `CREATE TABLE kept (n int)`)
	exec1(t, c.URL(), `INSERT INTO kept VALUES (42)`)
	pid := c.Pid()
	if err := c.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if processAlive(pid) {
		t.Fatalf("postgres pid %d still running after Stop", pid)
	}
	if _, err := os.Stat(filepath.Join(dir, clusterSubdir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid left behind after a clean stop: %v", err)
	}

	c2 := start(t, dir)
	if got := queryInt(t, c2.URL(), `SELECT n FROM kept`); got != 42 {
		t.Fatalf("after restart got %d, want 42", got)
	}
}

func TestFilesArePrivate(t *testing.T) {
	dir := newDataDir(t)
	start(t, dir)
	fi, err := os.Stat(filepath.Join(dir, passwordFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("password file mode %v, want no group/other access", fi.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		uid, _, err := serverUserIDs()
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, clusterSubdir))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Sys().(*syscall.Stat_t).Uid; got != uid {
			t.Fatalf("running as root, the cluster must belong to the postgres user (uid %d), got uid %d", uid, got)
		}
	}
}

func TestSecondUserAttachesWithoutOwning(t *testing.T) {
	dir := newDataDir(t)
	first := start(t, dir)
	second := start(t, dir)
	if second.Owner() {
		t.Fatal("a second process on a running cluster must not own it")
	}
	if second.Pid() != first.Pid() || second.Port() != first.Port() {
		t.Fatalf("second attached to pid %d port %d, want %d %d", second.Pid(), second.Port(), first.Pid(), first.Port())
	}
	if err := second.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !processAlive(first.Pid()) {
		t.Fatal("a non-owner's Stop stopped the server")
	}
	exec1(t, first.URL(), `SELECT 1`)
}

func TestStalePidFileIsHandled(t *testing.T) {
	dir := newDataDir(t)
	c := start(t, dir)
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	pidPath := filepath.Join(dir, clusterSubdir, "postmaster.pid")
	for _, tc := range []struct {
		name string
		pid  int
	}{
		{"dead pid", deadPid(t)},
		{"pid reused by another program", os.Getpid()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stale := fmt.Sprintf("%d\n%s\n1700000000\n5432\n\n127.0.0.1\n  1234567 7\nready   \n", tc.pid, filepath.Join(dir, clusterSubdir))
			if err := os.WriteFile(pidPath, []byte(stale), 0o600); err != nil {
				t.Fatal(err)
			}
			c := start(t, dir)
			exec1(t, c.URL(), `SELECT 1`)
			if err := c.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

type helper struct {
	cmd  *exec.Cmd
	pid  int // the postgres pid it reported
	port int
}

// startHelper runs the test binary as a separate owner process.
func startHelper(t *testing.T, dir string, asUser *syscall.Credential, binary string) helper {
	t.Helper()
	if binary == "" {
		binary = os.Args[0]
	}
	cmd := exec.Command(binary, "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCALPG_HELPER_DIR="+dir)
	cmd.Stderr = os.Stderr
	if asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: asUser}
		cmd.Env = append(cmd.Env, "HOME="+os.TempDir())
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "READY" {
		t.Fatalf("helper did not start: %q", line)
	}
	pid, _ := strconv.Atoi(f[1])
	port, _ := strconv.Atoi(f[2])
	return helper{cmd: cmd, pid: pid, port: port}
}

func TestOrphanOfKilledOwnerIsAdopted(t *testing.T) {
	dir := newDataDir(t)
	h := startHelper(t, dir, nil, "")
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
	if !processAlive(h.pid) {
		t.Fatal("expected the postgres of a SIGKILLed owner to be left running (the case under test)")
	}
	c := start(t, dir)
	if !c.Owner() || c.Pid() != h.pid {
		t.Fatalf("orphan not adopted: owner=%v pid=%d (orphan %d)", c.Owner(), c.Pid(), h.pid)
	}
	exec1(t, c.URL(), `SELECT 1`)
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, h.pid)
}

func TestOwnerProcessStopsServerOnSIGTERM(t *testing.T) {
	dir := newDataDir(t)
	h := startHelper(t, dir, nil, "")
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exited with %v", err)
	}
	waitGone(t, h.pid)
}

// TestRunsAsNonRootUser runs the manager in a process of an unprivileged
// user; as root, the main tests cover the root path (initdb and postgres run
// as the postgres user).
func TestRunsAsNonRootUser(t *testing.T) {
	if os.Geteuid() != 0 {
		// This process is the non-root case: every other test covers it.
		t.Skip("already running as a non-root user")
	}
	uid, gid, err := serverUserIDs()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary must be reachable by that user.
	binDir, err := os.MkdirTemp("", "localpg-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	_ = os.Chmod(binDir, 0o755)
	bin := filepath.Join(binDir, "localpg.test")
	copyFile(t, os.Args[0], bin)
	dir := newDataDir(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, dir, &syscall.Credential{Uid: uid, Gid: gid}, bin)
	st, err := os.Stat(fmt.Sprintf("/proc/%d", h.pid))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Sys().(*syscall.Stat_t).Uid; got != uid {
		t.Fatalf("postgres runs as uid %d, want %d", got, uid)
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("non-root helper exited with %v", err)
	}
	waitGone(t, h.pid)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres pid %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMissingBinariesGiveOneClearMessage(t *testing.T) {
	t.Setenv("PG_BINDIR", "")
	t.Setenv("PATH", t.TempDir())
	old := debianGlob
	debianGlob = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { debianGlob = old })

	_, err := Start(context.Background(), Options{DataDir: newDataDir(t)})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("got %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql@16", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %q", err, want)
		}
	}
}

func TestUnwritableDataFolder(t *testing.T) {
	parent := newDataDir(t)
	if err := os.WriteFile(parent, []byte("a file, not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{DataDir: filepath.Join(parent, "data")})
	if err == nil || !strings.Contains(err.Error(), "data folder") {
		t.Fatalf("got %v, want an error naming the data folder", err)
	}
}

func TestFindPgBouncerNamesWhatIsWrong(t *testing.T) {
	t.Setenv("PGBOUNCER", "/nonexistent/pgbouncer")
	if _, err := FindPgBouncer(); err == nil || !strings.Contains(err.Error(), "PGBOUNCER=/nonexistent/pgbouncer") {
		t.Fatalf("got %v, want an error naming PGBOUNCER", err)
	}
}

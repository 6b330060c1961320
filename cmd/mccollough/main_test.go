package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// binary is the mccollough command built once for these tests: they run it
// as a user would, signals and exit codes included.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mccollough-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Chmod(dir, 0o755)
	binary = filepath.Join(dir, "mccollough")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mccollough: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// dataDir is a fresh data folder the postgres OS user can enter (when root).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mccollough-data-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

type result struct {
	code   int
	stdout string
	stderr string
}

func runCmd(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runWithStdin(t, "", env, args...)
}

func runWithStdin(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// cleanEnv is this process's environment without the variables that would
// point the command at another database.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "MCCOLLOUGH_DATA=") || strings.HasPrefix(kv, "ADDR=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func TestHelpDescribesCommandsAndFlags(t *testing.T) {
	r := runCmd(t, nil, "--help")
	if r.code != 0 {
		t.Fatalf("--help exit %d", r.code)
	}
	for _, want := range []string{"serve", "migrate", "DATABASE_URL", "MCCOLLOUGH_DATA"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help does not mention %s:\n%s", want, r.stdout)
		}
	}
	r = runCmd(t, nil, "serve", "--help")
	if r.code != 0 {
		t.Fatalf("serve --help exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"-addr", "-data", "-database-url", "env ADDR", "env DATABASE_URL"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help does not mention %s:\n%s", want, r.stdout)
		}
	}
	// Every environment variable a command's flags read is in the
	// top-level help too.
	usage := runCmd(t, nil, "--help").stdout
	envRE := regexp.MustCompile(`env ([A-Z_]+)`)
	for name := range commands {
		help := runCmd(t, nil, name, "--help").stdout
		for _, m := range envRE.FindAllStringSubmatch(help, -1) {
			if !strings.Contains(usage, "  "+m[1]+" ") {
				t.Errorf("%s --help reads %s, which --help does not list:\n%s", name, m[1], usage)
			}
		}
	}
}

// TestConfigErrorsAreOneClearLine: bad configuration ends the command with a
// non-zero status and a single line naming the problem, not a stack trace.
func TestConfigErrorsAreOneClearLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notAFolder := filepath.Join(dataDir(t), "file")
	if err := os.MkdirAll(filepath.Dir(notAFolder), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notAFolder, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"serve", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"bad log level", nil, []string{"migrate", "--log-level", "loud"}, 2, `invalid --log-level "loud"`},
		{"port in use", nil, []string{"serve", "--addr", busy.Addr().String(), "--data", dataDir(t)}, 1, "already in use"},
		{"unwritable data folder", nil, []string{"migrate", "--data", filepath.Join(notAFolder, "data")}, 1, "data folder"},
		{"unreachable DATABASE_URL", []string{"DATABASE_URL=postgres://nobody:secret@127.0.0.1:1/nothing?connect_timeout=2"},
			[]string{"migrate"}, 1, "cannot reach the database at 127.0.0.1:1/nothing"},
		{"render: invalid spec", nil, []string{"render", "--spec", `{"kind":"spiral","duty":2}`, "-o", filepath.Join(t.TempDir(), "x.png")},
			2, `kind: unknown kind "spiral"`},
		{"render: unknown field", nil, []string{"render", "--spec", `{"kind":"grating","angle":3}`, "-o", filepath.Join(t.TempDir(), "x.png")},
			2, "angle: unknown field"},
		{"render: out-of-gamut tint", nil, []string{"render", "--spec", `{"kind":"grating"}`, "--tint", "80", "-o", filepath.Join(t.TempDir(), "x.png")},
			2, "tint: a*=80"},
		{"malformed DATABASE_URL", []string{"DATABASE_URL=postgres://%zz"}, []string{"migrate"}, 1, "invalid database URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, tc.env, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			lastLine := lastNonEmptyLine(r.stderr)
			if !strings.Contains(lastLine, tc.want) {
				t.Fatalf("last line %q does not contain %q; stderr:\n%s", lastLine, tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Fatalf("stack trace in output:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "secret") {
				t.Fatalf("password from DATABASE_URL leaked into the message:\n%s", r.stderr)
			}
		})
	}
}

func TestRenderWritesThePNGOfTheRenderer(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.png")
	r := runCmd(t, nil, "render", "--spec", `{"kind":"grating","orientation_deg":90}`, "--size", "64", "--tint", "-3", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := stimuli.RenderPNG(stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: 90}, Tint: -3}.WithDefaults(), 64)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("render wrote other bytes than stimuli.RenderPNG")
	}
	spec := filepath.Join(t.TempDir(), "spec.json")
	_ = os.WriteFile(spec, []byte(`{"kind":"circles","period_px":12}`), 0o600)
	if r := runCmd(t, nil, "render", "--spec", "@"+spec, "--color", "#ce2e2e", "-o", out); r.code != 0 {
		t.Fatalf("render --spec @file: exit %d: %s", r.code, r.stderr)
	}
}

func lastNonEmptyLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// serveProc is a running `mccollough serve`.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan error
}

var servingRE = regexp.MustCompile(`msg=serving url=(http://\S+)`)

func startServe(t *testing.T, data string, env ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(cleanEnv(), env...)
	pr, pw := io.Pipe()
	buf := &lockedBuffer{}
	cmd.Stderr = io.MultiWriter(pw, buf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd, stderr: buf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-s.done
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case s.url = <-found:
	case err := <-s.done:
		t.Fatalf("serve exited (%v) before serving:\n%s", err, buf.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60 s:\n%s", buf.String())
	}
	return s
}

func (s *serveProc) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not exit after %v:\n%s", sig, s.stderr.String())
		return nil
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

func postgresPid(t *testing.T, data string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatalf("reading postmaster.pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres pid %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeLifecycle: first start (initdb) serves /healthz; SIGTERM stops
// the web server and then its postgres; a second start reuses the data; a
// SIGKILLed server's orphan postgres is taken over by the next start.
func TestServeLifecycle(t *testing.T) {
	data := dataDir(t)
	s := startServe(t, data)
	if got := getStatus(t, s.url+"/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz = %d", got)
	}
	pid := postgresPid(t, data)

	// Another command on the same data folder joins the running server.
	if r := runCmd(t, nil, "migrate", "--data", data); r.code != 0 {
		t.Fatalf("migrate beside a running server: exit %d\n%s", r.code, r.stderr)
	}
	if !alive(pid) {
		t.Fatal("migrate stopped the server's postgres")
	}

	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, s.stderr.String())
	}
	waitGone(t, pid)

	s = startServe(t, data)
	if got := getStatus(t, s.url+"/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz after restart = %d", got)
	}
	pid = postgresPid(t, data)
	_ = s.stop(t, syscall.SIGKILL)
	if !alive(pid) {
		t.Fatal("expected an orphan postgres after SIGKILL (the case under test)")
	}

	s = startServe(t, data)
	if got := getStatus(t, s.url+"/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz after SIGKILL and restart = %d", got)
	}
	if err := s.stop(t, syscall.SIGINT); err != nil {
		t.Fatalf("serve exited with %v after SIGINT", err)
	}
	waitGone(t, pid)
}

// TestServeWithDatabaseURLStartsNoPostgres: DATABASE_URL wins over the data
// folder, which stays untouched.
func TestServeWithDatabaseURLStartsNoPostgres(t *testing.T) {
	data := dataDir(t)
	// A first serve provides a server to point DATABASE_URL at.
	startServe(t, data)
	pw, err := os.ReadFile(filepath.Join(data, "postgres.password"))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	port := strings.TrimSpace(strings.Split(string(pf), "\n")[3])
	url := fmt.Sprintf("postgres://mccollough:%s@127.0.0.1:%s/mccollough?sslmode=disable", strings.TrimSpace(string(pw)), port)

	other := dataDir(t)
	s := startServe(t, other, "DATABASE_URL="+url)
	if got := getStatus(t, s.url+"/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz = %d", got)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("with DATABASE_URL set, serve touched the data folder (%v)", err)
	}
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

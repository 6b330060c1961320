package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mccollough/mccollough/storage/localpg"
)

// Fault tests: participants keep answering while the server is killed, or
// the database restarted, and retry as the runner does. Afterwards every
// acknowledged answer is stored exactly once. They run with the test suite
// (go test ./cmd/loadtest).

var mccollough string // the server binary, built once

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadtest-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Chmod(dir, 0o755)
	mccollough = filepath.Join(dir, "mccollough")
	if out, err := exec.Command("go", "build", "-o", mccollough, "../mccollough").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mccollough: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// database starts a private cluster on a fixed port (so the server's
// DATABASE_URL survives a database restart).
func database(t *testing.T) (*localpg.Cluster, localpg.Options) {
	t.Helper()
	dir, err := os.MkdirTemp("", "loadtest-db-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	opts := localpg.Options{DataDir: filepath.Join(dir, "data"), NoSync: true, DieWithParent: true, Port: freePort(t),
		Settings: map[string]string{"max_connections": "200"}} // synchronous_commit stays on
	c, err := localpg.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c, opts
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve starts `mccollough serve` on addr and waits until it is healthy.
func serve(t *testing.T, addr, dbURL string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(mccollough, "serve", "--addr", addr, "--workers", "0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	// The server's warnings during the fault (503s) are expected; keep them
	// for a failure's report only.
	logs := &strings.Builder{}
	cmd.Stderr = logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve on %s did not become healthy", addr)
	return nil
}

func faultConfig(addr, dbURL string) config {
	return config{targets: []string{"http://" + addr}, study: "classic", participants: 40, interval: 15 * time.Millisecond,
		duration: time.Minute, databaseURL: dbURL, retries: 60}
}

// faultAfter is how many answers are acknowledged before the fault: a
// quarter of the 40 participants' 4,560, so most of the load meets it.
const faultAfter = 1000

// startLoad runs the simulated participants in the background and returns
// once they are well into their answers (faultAfter acknowledged), when the
// fault is injected.
func startLoad(t *testing.T, addr, dbURL string) <-chan *report {
	t.Helper()
	done := make(chan *report, 1)
	underway := make(chan struct{})
	var once sync.Once
	cfg := faultConfig(addr, dbURL)
	cfg.acked = func(n int64) {
		if n >= faultAfter {
			once.Do(func() { close(underway) })
		}
	}
	go func() {
		rep, err := run(context.Background(), cfg)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	select {
	case <-underway:
	case rep := <-done:
		t.Fatalf("the load ended before %d answers were acknowledged: %+v", faultAfter, *rep)
	}
	return done
}

func checkReport(t *testing.T, rep *report) {
	t.Helper()
	var b strings.Builder
	rep.print(&b)
	t.Log("\n" + b.String())
	if rep.errors > 0 || !rep.verified || rep.missing > 0 || rep.extra > 0 || rep.duplicates > 0 {
		t.Fatalf("answers lost or duplicated: %+v", *rep)
	}
	if rep.puts == 0 || rep.retried == 0 {
		t.Fatalf("the fault did not hit the load (puts %d, retried %d)", rep.puts, rep.retried)
	}
}

// TestServerKilledDuringLoad: SIGKILL the server mid-load and start it
// again; the clients' retries land every answer exactly once.
func TestServerKilledDuringLoad(t *testing.T) {
	c, _ := database(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	server := serve(t, addr, c.URL())
	done := startLoad(t, addr, c.URL())
	_ = server.Process.Signal(syscall.SIGKILL)
	_ = server.Wait()
	time.Sleep(time.Second)
	serve(t, addr, c.URL())
	checkReport(t, <-done)
}

// TestDatabaseRestartedDuringLoad: stop and restart PostgreSQL mid-load;
// the same server process recovers (no restart) and every acknowledged
// answer is stored exactly once.
func TestDatabaseRestartedDuringLoad(t *testing.T) {
	c, opts := database(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	server := serve(t, addr, c.URL())
	done := startLoad(t, addr, c.URL())
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	c2, err := localpg.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c2.Stop(context.Background()) })
	rep := <-done
	checkReport(t, rep)
	if server.ProcessState != nil {
		t.Fatal("the server exited instead of recovering")
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz after the restart: %v %v", res, err)
	}
}

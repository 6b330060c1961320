package localpg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// serverUser is the OS account initdb and postgres run as when this process
// is root: PostgreSQL refuses to run as root.
const serverUser = "postgres"

// prepareDataDir creates the data folder and checks that it is writable (and,
// as root, reachable by the postgres OS user).
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create data folder %s: %w", dir, unwrapPathError(err))
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", dir, unwrapPathError(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if os.Geteuid() != 0 {
		return nil
	}
	if err := chownToServerUser(dir); err != nil {
		return err
	}
	// The postgres user must be able to reach the folder through its parents.
	for p := filepath.Dir(dir); p != filepath.Dir(p); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("data folder parent %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("data folder %s is inside %s, which the %q OS user cannot enter (mode %v): "+
				"choose a data folder elsewhere with --data, or chmod o+x %s", dir, p, serverUser, fi.Mode().Perm(), p)
		}
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// runAsServerUser prepares cmd to run as the postgres OS user when this
// process is root, and always gives it its own SysProcAttr.
func runAsServerUser(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, err := serverUserIDs()
	if err != nil {
		return err
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: gid}
	cmd.Env = append(os.Environ(), "HOME="+os.TempDir(), "USER="+serverUser)
	return nil
}

func chownToServerUser(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, err := serverUserIDs()
	if err != nil {
		return err
	}
	if err := os.Chown(path, int(uid), int(gid)); err != nil {
		return fmt.Errorf("giving %s to the %q OS user: %w", path, serverUser, err)
	}
	return nil
}

func serverUserIDs() (uid, gid uint32, err error) {
	u, err := user.Lookup(serverUser)
	if err != nil {
		return 0, 0, fmt.Errorf("running as root, PostgreSQL must run as the %q OS user, which does not exist: "+
			"create it (useradd --system postgres) or run as a normal user", serverUser)
	}
	uid64, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid64, _ := strconv.ParseUint(u.Gid, 10, 32)
	return uint32(uid64), uint32(gid64), nil
}

// lockDir takes an exclusive advisory lock on path, waiting for it.
func lockDir(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder is not writable: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostgres tells whether pid is a postgres server process. Where /proc is
// missing it trusts the pid file.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return !dirExists("/proc/self")
	}
	name := strings.TrimSpace(string(comm))
	return name == "postgres" || name == "postmaster"
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

type pidFile struct {
	pid  int
	port int
}

// readPidFile parses postmaster.pid: line 1 is the pid, line 4 the port.
func readPidFile(path string) (pidFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return pidFile{}, err
	}
	lines := strings.Split(string(data), "\n")
	var pf pidFile
	if len(lines) > 0 {
		pf.pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	}
	if len(lines) > 3 {
		pf.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return pf, nil
}

func readOwner(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readTail returns the last n lines written to path after offset.
func readTail(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

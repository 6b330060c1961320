package localpg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries means no PostgreSQL server binaries were found. Its message
// tells the user what to install, or how to use an existing server instead.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found: " +
	"install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16), " +
	"put their folder on PATH or in PG_BINDIR, or set DATABASE_URL to use an existing server")

// FindBinDir returns a folder holding both initdb and postgres. It looks, in
// order, at $PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/*/bin
// (newest major version first), and PATH.
func FindBinDir() (string, error) {
	var candidates []string
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		candidates = append(candidates, dir)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, debianBinDirs()...)
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// debianGlob is where Debian and Ubuntu install each major version.
var debianGlob = "/usr/lib/postgresql/*/bin"

// debianBinDirs lists /usr/lib/postgresql/<major>/bin, newest first.
func debianBinDirs() []string {
	matches, _ := filepath.Glob(debianGlob)
	major := func(p string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		return n
	}
	sort.Slice(matches, func(i, j int) bool { return major(matches[i]) > major(matches[j]) })
	return matches
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

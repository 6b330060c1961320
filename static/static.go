// Package static holds the browser assets (the participant runner, styles),
// embedded in the binary so a deployment is one file.
//
// Every asset is served under a content-hashed URL (URL) that browsers may
// cache forever. The runner is plain ES modules (runner/*.js) that import
// each other by relative path; at start-up each module's import specifiers
// are rewritten to the hashed URLs of the modules they name, so a module's
// hash covers its imports' too, and a change anywhere reaches the page
// without a build step. (An import map would do the same in the browser,
// but it must be an inline script, which the CSP forbids without a hash,
// and browsers older than 2023 ignore it.)
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

//go:embed *.css *.js runner/*.js
var files embed.FS

// Asset is one file as served.
type Asset struct {
	Data []byte
	Hash string // short content hash of Data
	// Imports are the modules a JS module imports, by asset name.
	Imports []string
}

// Set is the assets by name (a path inside static/, e.g. "runner/main.js").
type Set map[string]*Asset

var assets = mustBuild(files)

func mustBuild(fsys fs.FS) Set {
	s, err := Build(fsys)
	if err != nil {
		panic(err) // the embedded files are fixed at compile time; the tests build them
	}
	return s
}

// Get returns the named asset as served, or nil.
func Get(name string) *Asset { return assets[name] }

// URL is the cache-busting address of the named asset.
func URL(name string) string { return assets.URL(name) }

// URL is the cache-busting address of the named asset of s.
func (s Set) URL(name string) string {
	a := s[name]
	if a == nil {
		panic("static: no asset " + name)
	}
	return "/static/" + name + "?v=" + a.Hash
}

// ModuleURLs are the URLs of every module the named module imports,
// directly or not, for <link rel="modulepreload">: the browser then
// fetches them all at once instead of one level of imports per round trip.
func ModuleURLs(name string) []string {
	var urls []string
	seen := map[string]bool{name: true}
	var walk func(string)
	walk = func(n string) {
		for _, dep := range assets[n].Imports {
			if !seen[dep] {
				seen[dep] = true
				urls = append(urls, URL(dep))
				walk(dep)
			}
		}
	}
	walk(name)
	return urls
}

// importSpec finds the relative specifier of each static import or
// re-export ("import … from './x.js'", "import './x.js'", "export … from").
var importSpec = regexp.MustCompile(`(?m)^((?:import|export)\b[^'";]*?['"])(\.\.?/[^'"]+)(['"])`)

// Build reads every asset of fsys and rewrites the JS modules' imports.
func Build(fsys fs.FS) (Set, error) {
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		raw[p] = data
		return err
	})
	if err != nil {
		return nil, err
	}
	set := Set{}
	var build func(name string, trail []string) error
	build = func(name string, trail []string) error {
		if set[name] != nil {
			return nil
		}
		if slices.Contains(trail, name) {
			return fmt.Errorf("static: import cycle %s → %s", strings.Join(trail, " → "), name)
		}
		data := raw[name]
		a := &Asset{}
		if path.Ext(name) == ".js" {
			var missing error
			data = importSpec.ReplaceAllFunc(data, func(m []byte) []byte {
				g := importSpec.FindSubmatch(m)
				dep := path.Join(path.Dir(name), string(g[2]))
				if _, ok := raw[dep]; !ok {
					missing = fmt.Errorf("static: %s imports %s, which does not exist", name, g[2])
					return m
				}
				if err := build(dep, append(trail, name)); err != nil {
					missing = err
					return m
				}
				a.Imports = append(a.Imports, dep)
				return slices.Concat(g[1], []byte(set.URL(dep)), g[3])
			})
			if missing != nil {
				return missing
			}
		}
		sum := sha256.Sum256(data)
		a.Data, a.Hash = data, hex.EncodeToString(sum[:6])
		set[name] = a
		return nil
	}
	for name := range raw {
		if err := build(name, nil); err != nil {
			return nil, err
		}
	}
	return set, nil
}

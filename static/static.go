// Package static holds the browser assets (the participant runner, styles),
// embedded in the binary so a deployment is one file.
//
// The sources stay readable in the repository, and contributors need no
// build step: at start-up (Build) each top-level script and each folder's
// main.js is bundled with the ES modules it imports, minified, and
// compressed once (wire.go); the runner (runner/*.js) is served as one
// file. Every asset has a content-hashed URL (URL) that browsers may cache
// forever, so a change reaches participants at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
)

//go:embed *.css *.js runner/*.js
var files embed.FS

// Asset is one file as served.
type Asset struct {
	Data []byte // minified, for scripts and stylesheets
	Hash string // short content hash of Data
	// Brotli and Gzip are Data so encoded (scripts and stylesheets only).
	Brotli, Gzip []byte
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

// entry: a script served on its own (with what it imports bundled in);
// the other modules of a folder are reached from its main.js.
func entry(name string) bool {
	return path.Dir(name) == "." || path.Base(name) == "main.js"
}

// Build reads every asset of fsys: it bundles and minifies the scripts,
// minifies the stylesheets, and compresses both.
func Build(fsys fs.FS) (Set, error) {
	set := Set{}
	add := func(name string, data []byte) error {
		sum := sha256.Sum256(data)
		a := &Asset{Data: data, Hash: hex.EncodeToString(sum[:6])}
		set[name] = a
		return a.compress(name)
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(name) {
		case ".js":
			if !entry(name) {
				return nil
			}
			js, sourceMap, err := bundle(fsys, name)
			if err != nil {
				return err
			}
			if err := add(name+".map", sourceMap); err != nil {
				return err
			}
			return add(name, js)
		case ".css":
			css, err := minifyCSS(fsys, name)
			if err != nil {
				return err
			}
			return add(name, css)
		default:
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			return add(name, data)
		}
	})
	if err != nil {
		return nil, err
	}
	return set, nil
}

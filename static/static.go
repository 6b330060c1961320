// Package static holds the browser assets (the participant runner, styles),
// embedded in the binary so a deployment is one file.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed *.css *.js
var files embed.FS

// FS is the embedded assets.
var FS fs.FS = files

var (
	hashOnce sync.Once
	hashes   map[string]string
)

// Hash returns a short content hash of the named asset (empty if unknown);
// URLs carry it so browsers may cache assets forever yet never see a stale one.
func Hash(name string) string {
	hashOnce.Do(func() {
		hashes = map[string]string{}
		_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(files, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			hashes[p] = hex.EncodeToString(sum[:6])
			return nil
		})
	})
	return hashes[name]
}

// URL is the cache-busting address of the named asset.
func URL(name string) string {
	return "/static/" + name + "?v=" + Hash(name)
}

package static

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

func TestBuildBundlesModules(t *testing.T) {
	fsys := fstest.MapFS{
		"app/main.js":  {Data: []byte("import { greet } from './a.js';\nimport { name } from \"./lib/b.js\";\ndocument.title = greet(name);\n")},
		"app/a.js":     {Data: []byte("export { name } from './lib/b.js';\nexport const greet = (who) => `hello ${who}`;\n")},
		"app/lib/b.js": {Data: []byte("export const name = 'planet';\n")},
		"page.js":      {Data: []byte("// a comment\nconsole.log(1 + 1);\n")},
	}
	set, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	main := string(set["app/main.js"].Data)
	if !strings.Contains(main, `"planet"`) || !strings.Contains(main, "hello ") || strings.Contains(main, "import") {
		t.Errorf("app/main.js is not one bundle of its modules:\n%s", main)
	}
	if set["app/a.js"] != nil || set["app/lib/b.js"] != nil {
		t.Error("modules of a bundle are served on their own")
	}
	if got := string(set["page.js"].Data); !strings.HasPrefix(got, "console.log(2);\n//# sourceMappingURL=page.js.map") {
		t.Errorf("page.js served as %q", got)
	}
	var sourceMap struct{ Sources []string }
	if err := json.Unmarshal(set["app/main.js.map"].Data, &sourceMap); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(sourceMap.Sources, func(s string) bool { return strings.HasSuffix(s, "app/lib/b.js") }) {
		t.Errorf("the source map names %v", sourceMap.Sources)
	}

	// A change in a module two imports away changes the bundle's hash.
	fsys["app/lib/b.js"] = &fstest.MapFile{Data: []byte("export const name = 'world';\n")}
	changed, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if changed["app/main.js"].Hash == set["app/main.js"].Hash {
		t.Error("app/main.js kept its hash after lib/b.js changed")
	}
	if changed["page.js"].Hash != set["page.js"].Hash {
		t.Error("page.js changed its hash")
	}
}

// TestBuildMinifiesAndCompresses: scripts and stylesheets are served
// minified, with brotli and gzip encodings of exactly those bytes; other
// files as they are.
func TestBuildMinifiesAndCompresses(t *testing.T) {
	fsys := fstest.MapFS{
		"s.css":     {Data: []byte("/* a comment */\nbody {\n  color: #ff0000;\n}\n")},
		"m.js":      {Data: []byte("export function twice(value) {\n  return value * 2;\n}\n")},
		"notes.txt": {Data: []byte("  kept as is  \n")},
	}
	set, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(set["s.css"].Data); got != "body{color:red}\n" {
		t.Errorf("s.css served as %q", got)
	}
	if got := string(set["notes.txt"].Data); got != "  kept as is  \n" {
		t.Errorf("notes.txt served as %q", got)
	}
	for _, name := range []string{"m.js", "s.css"} {
		a := set[name]
		br, err := io.ReadAll(brotli.NewReader(bytes.NewReader(a.Brotli)))
		if err != nil || !bytes.Equal(br, a.Data) {
			t.Errorf("%s: brotli encoding decodes to %q (%v)", name, br, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.Gzip))
		if err != nil {
			t.Fatal(err)
		}
		gz, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(gz, a.Data) {
			t.Errorf("%s: gzip encoding decodes to %q (%v)", name, gz, err)
		}
	}
	if a := set["notes.txt"]; a.Brotli != nil || a.Gzip != nil {
		t.Error("a file other than a script or stylesheet was compressed")
	}
}

func TestBuildRefusesBrokenImports(t *testing.T) {
	for name, src := range map[string]string{
		"missing":        "import { x } from './nowhere.js';\nconsole.log(x);\n",
		"not relative":   "import { x } from 'somewhere';\nconsole.log(x);\n",
		"syntax error":   "export const = 1;\n",
		"no such export": "import { nothing } from './lib.js';\nconsole.log(nothing);\n",
	} {
		fsys := fstest.MapFS{"app/main.js": {Data: []byte(src)}, "app/lib.js": {Data: []byte("export const something = 1;\n")}}
		if _, err := Build(fsys); err == nil {
			t.Errorf("%s: built without an error", name)
		}
	}
}

// TestRunnerModules: the embedded runner builds into one bundle made of
// every module in static/runner (none is left unused), each within 400
// lines.
func TestRunnerModules(t *testing.T) {
	var sourceMap struct{ Sources []string }
	if err := json.Unmarshal(Get("runner/main.js.map").Data, &sourceMap); err != nil {
		t.Fatal(err)
	}
	modules, err := fs.Glob(files, "runner/*.js")
	if err != nil || len(modules) < 5 {
		t.Fatalf("runner modules %v (%v)", modules, err)
	}
	for _, name := range modules {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(src, []byte("\n")); n > 400 {
			t.Errorf("%s has %d lines (at most 400)", name, n)
		}
		if !slices.ContainsFunc(sourceMap.Sources, func(s string) bool { return strings.HasSuffix(s, name) }) {
			t.Errorf("%s is not part of the runner (unused module?); the bundle has %v", name, sourceMap.Sources)
		}
	}
}

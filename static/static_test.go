package static

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuildRewritesImportsToHashedURLs(t *testing.T) {
	fsys := fstest.MapFS{
		"app/main.js":  {Data: []byte("import { a } from './a.js';\nimport {\n  b,\n} from \"./lib/b.js\";\nimport './side.js';\nconst s = \"import './not-an-import.js'\";\n")},
		"app/a.js":     {Data: []byte("export { b } from './lib/b.js';\nexport const a = 1;\n")},
		"app/lib/b.js": {Data: []byte("export const b = 2;\n")},
		"app/side.js":  {Data: []byte("document.title = 'x';\n")},
		"style.css":    {Data: []byte("body { color: red }\n")},
	}
	set, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	main := string(set["app/main.js"].Data)
	for _, want := range []string{
		"from '" + set.URL("app/a.js") + "'",
		"from \"" + set.URL("app/lib/b.js") + "\"",
		"import '" + set.URL("app/side.js") + "'",
		"\"import './not-an-import.js'\"", // a string in the code is left alone
	} {
		if !strings.Contains(main, want) {
			t.Errorf("main.js lacks %q:\n%s", want, main)
		}
	}
	if a := string(set["app/a.js"].Data); !strings.Contains(a, "export { b } from '"+set.URL("app/lib/b.js")+"'") {
		t.Errorf("a.js re-export not rewritten:\n%s", a)
	}
	if got := strings.Join(set["app/main.js"].Imports, " "); got != "app/a.js app/lib/b.js app/side.js" {
		t.Errorf("main.js imports %q", got)
	}

	// A change in a module two imports away changes the entry's hash too.
	fsys["app/lib/b.js"] = &fstest.MapFile{Data: []byte("export const b = 3;\n")}
	changed, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app/lib/b.js", "app/a.js", "app/main.js"} {
		if changed[name].Hash == set[name].Hash {
			t.Errorf("%s kept its hash after lib/b.js changed", name)
		}
	}
	if changed["app/side.js"].Hash != set["app/side.js"].Hash || changed["style.css"].Hash != set["style.css"].Hash {
		t.Error("assets that do not import lib/b.js changed their hash")
	}
}

func TestBuildRefusesBrokenImports(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"missing": {"m.js": {Data: []byte("import { x } from './nowhere.js';\n")}},
		"cycle": {
			"a.js": {Data: []byte("import './b.js';\n")},
			"b.js": {Data: []byte("import './a.js';\n")},
		},
	} {
		if _, err := Build(fsys); err == nil {
			t.Errorf("%s: built without an error", name)
		}
	}
}

// TestRunnerModules: the embedded runner builds, every module it imports
// is one of the preloads, and each is within 400 lines.
func TestRunnerModules(t *testing.T) {
	preload := ModuleURLs("runner/main.js")
	if len(preload) < 5 {
		t.Fatalf("the runner preloads %v", preload)
	}
	for name, a := range assets {
		if strings.HasPrefix(name, "runner/") {
			if n := strings.Count(string(a.Data), "\n"); n > 400 {
				t.Errorf("%s has %d lines (at most 400)", name, n)
			}
			if name != "runner/main.js" && !slices.Contains(preload, URL(name)) {
				t.Errorf("%s is not preloaded (unused module?)", name)
			}
		}
	}
}

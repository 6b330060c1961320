package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/server"
)

// apiExample is one shell block of docs/API.md with its annotations.
type apiExample struct {
	heading string
	script  string
	expect  int               // 0: any 2xx
	saves   map[string]string // variable → dotted JSON path
}

var (
	codeBlockRE = regexp.MustCompile("(?s)```sh\n(.*?)```\n((?:<!-- [^>]* -->\n)*)")
	annotRE     = regexp.MustCompile(`<!-- (saves|expect) ([^>]*) -->`)
	headingRE   = regexp.MustCompile(`(?m)^### ([A-Z]+) (/\S*)`)
)

func parseAPIDoc(t *testing.T, doc string) []apiExample {
	t.Helper()
	var out []apiExample
	for _, m := range codeBlockRE.FindAllStringSubmatchIndex(doc, -1) {
		ex := apiExample{script: doc[m[2]:m[3]], saves: map[string]string{}}
		if hs := headingRE.FindAllString(doc[:m[0]], -1); len(hs) > 0 {
			ex.heading = hs[len(hs)-1]
		}
		for _, a := range annotRE.FindAllStringSubmatch(doc[m[4]:m[5]], -1) {
			switch a[1] {
			case "expect":
				ex.expect, _ = strconv.Atoi(strings.TrimSpace(a[2]))
			case "saves":
				for _, kv := range strings.Fields(a[2]) {
					k, v, _ := strings.Cut(kv, "=")
					ex.saves[k] = v
				}
			}
		}
		if strings.Contains(ex.script, "curl ") {
			out = append(out, ex)
		}
	}
	return out
}

// TestAPIDocExamplesRun executes every curl example of docs/API.md, in
// order, with real curl against a real server and database: the
// documentation cannot drift from the API.
func TestAPIDocExamplesRun(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the documented examples: apt-get install curl")
	}
	doc, err := os.ReadFile("../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t)
	if _, err := ts.db.CreateResearcher(context.Background(), "ada@example.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	httpSrv := httptest.NewServer(ts.srv)
	defer httpSrv.Close()
	vars := map[string]string{"BASE": httpSrv.URL}
	dir := t.TempDir()
	examples := parseAPIDoc(t, string(doc))
	if len(examples) < 20 {
		t.Fatalf("found only %d examples in docs/API.md", len(examples))
	}
	for i, ex := range examples {
		// A shell function in front of curl prints the status after the body.
		script := "curl() { command curl -sS -w '\\n%{http_code}' \"$@\"; }\n" + ex.script
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = os.Environ()
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("example %d (%s) failed: %v\n%s", i, ex.heading, err, ex.script)
		}
		text := strings.TrimRight(string(out), "\n")
		cut := strings.LastIndexByte(text, '\n')
		body, statusText := text[:max(cut, 0)], text[cut+1:]
		status, _ := strconv.Atoi(statusText)
		ok := status == ex.expect || (ex.expect == 0 && status >= 200 && status < 300)
		if !ok {
			t.Fatalf("example %d (%s): status %d, want %v\n%s\nbody: %s", i, ex.heading, status, ex.expect, ex.script, body)
		}
		for name, path := range ex.saves {
			v, err := jsonPath([]byte(body), path)
			if err != nil {
				t.Fatalf("example %d (%s): saving %s from %s: %v\nbody: %s", i, ex.heading, name, path, err, body)
			}
			vars[name] = v
		}
	}
}

// jsonPath extracts a value by a dotted path (numbers index arrays) as the
// text a shell variable would hold.
func jsonPath(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				return "", fmt.Errorf("no element %q", part)
			}
			v = x[i]
		default:
			return "", fmt.Errorf("no field %q", part)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", fmt.Errorf("%s is missing", path)
	default:
		b, _ := json.Marshal(x)
		return string(b), nil
	}
}

// TestEveryAPIRouteIsDocumented: each route under /api, /stimuli and
// /healthz has a "### METHOD /path" section in docs/API.md.
func TestEveryAPIRouteIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(doc), -1) {
		path, _, _ := strings.Cut(m[2], "?")
		documented[m[1]+" "+path] = true
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	srv := server.New(server.Config{})
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/stimuli/") && r.Path != "/healthz" {
			continue
		}
		if r.Method == "echo_route_any" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		path = strings.Replace(path, "/stimuli/{file}", "/stimuli/{sealed}.png", 1)
		if !documented[r.Method+" "+path] {
			t.Errorf("%s %s is not documented in docs/API.md", r.Method, path)
		}
	}
}

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// End-to-end tests: real headless Chromium (chromedp) against the real
// server on a real Postgres database, driven by key presses and clicks the
// way a participant would.

// chromePath finds the browser: CHROME_PATH, else chromium or chrome on the
// PATH. Without one the tests skip, unless MCCOLLOUGH_REQUIRE_BROWSER=1
// (set in CI) makes that a failure.
func chromePath(t testing.TB) string {
	t.Helper()
	required := os.Getenv("MCCOLLOUGH_REQUIRE_BROWSER") == "1"
	if testing.Short() && !required {
		t.Skip("browser tests skipped in -short mode")
	}
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if required {
		t.Fatal("MCCOLLOUGH_REQUIRE_BROWSER=1 but no Chromium/Chrome was found: install chromium or set CHROME_PATH")
	}
	t.Skip("browser tests skipped: no Chromium/Chrome found (install chromium or set CHROME_PATH; MCCOLLOUGH_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile (so a fresh
// localStorage) for the test, and returns its tab's context.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := chromePath(t)
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in first-out)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		// No outgoing connections of the browser's own (they are refused on
		// CI machines and would only add noise).
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		// Keep the page's animation frames coming at the display rate even
		// though no window is visible.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		// The screen, which full screen fills: headless Chromium's default
		// is 800 × 600, too small for a screened study's window rule.
		chromedp.Flag("screen-info", "{1280x900}"),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	// The page's console goes to the test log when the test fails.
	var mu sync.Mutex
	var lines []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, fmt.Sprintf("[%s] %s", m.Type, m.Text))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range lines {
				t.Log("console:", l)
			}
		}
	})
	return ctx
}

// apiLog records what reached the server: trial PUTs with their statuses,
// the number of stored trials at each POST /complete, and every request of
// the runner's (API and step fragments) with its answer.
type apiLog struct {
	mu        sync.Mutex
	puts      map[int][]int
	completes []int
	runner    []answered
}

// answered is a request and the status it got.
type answered struct {
	method, path string
	status       int
}

// requests is the runner's requests answered so far.
func (l *apiLog) requests() []answered {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runner)
}

var (
	putTrialPath = regexp.MustCompile(`^/api/v1/sessions/([^/]+)/trials/(\d+)$`)
	completePath = regexp.MustCompile(`^/api/v1/sessions/([^/]+)/complete$`)
)

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// e2eServer is the real server on a real socket, its database, and a log
// of the requests that matter to the tests.
type e2eServer struct {
	*testServer
	url string
	log *apiLog
}

func newE2EServer(t *testing.T) *e2eServer {
	t.Helper()
	ts := newTestServer(t)
	l := &apiLog{puts: map[int][]int{}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/s/") {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			w = rec
			defer func() {
				l.mu.Lock()
				l.runner = append(l.runner, answered{r.Method, r.URL.Path, rec.status})
				l.mu.Unlock()
			}()
		}
		if m := completePath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
			// How many trials are stored when the runner asks to complete?
			var n int
			if err := ts.sql.QueryRow(r.Context(), `SELECT count(*) FROM trials WHERE session_id = $1`, m[1]).Scan(&n); err != nil {
				n = -1
			}
			l.mu.Lock()
			l.completes = append(l.completes, n)
			l.mu.Unlock()
		}
		if m := putTrialPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPut {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			ts.srv.ServeHTTP(rec, r)
			i, _ := strconv.Atoi(m[2])
			l.mu.Lock()
			l.puts[i] = append(l.puts[i], rec.status)
			l.mu.Unlock()
			return
		}
		ts.srv.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	return &e2eServer{testServer: ts, url: hs.URL, log: l}
}

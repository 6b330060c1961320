package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
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

// pageState is what the bot reads from the page on every poll.
type pageState struct {
	State  string `json:"state"`
	Trial  string `json:"trial"`
	Tint   string `json:"tint"`
	Banner bool   `json:"banner"`
	Href   string `json:"href"`
	Fatal  string `json:"fatal"`
}

const readState = `({
	state: document.body.dataset.state || "",
	trial: document.body.dataset.trial || "",
	tint: document.body.dataset.tint || "",
	banner: !(document.getElementById("net-banner")?.hidden ?? true),
	href: location.href,
	fatal: document.getElementById("fatal-message")?.textContent || "",
})`

// participant is the bot: it polls the page's state and acts as a person
// would (clicks, key presses). Hooks run first and may take over a poll.
type participant struct {
	t   *testing.T
	ctx context.Context
	// hook is called on every poll; returning true skips the default action.
	hook func(st pageState) bool
	// answers counts the answers given per trial index.
	answers map[int]int
	// adjustSteps is how many → presses the bot makes in adjustment trials.
	adjustSteps int
	adjustStep  float64
	adjusting   map[int]float64 // trial -> target tint
	// pick chooses the patch (0…) of a screening trial; nil leaves the
	// colour check to a hook.
	pick          func(trial int) int
	lastAction    string
	actedAt       time.Time
	screenRetries int
	states        []string // distinct states in the order seen
}

func newParticipant(t *testing.T, ctx context.Context) *participant {
	return &participant{t: t, ctx: ctx, answers: map[int]int{}, adjusting: map[int]float64{}}
}

func (p *participant) state() (pageState, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[pageState](readState))
}

// do runs an action with a timeout, so a stale click cannot hang the test.
func (p *participant) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func (p *participant) click(sel string) {
	if err := p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		p.t.Logf("click %s: %v", sel, err)
	}
}

func (p *participant) key(keys string) {
	if err := p.do(chromedp.KeyEvent(keys)); err != nil {
		p.t.Logf("key %q: %v", keys, err)
	}
}

// open loads the study link.
func (p *participant) open(url string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("opening %s: %v", url, err)
	}
}

// run takes part until the page shows the completion code (or stop says
// so). It fails when the page stays in one state for stall: a busy machine
// may make a session slow, but never stuck.
func (p *participant) run(stall time.Duration, stop func(pageState) bool) pageState {
	p.t.Helper()
	deadline := time.Now().Add(stall)
	var st pageState
	seen := ""
	for time.Now().Before(deadline) {
		var err error
		st, err = p.state()
		if err != nil { // e.g. while the page reloads
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if len(p.states) == 0 || p.states[len(p.states)-1] != st.State {
			p.states = append(p.states, st.State)
		}
		if now := st.State + "/" + st.Trial; now != seen {
			seen, deadline = now, time.Now().Add(stall)
		}
		if stop != nil && stop(st) {
			return st
		}
		if p.hook != nil && p.hook(st) {
			continue
		}
		trial, _ := strconv.Atoi(st.Trial)
		action := st.State + "/" + st.Trial
		if action == p.lastAction && time.Since(p.actedAt) < 3*time.Second {
			// Already acted on this state; give the page time to move on.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		acted := true
		switch st.State {
		case "consent":
			p.click("#consent-yes")
		case "screen-check":
			p.click("#check-start")
		case "welcome-back":
			p.click("#welcome-continue")
		case "instructions", "block-start", "induction-start":
			p.click("#step [data-next]")
		case "induction-paused":
			p.click("#step [data-resume]")
		case "debrief":
			p.click("#step [data-finish]")
		case "respond":
			// Reddish for even trials, greenish for odd ones, given every
			// way a participant can: R/G, ←/→, or the on-screen buttons.
			p.answers[trial]++
			switch trial % 6 {
			case 0:
				p.key("r")
			case 1:
				p.key("g")
			case 2:
				p.key(kb.ArrowLeft)
			case 3:
				p.key(kb.ArrowRight)
			case 4:
				p.click(`#step [data-response="red"]`)
			case 5:
				p.click(`#step [data-response="green"]`)
			}
		case "adjust":
			acted = p.adjust(trial, st)
		case "screening":
			if acted = p.pick != nil; acted {
				// By number key on even trials, by click on odd ones.
				k := p.pick(trial)
				p.answers[trial]++
				if trial%2 == 0 {
					p.key(strconv.Itoa(k + 1))
				} else {
					p.click(fmt.Sprintf(`#step button[name="pick"][value="%d"]`, k))
				}
			}
		case "finished":
			return st
		case "screen-fail":
			// The screen check found the frames irregular, as it may while
			// other work saturates the CPU: try again, as a participant would.
			p.screenRetries++
			if p.screenRetries > 30 {
				p.t.Fatalf("the screen check failed %d times: %s", p.screenRetries, text(p.t, p.ctx, "#check-status"))
			}
			p.t.Logf("screen check failed (%s); trying again", text(p.t, p.ctx, "#check-status"))
			p.click("#check-start")
		case "error", "declined":
			p.t.Fatalf("the page is in state %q: %s", st.State, st.Fatal)
		default:
			acted = false
		}
		if acted {
			p.lastAction, p.actedAt = action, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("stuck for %v in state %+v; states seen %v", stall, st, p.states)
	return st
}

// adjust presses → adjustSteps times, waits until the pattern on the screen
// has that tint, then confirms with Enter.
func (p *participant) adjust(trial int, st pageState) bool {
	shown, err := strconv.ParseFloat(st.Tint, 64)
	if err != nil {
		return false
	}
	target, pressed := p.adjusting[trial]
	if !pressed {
		p.adjusting[trial] = shown + float64(p.adjustSteps)*p.adjustStep
		p.key(strings.Repeat(kb.ArrowRight, p.adjustSteps))
		return false // come back to confirm
	}
	if math.Abs(shown-target) > 1e-9 {
		return false
	}
	p.answers[trial]++
	p.key(kb.Enter)
	return true
}

// checkOneToOne: the stimulus canvas shows one image pixel per device
// pixel, on the device pixel grid.
func checkOneToOne(t *testing.T, ctx context.Context, sizePx int, dpr float64) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const c = document.querySelector("#step canvas.stage"), r = c.getBoundingClientRect(), d = devicePixelRatio;
		return [c.width, c.height, r.width * d, r.height * d, r.left * d, r.top * d, d];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	size := float64(sizePx)
	frac := func(x float64) float64 { return math.Abs(x - math.Round(x)) }
	if got[0] != size || got[1] != size || math.Abs(got[2]-size) > 1e-6 || math.Abs(got[3]-size) > 1e-6 ||
		frac(got[4]) > 1e-3 || frac(got[5]) > 1e-3 || got[6] != dpr {
		t.Fatalf("stage [backing w, h, device w, h, device left, top, dpr] = %v; want %g px at dpr %g on the pixel grid", got, size, dpr)
	}
}

// storedTrial is a row of trials as the tests compare it with the plan.
type storedTrial struct {
	Index     int
	Phase     string
	Pattern   string
	Tint      float64
	Response  string
	Setting   *float64
	RT        float64
	Onset     float64
	Intended  float64
	Measured  float64
	Frames    int
	Dropped   int
	CreatedAt time.Time
}

func (ts *testServer) storedTrials(sessionID string) []storedTrial {
	ts.t.Helper()
	rows, err := ts.sql.Query(context.Background(), `
		SELECT trial_index, phase, pattern, tint, response, setting, rt_ms, onset_ms, intended_ms, measured_ms, frames, dropped_frames, created_at
		FROM trials WHERE session_id = $1 ORDER BY trial_index`, sessionID)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer rows.Close()
	var out []storedTrial
	for rows.Next() {
		var r storedTrial
		if err := rows.Scan(&r.Index, &r.Phase, &r.Pattern, &r.Tint, &r.Response, &r.Setting, &r.RT, &r.Onset,
			&r.Intended, &r.Measured, &r.Frames, &r.Dropped, &r.CreatedAt); err != nil {
			ts.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		ts.t.Fatal(err)
	}
	return out
}

// onlySession is the one session of the test's study, with its plan.
func (ts *testServer) onlySession() (string, experiments.Plan, experiments.ScreenInfo, string) {
	ts.t.Helper()
	var id, status string
	var plan, screen []byte
	err := ts.sql.QueryRow(context.Background(), `SELECT id, plan, screen, status FROM sessions`).Scan(&id, &plan, &screen, &status)
	if err != nil {
		ts.t.Fatalf("expected exactly one session: %v", err)
	}
	var p experiments.Plan
	var s experiments.ScreenInfo
	if err := json.Unmarshal(plan, &p); err != nil {
		ts.t.Fatal(err)
	}
	if err := json.Unmarshal(screen, &s); err != nil {
		ts.t.Fatal(err)
	}
	return id, p, s, status
}

func (ts *testServer) eventKinds(sessionID string) []string {
	ts.t.Helper()
	rows, err := ts.sql.Query(context.Background(), `SELECT kind FROM events WHERE session_id = $1 ORDER BY seq`, sessionID)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer rows.Close()
	var kinds []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			ts.t.Fatal(err)
		}
		kinds = append(kinds, k)
	}
	return kinds
}

func (ts *testServer) countEvents(sessionID, kind, dataContains string) int {
	ts.t.Helper()
	return ts.countRows(`SELECT count(*) FROM events WHERE session_id = $1 AND kind = $2 AND data::text LIKE '%' || $3 || '%'`,
		sessionID, kind, dataContains)
}

// checkTrialsMatchPlan: every required trial of the plan is stored exactly
// once, with the planned phase and pattern and (constant stimuli) tint.
func checkTrialsMatchPlan(t *testing.T, plan experiments.Plan, stored []storedTrial) {
	t.Helper()
	var want []int
	for _, tr := range plan.Trials {
		if tr.Required && tr.Method != experiments.Staircase {
			want = append(want, tr.Index)
		}
	}
	got := map[int]storedTrial{}
	for _, s := range stored {
		if _, dup := got[s.Index]; dup {
			t.Fatalf("trial %d stored twice", s.Index)
		}
		got[s.Index] = s
	}
	for _, i := range want {
		s, ok := got[i]
		if !ok {
			t.Fatalf("planned trial %d is not stored (stored: %d rows)", i, len(stored))
		}
		p := plan.Trials[i]
		if s.Phase != string(p.Phase) || s.Pattern != p.Pattern {
			t.Fatalf("trial %d stored as %s/%s, planned %s/%s", i, s.Phase, s.Pattern, p.Phase, p.Pattern)
		}
		if p.Tint != nil && math.Abs(s.Tint-*p.Tint) > 1e-9 {
			t.Fatalf("trial %d stored with tint %g, planned %g", i, s.Tint, *p.Tint)
		}
	}
	for _, s := range stored {
		if s.Index < 0 || s.Index >= len(plan.Trials) {
			t.Fatalf("stored trial %d is outside the plan", s.Index)
		}
	}
}

// shortStudy is a quick study for the browser: a 10 s induction switching
// every second, 2 tints × 2 patterns per test phase, 300 ms stimuli.
func shortStudy(slug string) experiments.Definition {
	d := shortDefinition(slug)
	d.SizePx = 256
	d.Test.DurationMS = 300
	return d.WithDefaults()
}

func studyLink(base, slug, pid string) string {
	return fmt.Sprintf("%s/s/%s?PROLIFIC_PID=%s&STUDY_ID=st1&SESSION_ID=se1", base, slug, pid)
}

// timingReport checks what must hold of the recorded stimulus durations
// however busy the machine: every timed stimulus has a measured duration
// that agrees with its frame count, none was cut short (by more than a
// frame), and one that ran over by more than a frame has dropped frames
// recorded. It logs the accuracy (the share within ±1 frame of the
// intended duration, which a loaded CPU lowers) for BENCHMARKS.md.
func timingReport(t *testing.T, stored []storedTrial, screen experiments.ScreenInfo) {
	t.Helper()
	if screen.RefreshHz <= 0 {
		t.Fatalf("the session's screen info has no refresh rate: %+v", screen)
	}
	period := 1000 / screen.RefreshHz
	const slack = 0.5 // ms: timestamps are rounded to 0.1 ms or coarser
	var errs []float64
	within, dropped := 0, 0
	for _, s := range stored {
		if s.Intended <= 0 {
			continue // adjustment: no fixed duration
		}
		if s.Measured <= 0 || s.Frames <= 0 {
			t.Fatalf("trial %d has no measured duration: %+v", s.Index, s)
		}
		if math.Abs(float64(s.Frames)*period-s.Measured) > period/2+slack {
			t.Errorf("trial %d: %d frames recorded for %.1f ms at %.2f Hz", s.Index, s.Frames, s.Measured, screen.RefreshHz)
		}
		d := s.Measured - s.Intended
		if d < -period-slack {
			t.Errorf("trial %d was shown %.1f ms instead of %.0f ms: cut short", s.Index, s.Measured, s.Intended)
		}
		if d > period+slack && s.Dropped == 0 {
			t.Errorf("trial %d ran %.1f ms over with no dropped frame recorded", s.Index, d)
		}
		errs = append(errs, d)
		if math.Abs(d) <= period+slack {
			within++
		}
		dropped += s.Dropped
	}
	if len(errs) == 0 {
		t.Fatal("no timed stimuli stored")
	}
	sort.Float64s(errs)
	t.Logf("timing: refresh %.2f Hz (sd %.2f ms, dpr %g); %d stimuli, %.1f%% within ±1 frame (%.2f ms) of intended; "+
		"measured−intended ms: min %.1f, median %.1f, max %.1f; dropped frames total %d",
		screen.RefreshHz, screen.RefreshSDMS, screen.DevicePixelRatio, len(errs), 100*float64(within)/float64(len(errs)), period,
		errs[0], errs[len(errs)/2], errs[len(errs)-1], dropped)
}

func TestBrowserFullSession(t *testing.T) {
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-full")
	d.Test.Tints = []float64{-4, -2, 2, 4}       // 16 timed stimuli in all
	d.CompletionURL = es.url + "/done?cc={code}" // a local page, so the redirect can be observed
	es.addStudy(d, storage.StatusOpen)

	start := time.Now()
	p := newParticipant(t, ctx)
	checked := false
	p.hook = func(st pageState) bool {
		if st.State == "respond" && !checked {
			checked = true
			checkOneToOne(t, ctx, d.SizePx, 1)
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-full", "p-full"))
	p.run(90*time.Second, nil)
	t.Logf("session completed in %v; states %v", time.Since(start).Round(time.Millisecond), p.states)

	id, plan, screen, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("session status %q", status)
	}
	stored := es.storedTrials(id)
	checkTrialsMatchPlan(t, plan, stored)
	if len(stored) != len(plan.Trials) {
		t.Fatalf("%d trials stored, plan has %d", len(stored), len(plan.Trials))
	}
	for _, s := range stored {
		want := "red"
		if s.Index%2 == 1 {
			want = "green"
		}
		if s.Response != want || s.RT <= 0 || s.Onset <= 0 {
			t.Fatalf("trial %d stored %+v; the bot answered %s", s.Index, s, want)
		}
	}
	if screen.DevicePixelRatio <= 0 || screen.Viewport == nil || screen.Viewport.Width <= 0 {
		t.Fatalf("screen info %+v", screen)
	}
	timingReport(t, stored, screen)

	// The events tell the session's story.
	kinds := es.eventKinds(id)
	for _, k := range []string{"screen_check", "test_start", "test_end", "induction_start", "induction_end"} {
		if !slices.Contains(kinds, k) {
			t.Fatalf("no %s event; events: %v", k, kinds)
		}
	}
	// Completion was asked for once, with everything stored, and the page
	// then went to the completion URL with the code.
	if len(es.log.completes) != 1 || es.log.completes[0] != len(plan.Trials) {
		t.Fatalf("POST /complete saw %v stored trials, want once with %d", es.log.completes, len(plan.Trials))
	}
	var code string
	if err := es.sql.QueryRow(context.Background(), `SELECT completion_code FROM sessions WHERE id = $1`, id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	p.run(10*time.Second, func(st pageState) bool { return strings.Contains(st.Href, "/done?cc="+code) })

	// Reopening the link shows the completion code again.
	p.open(studyLink(es.url, "e2e-full", "p-full"))
	p.run(15*time.Second, func(st pageState) bool { return st.State == "finished" })
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#completion-code")))
	if err != nil || strings.TrimSpace(text) != code {
		t.Fatalf("reopened link shows code %q (%v), want %q", text, err, code)
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions after reopening the link", n)
	}
}

func TestBrowserReloadResumes(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(shortStudy("e2e-reload"), storage.StatusOpen)

	p := newParticipant(t, ctx)
	reloads := 0
	inductionSeen := time.Time{}
	var resumedIntro, resumedProgress string
	p.hook = func(st pageState) bool {
		switch {
		case reloads == 1 && st.State == "block-start" && resumedIntro == "":
			resumedIntro = text(t, ctx, "#step [data-intro]")
		case reloads == 1 && st.State == "respond" && resumedProgress == "":
			resumedProgress = text(t, ctx, "#step [data-progress]")
		case reloads == 0 && st.State == "respond" && st.Trial == "2":
			// In the middle of the baseline, with an answer pending.
			reloads++
			if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			return true
		case reloads == 1 && st.State == "induction":
			if inductionSeen.IsZero() {
				inductionSeen = time.Now()
			}
			if time.Since(inductionSeen) > 3*time.Second { // part-way through the 10 s induction
				reloads++
				if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
					t.Fatal(err)
				}
				return true
			}
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-reload", "p-reload"))
	start := time.Now()
	p.run(120*time.Second, nil)
	t.Logf("session with 2 reloads completed in %v", time.Since(start).Round(time.Millisecond))
	if reloads != 2 {
		t.Fatalf("%d reloads happened, want 2", reloads)
	}
	// The resumed block's intro and counter agree: 4 patterns, 2 done.
	wantText(t, resumedIntro, "4 patterns.", "2 of them are already done.")
	if resumedProgress != "3 of 4" {
		t.Fatalf("the resumed block counts %q, want \"3 of 4\"", resumedProgress)
	}
	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	stored := es.storedTrials(id)
	checkTrialsMatchPlan(t, plan, stored)
	// No trial was presented (and answered) again once stored: the bot
	// answered each exactly once (trial 2 was interrupted before its answer).
	for _, tr := range plan.Trials {
		if p.answers[tr.Index] != 1 {
			t.Fatalf("trial %d answered %d times; answers %v", tr.Index, p.answers[tr.Index], p.answers)
		}
	}
	for i, statuses := range es.log.puts {
		for _, s := range statuses[1:] {
			if s != http.StatusOK { // only an idempotent resend of a stored answer may repeat
				t.Fatalf("trial %d PUT statuses %v", i, statuses)
			}
		}
	}
	if n := es.countEvents(id, "resume", ""); n != 2 {
		t.Fatalf("%d resume events, want 2", n)
	}
	// The interrupted induction started again from the beginning and ran to its end.
	if es.countEvents(id, "induction_restart", `"reload"`) != 1 || es.countEvents(id, "induction_end", "") != 1 {
		t.Fatalf("induction events: %v", es.eventKinds(id))
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions after reloading", n)
	}
}

// setAPIBlocked cuts (or restores) the page's access to /api/ with the
// DevTools protocol, as a lost connection would.
func setAPIBlocked(ctx context.Context, blocked bool) error {
	patterns := []*network.BlockPattern{}
	if blocked {
		patterns = append(patterns, &network.BlockPattern{URLPattern: "*://*:*/api/*", Block: true})
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns})
	return err
}

func TestBrowserNetworkCut(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(shortStudy("e2e-offline"), storage.StatusOpen)

	p := newParticipant(t, ctx)
	// The participant is offline for 30 s (issue: "a browser offline for
	// 30 s ⇒ all trials arrive"), answering at least 4 trials meanwhile.
	const offlineFor = 30 * time.Second
	var blockedSince time.Time
	blockedAt, answeredOffline, bannerSeen, maxQueued := -1, 0, false, 0
	p.hook = func(st pageState) bool {
		switch {
		case blockedAt < 0 && st.State == "respond" && st.Trial == "1":
			if err := setAPIBlocked(ctx, true); err != nil {
				t.Fatal(err)
			}
			blockedAt, blockedSince = len(p.answers), time.Now()
		case blockedAt >= 0 && answeredOffline >= 0:
			bannerSeen = bannerSeen || st.Banner
			answeredOffline = len(p.answers) - blockedAt
			q, _ := chromedp.Run(ctx, chromedp.Evaluate[int](
				`Object.keys((JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith("mccollough:queue:"))) || "{}").trials) || {}).length`))
			maxQueued = max(maxQueued, q)
			if answeredOffline >= 4 && time.Since(blockedSince) >= offlineFor {
				if err := setAPIBlocked(ctx, false); err != nil {
					t.Fatal(err)
				}
				answeredOffline = -1 // restored
			}
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-offline", "p-offline"))
	start := time.Now()
	p.run(120*time.Second, nil)
	t.Logf("session with a network cut completed in %v; at most %d trials waited in the local queue", time.Since(start).Round(time.Millisecond), maxQueued)
	if blockedAt < 0 || answeredOffline != -1 {
		t.Fatalf("the network cut did not happen as planned (blocked at %d, offline answers %d)", blockedAt, answeredOffline)
	}
	if !bannerSeen {
		t.Fatal("the connection banner never showed while the API was unreachable")
	}
	if maxQueued < 3 {
		t.Fatalf("at most %d trials were queued locally during the cut", maxQueued)
	}
	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	stored := es.storedTrials(id)
	checkTrialsMatchPlan(t, plan, stored)
	if len(stored) != len(plan.Trials) {
		t.Fatalf("%d trials stored, plan has %d", len(stored), len(plan.Trials))
	}
	// /complete came once, after every trial had arrived.
	if len(es.log.completes) != 1 || es.log.completes[0] != len(plan.Trials) {
		t.Fatalf("POST /complete saw %v stored trials, want once with %d", es.log.completes, len(plan.Trials))
	}
}

// TestBrowserStaircaseSession runs on a high-density screen
// (devicePixelRatio 2) too.
func TestBrowserStaircaseSession(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, chromedp.Flag("force-device-scale-factor", "2"))
	es := newE2EServer(t)
	d := shortStudy("e2e-staircase")
	d.Induction.DurationS, d.Induction.SwitchS = 2, 1
	d.Test.Method = experiments.Staircase
	d.Test.Tints, d.Test.Repeats = nil, 0
	d.Test.Staircase = &experiments.StaircaseParams{StartTint: 8, Steps: []float64{4, 2}, MaxReversals: 2, MaxTrials: 3}
	es.addStudy(d.WithDefaults(), storage.StatusOpen)

	p := newParticipant(t, ctx)
	checked := false
	p.hook = func(st pageState) bool {
		if st.State == "respond" && !checked {
			checked = true
			checkOneToOne(t, ctx, d.SizePx, 2)
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-staircase", "p-stair"))
	start := time.Now()
	p.run(90*time.Second, nil)
	t.Logf("staircase session completed in %v", time.Since(start).Round(time.Millisecond))

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	stored := es.storedTrials(id)
	// Every stored answer is the tint the staircase rule asked for (the
	// server validated each); replaying them gives finished blocks.
	var responses []experiments.Response
	for _, s := range stored {
		responses = append(responses, experiments.Response{Index: s.Index, Tint: s.Tint, Response: s.Response})
	}
	for _, st := range plan.Steps {
		if st.TestBlock == nil {
			continue
		}
		if _, done, err := experiments.NextStaircaseTrial(plan, st.Block, responses); err != nil || !done {
			t.Fatalf("block %d: done=%v err=%v after %d stored trials", st.Block, done, err, len(stored))
		}
	}
	if missing := experiments.MissingRequired(plan, responses); len(missing) > 0 {
		t.Fatalf("missing required trials %v", missing)
	}
	for _, s := range stored {
		if s.Measured <= 0 || s.Intended != 300 {
			t.Fatalf("trial %d timing %+v", s.Index, s)
		}
	}
	t.Logf("%d staircase trials stored", len(stored))
}

func TestBrowserAdjustmentSession(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-adjust")
	d.Induction.DurationS, d.Induction.SwitchS = 2, 1
	d.Test.Method = experiments.Adjustment
	d.Test.Tints, d.Test.Repeats = nil, 0
	d.Test.Adjustment = &experiments.AdjustmentParams{StartMin: 1, StartRange: 3, Step: 0.5, TrialsPerPattern: 1}
	d.Test.CatchTrials = 1 // a red/green question among the settings
	es.addStudy(d.WithDefaults(), storage.StatusOpen)

	// This browser refuses full screen, as some do (and some participants).
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Element.prototype.requestFullscreen = () => Promise.reject(new TypeError("Permissions check failed"));`,
	}); err != nil {
		t.Fatal(err)
	}
	p := newParticipant(t, ctx)
	p.adjustSteps, p.adjustStep = 2, 0.5
	p.open(studyLink(es.url, "e2e-adjust", "p-adjust"))
	start := time.Now()
	p.run(90*time.Second, nil)
	t.Logf("adjustment session completed in %v", time.Since(start).Round(time.Millisecond))

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	stored := es.storedTrials(id)
	checkTrialsMatchPlan(t, plan, stored)
	catches := 0
	for _, s := range stored {
		if tr := plan.Trials[s.Index]; tr.Catch {
			catches++
			if s.Setting != nil || (s.Response != "red" && s.Response != "green") || s.Tint != *tr.Tint {
				t.Fatalf("catch trial %d stored as %+v", s.Index, s)
			}
			continue
		}
		want := *plan.Trials[s.Index].StartTint + 2*0.5 // two → presses from the start tint
		if s.Setting == nil || math.Abs(*s.Setting-want) > 1e-9 || math.Abs(s.Tint-want) > 1e-9 {
			t.Fatalf("trial %d stored setting %v tint %g, want %g", s.Index, s.Setting, s.Tint, want)
		}
		if s.RT <= 0 || s.Measured <= 0 {
			t.Fatalf("trial %d timing %+v", s.Index, s)
		}
	}
	if catches != 2 {
		t.Fatalf("%d catch trials stored, want one per block", catches)
	}
	if es.countEvents(id, "fullscreen_refused", "") == 0 || es.countEvents(id, "fullscreen_enter", "") != 0 {
		t.Fatalf("full screen refusals not recorded: %v", es.eventKinds(id))
	}
}

// TestBrowserInductionInterrupted leaves full screen twice during the
// induction: a short break resumes it, a long one starts it again.
func TestBrowserInductionInterrupted(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-pause")
	d.Induction.DurationS, d.Induction.SwitchS = 4, 1
	es.addStudy(d.WithDefaults(), storage.StatusOpen)

	p := newParticipant(t, ctx)
	exits, resumes := 0, 0
	var pausedAt time.Time
	p.hook = func(st pageState) bool {
		switch st.State {
		case "induction":
			if exits < 2 {
				exits++
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.exitFullscreen(), true)`)); err != nil {
					t.Fatalf("leaving full screen: %v", err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			return true // nothing to do while it plays
		case "induction-paused":
			if pausedAt.IsZero() {
				pausedAt = time.Now()
			}
			away := time.Second
			if exits == 2 {
				away = 6 * time.Second // longer than restart_after_ms
			}
			if time.Since(pausedAt) < away {
				return true
			}
			pausedAt = time.Time{}
			resumes++
			p.click("#step [data-resume]")
			return true
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-pause", "p-pause"))
	start := time.Now()
	p.run(90*time.Second, nil)
	t.Logf("session with two breaks in the induction completed in %v", time.Since(start).Round(time.Millisecond))
	if exits != 2 || resumes != 2 {
		t.Fatalf("%d exits, %d resumes", exits, resumes)
	}
	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	for kind, want := range map[string]int{"fullscreen_exit": 2, "induction_pause": 2, "induction_resume": 1, "induction_restart": 1, "induction_end": 1} {
		if got := es.countEvents(id, kind, ""); got < want || (kind != "fullscreen_exit" && got != want) {
			t.Fatalf("%d %s events, want %d; events %v", got, kind, want, es.eventKinds(id))
		}
	}
	if es.countEvents(id, "induction_restart", `"fullscreen_exit"`) != 1 {
		t.Fatalf("the restart does not name its reason: %v", es.eventKinds(id))
	}
}

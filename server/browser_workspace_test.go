package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserWorkspacePairToOpenExperiment drives the researcher workspace
// in real headless Chromium (newBrowser, browser_test.go; it skips without
// a browser unless MCCOLLOUGH_REQUIRE_BROWSER=1): sign in, define a pattern
// pair watching its live preview follow the typing, create an experiment
// from it, open it, and see the dashboard go live. Postgres then holds the
// pair and the open experiment made from it.
func TestBrowserWorkspacePairToOpenExperiment(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t)
	bg := context.Background()
	const email, password = "ada@example.org", "correct horse battery"
	researcher, err := ts.db.CreateResearcher(bg, email, password)
	if err != nil {
		t.Fatal(err)
	}
	// Every path the pages ask for that does not exist (a favicon, say).
	var mu sync.Mutex
	var missing []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		ts.srv.ServeHTTP(rec, r)
		if rec.status == http.StatusNotFound {
			mu.Lock()
			missing = append(missing, r.URL.Path)
			mu.Unlock()
		}
	}))
	t.Cleanup(hs.Close)

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// submit clicks a submit button and waits for the page it leads to.
	submit := func(what, sel string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		resp, err := chromedp.RunResponse(c, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status != 200 {
			t.Fatalf("%s: status %d at %s", what, resp.Status, resp.URL)
		}
		loc, err := chromedp.Run(c, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	// waitFor polls a JavaScript condition in the page.
	waitFor := func(what, expr string) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(c, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	// retype replaces an input's text by typing, as a person would
	// (chromedp.Clear only resets the value attribute, which does not
	// change an input the user already typed into).
	retype := func(id, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.getElementById("`+id+`").value = ""; null`),
			chromedp.SendKeys(chromedp.ID(id), text))
	}
	base := hs.URL

	// Sign in; the sign-in page sends us on to the page we asked for.
	do("open the pair editor", chromedp.Navigate(base+"/researcher/pairs/new"), chromedp.WaitVisible(chromedp.ID("email")))
	do("type credentials", chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password))
	if loc := submit("sign in", `form[action="/login"] button[type=submit]`); loc != base+"/researcher/pairs/new" {
		t.Fatalf("after sign-in at %s", loc)
	}

	// The editor's module runs (CSP allows it) and the preview follows
	// the typing: circles with a 40 px period, in all three colourings.
	waitFor("the editor script", `document.querySelector("form[data-editor]")?.dataset.editorReady === "true"`)
	do("name the pair", chromedp.SendKeys(chromedp.ID("f-name"), "Rings vs lines"))
	do("choose circles for A", chromedp.SetValue(chromedp.ID("f-a-kind"), "circles"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-a-kind").dispatchEvent(new Event("change", {bubbles: true})); null`))
	do("type A's period", retype("f-a-period_px", "40"))
	const previewA = `[...document.querySelectorAll('fieldset[data-pattern="a"] img[data-preview]')]`
	waitFor("A's previews of the typed pattern", previewA+`.every(img => {
		const src = decodeURIComponent(img.src);
		return img.complete && img.naturalWidth > 0 && src.includes('"kind":"circles"') && src.includes('"period_px":40');
	})`)
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('fieldset[data-pattern="a"] [data-kinds="radial"]').hidden`))
	if err != nil || !hidden {
		t.Errorf("the radial-only field is shown for circles (%v)", err)
	}
	hidden, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('fieldset[data-pattern="a"] [data-field="orientation_deg"]').closest("[data-kinds]").hidden`))
	if err != nil || !hidden {
		t.Errorf("the orientation is shown for circles, which have none (%v)", err)
	}
	// A typo is explained in the preview's status line, not silently ignored.
	do("type a bad duty", retype("f-a-duty", "2"))
	waitFor("the preview's explanation", `document.querySelector('fieldset[data-pattern="a"] [data-preview-status]').textContent.includes("less than 1")`)
	do("fix the duty", retype("f-a-duty", "0.5"))
	waitFor("the status to clear", `document.querySelector('fieldset[data-pattern="a"] [data-preview-status]').textContent === ""`)

	loc := submit("create the pair", `form[data-editor] button[type=submit]`)
	m := regexp.MustCompile(`/researcher/pairs/(\d+)\?saved=created$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after creating the pair at %s", loc)
	}
	pairID, _ := strconv.ParseInt(m[1], 10, 64)

	// An experiment from the pair, then open it.
	do("open the new-experiment form", chromedp.Navigate(base+"/researcher/experiments/new"), chromedp.WaitVisible(chromedp.ID("f-slug")))
	do("fill it", chromedp.SendKeys(chromedp.ID("f-slug"), "rings-study"), chromedp.SendKeys(chromedp.ID("f-name"), "Rings study"),
		chromedp.SetValue(chromedp.ID("f-pair_id"), m[1]))
	if loc := submit("create the experiment", `form[action="/researcher/experiments"] button[type=submit]`); loc != base+"/researcher/experiments/rings-study/edit?saved=created" {
		t.Fatalf("after creating the experiment at %s", loc)
	}
	waitFor("the protocol editor's previews", `[...document.querySelectorAll('fieldset[data-pattern="pair.a"] img[data-preview]')].every(img => img.complete && img.naturalWidth > 0)`)
	waitFor("only the chosen method's parameters", `document.querySelector('[data-method="staircase"]').hidden && !document.querySelector('[data-method="constant_stimuli"]').hidden`)
	if loc := submit("open the experiment", `.status-panel button[type=submit]`); loc != base+"/researcher/experiments/rings-study/edit?status=open" {
		t.Fatalf("after opening at %s", loc)
	}

	// The dashboard polls its live part with the session cookie and shows
	// sessions as they come, withdrawn ones counted as such, within its
	// box; the study link can be copied.
	do("open the dashboard", chromedp.Navigate(base+"/researcher/experiments/rings-study"), chromedp.WaitVisible(chromedp.CSS("[data-live]")))
	waitFor("the live dashboard", `document.querySelector("[data-live]").dataset.state === "ok"`)
	ts.startSession("rings-study", map[string]any{"params": map[string]string{"PROLIFIC_PID": "5f3c1a2b4d6e8f0a1b2c3d4e"}, "screen": map[string]any{"refresh_hz": 59.94}})
	leaving := ts.startSession("rings-study", map[string]any{})
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+leaving.SessionID+"/withdraw", nil, auth(leaving.Token)...), http.StatusOK)
	waitFor("the new sessions on the dashboard", `document.querySelector("[data-summary]").textContent === "2 sessions: 1 in progress, 0 complete, 0 abandoned, 1 withdrawn."`)
	waitFor("the change announced", `document.querySelector("[data-live-announce]").textContent.startsWith("2 sessions")`)
	waitFor("the recent sessions listed", `document.querySelectorAll("table.sessions tbody tr").length === 2`)
	const within = `(() => {
		const box = document.querySelector("section.dashboard").getBoundingClientRect();
		return [...document.querySelectorAll("section.dashboard .table-scroll, section.dashboard table")].every(el => el.getBoundingClientRect().right <= box.right + 0.5)
			&& document.documentElement.scrollWidth <= document.documentElement.clientWidth;
	})()`
	inside, err := chromedp.Run(ctx, chromedp.Evaluate[bool](within))
	if err != nil || !inside {
		t.Errorf("the dashboard's tables overflow its box (%v)", err)
	}
	do("copy the study link", chromedp.Click(chromedp.CSS(`[data-copy="prolific-url"]`), chromedp.NodeVisible))
	waitFor("the copy confirmation", `document.querySelector("[data-copy-status]").textContent !== ""`)

	// Postgres has the pair and the open experiment made from it.
	var name string
	var spec []byte
	if err := ts.sql.QueryRow(bg, `SELECT name, spec FROM pattern_pairs WHERE id = $1 AND owner_id = $2`, pairID, researcher.ID).Scan(&name, &spec); err != nil {
		t.Fatalf("pair %d: %v", pairID, err)
	}
	var stored struct {
		A struct {
			Kind     string  `json:"kind"`
			PeriodPx float64 `json:"period_px"`
		} `json:"a"`
	}
	if err := json.Unmarshal(spec, &stored); err != nil || name != "Rings vs lines" || stored.A.Kind != "circles" || stored.A.PeriodPx != 40 {
		t.Fatalf("stored pair %q %s (%v)", name, spec, err)
	}
	var status string
	var expPair *int64
	if err := ts.sql.QueryRow(bg, `SELECT status, pair_id FROM experiments WHERE slug = 'rings-study' AND owner_id = $1`, researcher.ID).Scan(&status, &expPair); err != nil {
		t.Fatal(err)
	}
	if status != "open" || expPair == nil || *expPair != pairID {
		t.Fatalf("experiment status %q, pair %v (want open, %d)", status, expPair, pairID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(missing) > 0 {
		t.Errorf("the pages asked for what does not exist: %v", missing)
	}
}

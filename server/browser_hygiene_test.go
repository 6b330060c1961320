package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// End-to-end tests of study hygiene in real Chromium: the colour check,
// the screen rule, withdrawal and the researcher's preview.

// screenedStudy is the quick browser study with the default screening on
// (6 trials of 4 patches, at least 5 right, a window of 800 × 600 or more).
func screenedStudy(slug string) experiments.Definition {
	d := shortStudy(slug)
	d.Screening = nil
	return d.WithDefaults()
}

// targets answers the colour check from the plan stored in Postgres:
// rightly, or (wrong) always the patch after the tinted one.
func (es *e2eServer) targets(wrong bool) func(trial int) int {
	var plan *experiments.Plan
	return func(trial int) int {
		if plan == nil {
			_, p, _, _ := es.onlySession()
			plan = &p
		}
		tr := plan.Trials[trial]
		if tr.Method != experiments.MethodScreening || tr.Target == nil {
			es.t.Fatalf("trial %d is not a screening trial: %+v", trial, tr)
		}
		if wrong {
			return (*tr.Target + 1) % tr.Patches
		}
		return *tr.Target
	}
}

func (ts *testServer) sessionStatus(id string) (status, reason string) {
	ts.t.Helper()
	if err := ts.sql.QueryRow(context.Background(), `SELECT status, coalesce(status_reason, '') FROM sessions WHERE id = $1`, id).
		Scan(&status, &reason); err != nil {
		ts.t.Fatal(err)
	}
	return status, reason
}

func (ts *testServer) phases(id string) map[string]int {
	ts.t.Helper()
	out := map[string]int{}
	for _, tr := range ts.storedTrials(id) {
		out[tr.Phase]++
	}
	return out
}

// text is an element's text in the page.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func wantText(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("the page does not say %q:\n%s", w, got)
		}
	}
}

// (a) Wrong answers to the colour check end the session kindly before any
// test: screened out, nothing but the check's answers stored.
func TestBrowserScreeningFailEndsPolitely(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(screenedStudy("e2e-screen-fail"), storage.StatusOpen)

	p := newParticipant(t, ctx)
	p.pick = es.targets(true)
	link := studyLink(es.url, "e2e-screen-fail", "p-cvd")
	p.open(link)
	start := time.Now()
	p.run(60*time.Second, func(st pageState) bool { return st.State == "ended" })
	t.Logf("screened out after %v; states %v", time.Since(start).Round(time.Millisecond), p.states)

	id, plan, screen, status := es.onlySession()
	if _, reason := es.sessionStatus(id); status != experiments.StatusScreenedOut || reason != experiments.ScreenReasonColorVision {
		t.Fatalf("status %q (%s), want screened_out (color_vision)", status, reason)
	}
	if got := es.phases(id); len(got) != 1 || got["screening"] != 6 {
		t.Fatalf("stored trials by phase %v, want the 6 screening answers only", got)
	}
	for _, s := range es.storedTrials(id) {
		if s.Setting == nil || int(*s.Setting) == *plan.Trials[s.Index].Target || s.RT <= 0 {
			t.Fatalf("screening answer %+v; the bot picked a wrong patch", s)
		}
	}
	for _, st := range []string{"instructions", "block-start", "respond", "induction-start", "induction"} {
		if slices.Contains(p.states, st) {
			t.Fatalf("a screened-out participant reached %q: %v", st, p.states)
		}
	}
	if screen.Pointer == "" { // headless Chromium has no pointing device: "none"
		t.Fatalf("screen info %+v: pointer not sent", screen)
	}
	page := text(t, ctx, "#step")
	wantText(t, page, "full red–green colour vision", "1 in 12 men", "Nothing is wrong", "no test data was collected", id)
	if strings.Contains(page, "Start again") {
		t.Fatal("a participant screened out for colour vision is offered to retry the check")
	}

	// The reopened link shows the same page, and starts nothing new.
	p.open(link)
	p.run(15*time.Second, func(st pageState) bool { return st.State == "ended" })
	wantText(t, text(t, ctx, "#step"), "full red–green colour vision", id)
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions after reopening the link", n)
	}
}

// (b) Right answers lead on into the test, with every answer stored.
func TestBrowserScreeningPassContinues(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(screenedStudy("e2e-screen-pass"), storage.StatusOpen)

	p := newParticipant(t, ctx)
	p.pick = es.targets(false)
	p.open(studyLink(es.url, "e2e-screen-pass", "p-tri"))
	start := time.Now()
	p.run(90*time.Second, nil)
	t.Logf("screened session completed in %v; states %v", time.Since(start).Round(time.Millisecond), p.states)

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	stored := es.storedTrials(id)
	checkTrialsMatchPlan(t, plan, stored)
	if got := es.phases(id); got["screening"] != 6 || got["baseline"] != 4 || got["post"] != 4 {
		t.Fatalf("stored trials by phase %v", got)
	}
	for _, s := range stored {
		if tr := plan.Trials[s.Index]; tr.Method == experiments.MethodScreening &&
			(s.Setting == nil || int(*s.Setting) != *tr.Target || s.Tint != *tr.Tint) {
			t.Fatalf("screening answer %+v for %+v", s, tr)
		}
	}
	if i, j := slices.Index(p.states, "screening"), slices.Index(p.states, "instructions"); i < 0 || j < i {
		t.Fatalf("states %v: the colour check does not come before the instructions", p.states)
	}
	if es.countEvents(id, "screening_end", `"passed": true`) != 1 {
		t.Fatalf("no screening_end event: %v", es.eventKinds(id))
	}
}

// (c) A window below the study's minimum is asked to grow before anything
// is stored; once large enough, the session starts.
func TestBrowserSmallWindowAskedToEnlarge(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, chromedp.WindowSize(700, 500), chromedp.Flag("screen-info", "{700x500}"))
	es := newE2EServer(t)
	es.addStudy(screenedStudy("e2e-small"), storage.StatusOpen)

	p := newParticipant(t, ctx)
	p.open(studyLink(es.url, "e2e-small", "p-small"))
	p.run(30*time.Second, func(st pageState) bool { return st.State == "screen-small" })
	// Already in full screen, the window cannot grow: only a larger screen helps.
	status := text(t, ctx, "#check-status")
	wantText(t, status, "at least 800 × 600 pixels", "in full screen", "switch to a computer with a larger screen")
	if strings.Contains(status, "make the window larger") {
		t.Fatalf("a full-screen window is asked to grow: %q", status)
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions created for a window that is too small", n)
	}

	// Larger now: trying again starts the session and its colour check.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	p.click("#check-start")
	p.run(30*time.Second, func(st pageState) bool { return st.State == "screening" })
	_, _, screen, status := es.onlySession()
	if status != experiments.StatusStarted || screen.Viewport == nil || screen.Viewport.Width != 1280 {
		t.Fatalf("session %s with screen %+v", status, screen)
	}
}

// (d) Withdrawing in the middle of a session deletes every row of it and
// nothing of another participant's session.
func TestBrowserWithdrawMidSession(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(shortStudy("e2e-withdraw"), storage.StatusOpen)

	// Another participant's session, with answers and events.
	other := es.startSession("e2e-withdraw", map[string]any{"params": map[string]string{"PROLIFIC_PID": "stays"}})
	for i := range 2 {
		if c := es.put(other, i, answer("red", es.tint(other, i))); c != http.StatusCreated {
			t.Fatalf("PUT: %d", c)
		}
	}
	wantStatus(t, es.do(http.MethodPost, "/api/v1/sessions/"+other.SessionID+"/events",
		`{"events": [{"seq": 0, "kind": "visible", "t_ms": 1}, {"seq": 1, "kind": "hidden", "t_ms": 2}]}`, auth(other.Token)...), http.StatusOK)

	p := newParticipant(t, ctx)
	var id string
	withdrew := false
	p.hook = func(st pageState) bool {
		if st.State != "induction" || withdrew {
			return false
		}
		// Half-way: the baseline is stored, the induction plays.
		id = es.browserSession(other.SessionID)
		if es.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, id) < 4 ||
			es.countRows(`SELECT count(*) FROM events WHERE session_id = $1`, id) == 0 {
			return true // not all sent yet
		}
		withdrew = true
		p.click("#withdraw")
		if err := p.do(chromedp.WaitVisible(chromedp.CSS("#withdraw-dialog"))); err != nil {
			t.Fatalf("no confirmation dialog: %v", err)
		}
		wantText(t, text(t, ctx, "#withdraw-dialog"), "Withdraw from the study?", "deleted")
		p.click("#withdraw-yes")
		return true
	}
	p.open(studyLink(es.url, "e2e-withdraw", "p-leaves"))
	p.run(60*time.Second, func(st pageState) bool { return st.State == "ended" })
	if !withdrew {
		t.Fatalf("never withdrew; states %v", p.states)
	}
	wantText(t, text(t, ctx, "#step"), "You have withdrawn from the study", "deleted")
	if ref := text(t, ctx, "#session-ref"); ref != id {
		t.Fatalf("the confirmation shows reference %q, want the session id %s", ref, id)
	}
	// An answer still in flight when the participant withdrew (the page
	// sends them with keepalive) stores nothing: the server refuses it.
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem("mccollough:e2e-withdraw:p-leaves")).token`))
	if err != nil || token == "" {
		t.Fatalf("the page's session record: %q, %v", token, err)
	}
	var plan experiments.Plan
	var planJSON []byte
	if err := es.sql.QueryRow(context.Background(), `SELECT plan FROM sessions WHERE id = $1`, id).Scan(&planJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(planJSON, &plan); err != nil {
		t.Fatal(err)
	}
	late := createdSession{SessionID: id, Token: token}
	if code := es.put(late, 0, answer("red", *plan.Trials[0].Tint)); code < 400 || code >= 500 {
		t.Fatalf("a trial sent after withdrawing: %d, want a 4xx refusal", code)
	}
	status, _ := es.sessionStatus(id)
	trials := es.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, id)
	events := es.countRows(`SELECT count(*) FROM events WHERE session_id = $1`, id)
	params := es.countRows(`SELECT count(*) FROM sessions WHERE id = $1 AND (participant_ref <> '' OR params <> '{}' OR screen <> '{}')`, id)
	if status != experiments.StatusWithdrawn || trials != 0 || events != 0 || params != 0 {
		t.Fatalf("withdrawn session: status %s, %d trials, %d events, %d with identifying fields", status, trials, events, params)
	}
	if s, _ := es.sessionStatus(other.SessionID); s != experiments.StatusStarted ||
		es.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, other.SessionID) != 2 ||
		es.countRows(`SELECT count(*) FROM events WHERE session_id = $1`, other.SessionID) != 2 {
		t.Fatal("the other participant's session was touched")
	}
	queued, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Object.keys(localStorage).filter(k => k.startsWith("mccollough:queue:")).length`))
	if err != nil || queued != 0 {
		t.Fatalf("%d local queues left (%v)", queued, err)
	}

	// The reopened link shows the confirmation again, without a new session;
	// starting again is the participant's explicit choice.
	p.open(studyLink(es.url, "e2e-withdraw", "p-leaves"))
	p.run(15*time.Second, func(st pageState) bool { return st.State == "ended" })
	if ref := text(t, ctx, "#session-ref"); ref != id {
		t.Fatalf("reopened: reference %q", ref)
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 2 {
		t.Fatalf("%d sessions after reopening the link", n)
	}
	p.click("#step [data-restart]")
	p.run(15*time.Second, func(st pageState) bool { return st.State == "consent" })
}

// Before a session exists there is nothing to withdraw: the button is
// hidden on the consent page and the screen check. Declining there shows its
// thanks in view (at the top of the page) and starts no session.
func TestBrowserNoWithdrawBeforeSession(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	es.addStudy(screenedStudy("e2e-withdraw-early"), storage.StatusOpen)
	p := newParticipant(t, ctx)
	withdrawShown := func() bool {
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("withdraw").hidden`))
		if err != nil {
			t.Fatal(err)
		}
		return shown
	}
	checked := false
	p.hook = func(st pageState) bool {
		switch st.State {
		case "consent":
			if !checked {
				if withdrawShown() {
					t.Fatal("Withdraw shows on the consent page, before a session exists")
				}
				checked = true
				return false // agree, to see the screen check
			}
			p.click("#consent-no")
			return true
		case "screen-check":
			if withdrawShown() {
				t.Fatal("Withdraw shows on the screen check, before a session exists")
			}
			if err := chromedp.Do(ctx, chromedp.Reload()); err != nil { // back to the consent, to decline
				t.Fatal(err)
			}
			return true
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-withdraw-early", "p-early"))
	p.run(30*time.Second, func(st pageState) bool { return st.State == "declined" })
	wantText(t, text(t, ctx, "#consent-declined"), "You can close this tab now")
	inView, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const r = document.getElementById("consent-declined").getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight;
	})()`))
	if err != nil || !inView {
		t.Fatalf("the thanks for declining are not in view (%v)", err)
	}
	if withdrawShown() {
		t.Fatal("Withdraw shows after declining")
	}
	for _, r := range es.log.requests() {
		if strings.HasSuffix(r.path, "/sessions") {
			t.Fatalf("the page asked for a session: %+v", r)
		}
	}
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after declining", n)
	}
}

// browserSession is the id of the one session that is not other's.
func (es *e2eServer) browserSession(other string) string {
	es.t.Helper()
	var id string
	if err := es.sql.QueryRow(context.Background(), `SELECT id FROM sessions WHERE id <> $1`, other).Scan(&id); err != nil {
		es.t.Fatal(err)
	}
	return id
}

// (e) A researcher previews a draft: the preview banner (dark during the
// induction, like the stage), skipping through a test block and the
// induction, completion; the session is a preview,
// absent from the export, and "Delete previews" removes it.
func TestBrowserResearcherPreview(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	bg := context.Background()
	r, err := es.db.CreateResearcher(bg, "ada@example.org", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	d := screenedStudy("e2e-preview")
	d.Induction.DurationS = 60 // long: the preview skips it
	if _, err := es.db.CreateOwnedExperiment(bg, r.ID, d); err != nil {
		t.Fatal(err)
	}
	sid, err := es.db.CreateWebSession(bg, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "mcc_session", Value: sid, URL: es.url}); err != nil {
		t.Fatal(err)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	dashboard := es.url + "/researcher/experiments/e2e-preview"
	do("open the dashboard", chromedp.Navigate(dashboard), chromedp.WaitVisible(chromedp.ID("preview-start")))
	do("start a preview", chromedp.Click(chromedp.ID("preview-start"), chromedp.NodeVisible))

	p := newParticipant(t, ctx)
	p.pick = es.targets(false)
	skipped := map[string]int{}
	var bar, barDuringInduction string
	p.hook = func(st pageState) bool {
		if bar == "" && st.State == "consent" {
			bar = text(t, ctx, ".preview-bar")
			if !strings.HasSuffix(st.Href, "/s/e2e-preview/preview") {
				t.Fatalf("preview page at %s: the session should leave the address bar", st.Href)
			}
		}
		if st.State == "induction" && barDuringInduction == "" {
			barDuringInduction = evaluate[string](t, ctx, `getComputedStyle(document.querySelector('.preview-bar')).backgroundColor`)
		}
		if (st.State == "respond" || st.State == "induction") && skipped[st.State] == 0 {
			skipped[st.State]++
			p.click("#skip")
			return true
		}
		return false
	}
	start := time.Now()
	p.run(90*time.Second, nil)
	t.Logf("preview with a 60 s induction completed in %v; states %v", time.Since(start).Round(time.Millisecond), p.states)
	wantText(t, bar, "Preview", "stored as a preview session")
	// The bar stays on screen through the dark adaptation state: it must be
	// as dark as the stage's panels then (#1d1d21), not a bright note.
	if barDuringInduction != "rgb(29, 29, 33)" {
		t.Errorf("the preview bar's background during the induction is %q, want the dark panel rgb(29, 29, 33)", barDuringInduction)
	}
	if skipped["respond"] != 1 || skipped["induction"] != 1 {
		t.Fatalf("skips %v", skipped)
	}
	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("preview status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	if n := es.countRows(`SELECT count(*) FROM sessions WHERE id = $1 AND preview AND participant_ref = 'preview'`, id); n != 1 {
		t.Fatal("the session is not flagged preview")
	}
	answered := 0
	for i, n := range p.answers {
		if plan.Trials[i].Phase == experiments.PhaseBaseline {
			answered += n
		}
	}
	if answered > 1 || es.countEvents(id, "preview_skip", "") != 2 || es.countEvents(id, "induction_end", "") != 1 {
		t.Fatalf("%d baseline trials answered by hand; events %v", answered, es.eventKinds(id))
	}
	// The preview stays in its own page: no redirect to the recruiter.
	if st, _ := p.state(); st.State != "finished" || !strings.Contains(st.Href, "/s/e2e-preview/preview") {
		t.Fatalf("after the preview: %+v", st)
	}

	// Not in the export.
	token, err := es.db.CreateAPIToken(bg, r.ID, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := es.do(http.MethodGet, "/api/v1/experiments/e2e-preview/export.csv", nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	if rows, err := csv.NewReader(rec.Body).ReadAll(); err != nil || len(rows) != 1 {
		t.Fatalf("export holds %d rows besides the header (%v)", len(rows)-1, err)
	}

	// "Delete previews (1)" removes it.
	do("back to the dashboard", chromedp.Navigate(dashboard), chromedp.WaitVisible(chromedp.ID("previews-delete")))
	if label := text(t, ctx, "#previews-delete"); label != "Delete previews (1)" {
		t.Fatalf("button %q", label)
	}
	do("delete previews", chromedp.Click(chromedp.ID("previews-delete"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(".notice-ok")))
	wantText(t, text(t, ctx, ".notice-ok"), "Deleted 1 preview session")
	if n := es.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after deleting the previews", n)
	}
	if n := es.countRows(`SELECT count(*) FROM trials`); n != 0 {
		t.Fatalf("%d trials after deleting the previews", n)
	}
}

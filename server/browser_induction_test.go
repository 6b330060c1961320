package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// movableClock replaces the page's performance.now() with one the test can
// move forward (window.__advanceClock(ms)), so that "seven seconds in a
// dialog" takes no seven seconds. Frame timestamps and timers keep the
// real clock: only time measured with performance.now() jumps.
const movableClock = `(() => {
	const real = performance.now.bind(performance);
	let offset = 0;
	performance.now = () => real() + offset;
	window.__advanceClock = (ms) => { offset += ms; };
})();`

func installScript(t *testing.T, ctx context.Context, src string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		t.Fatal(err)
	}
}

func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// eventData is the data of a session's events of one kind, in order.
func (ts *testServer) eventData(sessionID, kind string) []map[string]any {
	ts.t.Helper()
	rows, err := ts.sql.Query(context.Background(), `SELECT data FROM events WHERE session_id = $1 AND kind = $2 ORDER BY seq`, sessionID, kind)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var raw []byte
		var m map[string]any
		if err := rows.Scan(&raw); err != nil {
			ts.t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			ts.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestBrowserInductionCountsOnlyTimeAway: during the induction, seven
// seconds in the withdraw dialog hold it and it goes on (the platform's own
// dialog is not time away); a short time minimised (hidden) pauses it and it
// goes on after Continue; a long time hidden starts it again, and the
// overlay says so before Continue. Every pause, hold and restart is
// an event. Time is moved forward with movableClock rather than waited.
func TestBrowserInductionCountsOnlyTimeAway(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-away")
	d.Induction.DurationS, d.Induction.SwitchS = 4, 1
	d.Induction.MaxGapS = new(float64)
	*d.Induction.MaxGapS = 5
	es.addStudy(d.WithDefaults(), storage.StatusOpen)
	installScript(t, ctx, movableClock)

	// This browser refuses full screen (a window can then be minimised;
	// leaving full screen is TestBrowserInductionInterrupted's).
	installScript(t, ctx, `Element.prototype.requestFullscreen = () => Promise.reject(new TypeError("refused"));`)

	p := newParticipant(t, ctx)
	win, err := chromedp.CallBrowser(ctx, browser.GetWindowForTarget,
		browser.GetWindowForTargetParams{TargetID: chromedp.FromContext(ctx).Target.TargetID})
	if err != nil {
		t.Fatal(err)
	}
	// hide minimises the window for ms on the page's clock, then restores it.
	hide := func(ms int) {
		setWindow := func(state browser.WindowState) {
			if _, err := chromedp.CallBrowser(ctx, browser.SetWindowBounds,
				browser.SetWindowBoundsParams{WindowID: win.WindowID, Bounds: &browser.Bounds{WindowState: state}}); err != nil {
				t.Fatal(err)
			}
		}
		setWindow(browser.WindowStateMinimized)
		p.waitFor(`document.hidden`)
		evaluate[chromedp.Void](t, ctx, fmt.Sprintf(`__advanceClock(%d)`, ms))
		setWindow(browser.WindowStateNormal)
		p.waitFor(`!document.hidden`)
	}
	step := 0 // 0: the dialog, 1: hidden briefly, 2: hidden too long, 3: done
	var pausedText, restartText string
	p.hook = func(st pageState) bool {
		switch {
		case st.State == "induction" && step == 0:
			p.click("#withdraw")
			if err := p.do(chromedp.WaitVisible(chromedp.CSS("#withdraw-dialog"))); err != nil {
				t.Fatalf("no withdraw dialog: %v", err)
			}
			evaluate[chromedp.Void](t, ctx, `__advanceClock(7000)`)
			p.click("#withdraw-no")
			step++
			return true
		case st.State == "induction" && step == 1:
			hide(500)
			p.waitFor(`document.body.dataset.state === "induction-paused"`)
			pausedText = text(t, ctx, "#step [data-paused]")
			step++
			return false // Continue
		case st.State == "induction" && step == 2:
			hide(6000)
			p.waitFor(`document.body.dataset.state === "induction-paused" && /Starting again/.test(document.querySelector("#step [data-paused]").textContent)`)
			restartText = text(t, ctx, "#step [data-paused]")
			step++
			return false // Continue: it starts again
		case st.State == "induction":
			return true
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-away", "p-away"))
	p.run(90*time.Second, nil)
	if step != 3 {
		t.Fatalf("the induction ended before every interruption was tried (step %d)", step)
	}
	wantText(t, pausedText, "Paused", "Press Continue to go on")
	wantText(t, restartText, "Starting again", "away for 6 seconds", "starts again from the beginning")

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	t.Logf("events: %v", es.eventKinds(id))
	holds := es.eventData(id, experiments.EventInductionHold)
	if len(holds) != 1 || holds[0]["reason"] != "withdraw_dialog" || holds[0]["held_ms"].(float64) < 7000 {
		t.Fatalf("holds %v: want one of at least 7000 ms in the withdraw dialog", holds)
	}
	pauses := es.eventData(id, experiments.EventInductionPause)
	resumes := es.eventData(id, experiments.EventInductionResume)
	restarts := es.eventData(id, experiments.EventInductionRestart)
	// A minimised window loses the focus, then hides: the pause names the
	// first cause, the resume and restart every cause.
	if len(pauses) != 2 || pauses[0]["reason"] != "blur" || pauses[1]["reason"] != "blur" {
		t.Fatalf("pauses %v: want two, for the minimised window (the dialog is no pause)", pauses)
	}
	if len(resumes) != 1 || resumes[0]["away_ms"].(float64) < 500 || resumes[0]["away_ms"].(float64) > 5000 ||
		fmt.Sprint(resumes[0]["reasons"]) != "[blur hidden]" {
		t.Fatalf("resumes %v: want one after a short time hidden", resumes)
	}
	if len(restarts) != 1 || restarts[0]["reason"] != "hidden" || restarts[0]["away_ms"].(float64) < 6000 {
		t.Fatalf("restarts %v: want one after six seconds hidden", restarts)
	}
	ends := es.eventData(id, experiments.EventInductionEnd)
	if len(ends) != 1 || ends[0]["attempt"] != 2.0 {
		t.Fatalf("induction ends %v: want the second attempt to finish", ends)
	}
}

// waitFor polls the page until the expression is true.
func (p *participant) waitFor(js string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v", js, err)
	}
}

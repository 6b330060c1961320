package server_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// luminanceSampler records, at every change of the page (a screen, a state,
// a dialog, a class), the brightest point of what is on the screen: a grid
// of points, each the background of the topmost element there with one
// (the stimulus canvas and images are the patterns themselves, not a
// screen, and are passed over; nothing at all is the white page canvas).
// window.__lum holds {kind (of the #step fragment), state, max, what}.
const luminanceSampler = `(() => {
	const lin = (v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
	const lum = (css) => {
		const m = /rgba?\(([^)]+)\)/.exec(css);
		if (!m) return null;
		const [r, g, b, a = 1] = m[1].split(',').map(Number);
		return a < 0.5 ? null : 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
	};
	const at = (x, y) => {
		for (const el of document.elementsFromPoint(x, y)) {
			if (el.tagName === 'CANVAS' || el.tagName === 'IMG') return [0, ''];
			const l = lum(getComputedStyle(el).backgroundColor);
			if (l !== null) return [l, el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className];
		}
		return [1, 'page canvas'];
	};
	window.__lum = [];
	const sample = () => {
		if (!document.body) return;
		let max = 0, what = '';
		for (let i = 0; i < 16; i++) for (let j = 0; j < 12; j++) {
			const [l, w] = at((i + 0.5) * innerWidth / 16, (j + 0.5) * innerHeight / 12);
			if (l > max) [max, what] = [l, w];
		}
		window.__lum.push({ kind: document.getElementById('step')?.dataset.kind || '', state: document.body.dataset.state || '', max, what });
	};
	new MutationObserver(sample).observe(document, { subtree: true, childList: true, attributes: true,
		attributeFilter: ['hidden', 'class', 'data-state', 'open'] });
})();`

type lumSample struct {
	Kind  string  `json:"kind"`
	State string  `json:"state"`
	Max   float64 `json:"max"`
	What  string  `json:"what"`
}

// The stage is #141416 (relative luminance 0.007); the dark buttons
// #2b2b30 (0.024). Nothing from the induction to the end of the post test
// may be brighter than this.
const maxDarkLuminance = 0.03

// TestBrowserAdaptationStaysDark: from the start of the induction to the
// end of the post test every screen is dark (the induction's intro, its
// pause overlay, the withdraw dialog, the post test's countdown), the post
// test starts by itself after phases.post_delay_s with no click, and each
// post trial records its time since the induction ended.
func TestBrowserAdaptationStaysDark(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-dark")
	d.Induction.DurationS, d.Induction.SwitchS = 3, 1
	d.Phases.PostDelayS = 2
	es.addStudy(d.WithDefaults(), storage.StatusOpen)
	installScript(t, ctx, luminanceSampler)

	p := newParticipant(t, ctx)
	left, dialog := false, false
	clicksAfterInduction := 0
	p.hook = func(st pageState) bool {
		switch {
		case st.State == "induction" && !left:
			left = true // leave full screen: the pause overlay
			evaluate[chromedp.Void](t, ctx, `document.exitFullscreen()`)
			return true
		case st.State == "post-countdown" && !dialog:
			dialog = true
			p.click("#withdraw")
			if err := p.do(chromedp.WaitVisible(chromedp.CSS("#withdraw-dialog"))); err != nil {
				t.Fatalf("no withdraw dialog: %v", err)
			}
			p.click("#withdraw-no")
			return true
		case st.State == "block-start" && left:
			clicksAfterInduction++
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-dark", "p-dark"))
	p.run(90*time.Second, nil)
	if !left || !dialog {
		t.Fatalf("the induction was not left (%v) or the post countdown not seen (%v): states %v", left, dialog, p.states)
	}
	if clicksAfterInduction > 0 {
		t.Fatalf("the post test waited for a click: states %v", p.states)
	}

	samples := evaluate[[]lumSample](t, ctx, `window.__lum`)
	from := slices.IndexFunc(samples, func(s lumSample) bool { return s.Kind == "induction" })
	to := slices.IndexFunc(samples, func(s lumSample) bool { return s.Kind == "debrief" })
	if from < 0 || to < from {
		t.Fatalf("no induction to debrief in %d samples", len(samples))
	}
	if consent := samples[0]; consent.Max < 0.5 {
		t.Fatalf("the sampler sees no bright consent page: %+v", consent)
	}
	states := map[string]bool{}
	for _, s := range samples[from:to] {
		states[s.State] = true
		if s.Max > maxDarkLuminance {
			t.Errorf("a bright screen between induction and the end of the post test: %+v", s)
		}
	}
	for _, want := range []string{"induction-start", "induction", "induction-paused", "post-countdown", "respond"} {
		if !states[want] {
			t.Errorf("no sample in state %q (states sampled: %v)", want, states)
		}
	}
	t.Logf("%d samples from the induction to the end of the post test", to-from)

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	rows, err := es.sql.Query(context.Background(), `SELECT phase, since_induction_ms FROM trials WHERE session_id = $1 ORDER BY trial_index`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	last := 0.0
	for rows.Next() {
		var phase string
		var since *float64
		if err := rows.Scan(&phase, &since); err != nil {
			t.Fatal(err)
		}
		switch {
		case phase != "post" && since != nil:
			t.Errorf("a %s trial has since_induction_ms %v", phase, *since)
		case phase == "post" && (since == nil || *since < 2000 || *since <= last):
			t.Errorf("post trial since_induction_ms %v after %v: want at least the 2 s delay, growing", since, last)
		case phase == "post":
			last = *since
		}
	}
	if n := es.countEvents(id, experiments.EventPostCountdown, ""); n != 1 {
		t.Errorf("%d post_countdown events", n)
	}
}

// TestBrowserPracticeCatchBreakTimeout: the practice says whether each
// answer was right and is stored as phase practice; catch trials run among
// the others and are scored by the server; a rest screen counts down every
// break_every trials and goes on by itself; a trial left unanswered past
// the response window is stored as a timeout and says so.
func TestBrowserPracticeCatchBreakTimeout(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-paced")
	d.Induction.DurationS, d.Induction.SwitchS = 2, 1
	d.Practice = &experiments.Practice{Trials: 2}
	d.Test.CatchTrials, d.Test.BreakEvery, d.Test.BreakS = 1, 3, 1
	d.Test.ResponseWindowMS = 4000
	d.Test.ITIMS = new(int)
	*d.Test.ITIMS = 100
	e := es.addStudy(d.WithDefaults(), storage.StatusOpen)

	p := newParticipant(t, ctx)
	feedback := map[int]string{}
	var restText, slowText string
	ignored := -1 // the trial left unanswered
	p.hook = func(st pageState) bool {
		trial, _ := strconv.Atoi(st.Trial)
		switch st.State {
		case "feedback":
			if _, seen := feedback[trial]; !seen {
				feedback[trial] = text(t, ctx, "#step [data-prompt]")
			}
			return true
		case "break":
			if restText == "" {
				restText = text(t, ctx, "#step [data-rest]")
			}
			return true
		case "timeout":
			if slowText == "" {
				slowText = text(t, ctx, "#step [data-prompt]")
			}
			return true
		case "respond":
			_, plan, _, _ := es.onlySession()
			tr := plan.Trials[trial]
			switch {
			case tr.Phase == experiments.PhaseBaseline && !tr.Catch && (ignored < 0 || ignored == trial):
				ignored = trial
				return true // wait out the response window
			case tr.Catch && p.answers[trial] == 0:
				p.answers[trial]++
				p.key(map[bool]string{true: "r", false: "g"}[*tr.Tint > 0]) // an attentive participant
				return true
			case tr.Catch:
				return true
			}
		}
		return false
	}
	p.open(studyLink(es.url, "e2e-paced", "p-paced"))
	p.run(120*time.Second, nil)

	id, plan, _, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	if len(feedback) != 2 {
		t.Fatalf("feedback after %d practice trials, want 2: %v", len(feedback), feedback)
	}
	for i, f := range feedback {
		if plan.Trials[i].Phase != experiments.PhasePractice {
			t.Errorf("feedback on trial %d (%s)", i, plan.Trials[i].Phase)
		}
		wantText(t, f, "those stripes were")
	}
	wantText(t, restText, "A short rest", "start by themselves in")
	wantText(t, slowText, "Too slow", "within 4 s")

	type row struct {
		phase, response string
		catch           bool
		tint            float64
	}
	rows, err := es.sql.Query(context.Background(), `SELECT trial_index, phase, response, catch, tint FROM trials WHERE session_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int]row{}
	for rows.Next() {
		var i int
		var r row
		if err := rows.Scan(&i, &r.phase, &r.response, &r.catch, &r.tint); err != nil {
			t.Fatal(err)
		}
		stored[i] = r
	}
	rows.Close()
	phases := map[string]int{}
	catches := 0
	for i, r := range stored {
		phases[r.phase]++
		if r.catch {
			catches++
			if !plan.Trials[i].Catch {
				t.Errorf("trial %d stored as catch, planned %+v", i, plan.Trials[i])
			}
		}
		switch {
		case i == ignored && r.response != experiments.Timeout:
			t.Errorf("the unanswered trial %d was stored as %q", i, r.response)
		case i != ignored && r.response == experiments.Timeout:
			t.Logf("trial %d also timed out (a slow poll on a busy machine)", i)
		}
	}
	if phases["practice"] != 2 || catches != 2 || ignored < 0 {
		t.Errorf("stored %v with %d catch trials; unanswered trial %d", phases, catches, ignored)
	}
	scores, err := es.db.CatchScores(context.Background(), e.ID)
	if err != nil || scores[id].Answered != 2 || scores[id].Correct != 2 {
		t.Fatalf("the server's catch score %+v (%v): want both catch trials scored right", scores[id], err)
	}
	if n := es.countEvents(id, experiments.EventBreak, ""); n != 2 {
		t.Errorf("%d rest screens, want one in each block of 5", n)
	}
}

// tap touches the middle of the element sel, as a finger would.
func (p *participant) tap(sel string) {
	p.t.Helper()
	box, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil {
		p.t.Logf("tap %s: %v", sel, err)
		return
	}
	point := []*input.TouchPoint{{X: box[0], Y: box[1]}}
	for _, ev := range []struct {
		kind   input.DispatchTouchEventType
		points []*input.TouchPoint
	}{{input.DispatchTouchEventTypeTouchStart, point}, {input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{}}} {
		if _, err := chromedp.Call(p.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: ev.kind, TouchPoints: ev.points}); err != nil {
			p.t.Logf("tap %s: %v", sel, err)
		}
	}
}

// TestBrowserTouchAnswers: on a touch screen (Chromium's touch emulation)
// every answer is a tap on the on-screen buttons, and each is stored with
// input "touch".
func TestBrowserTouchAnswers(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("e2e-touch")
	d.Induction.DurationS, d.Induction.SwitchS = 2, 1
	es.addStudy(d.WithDefaults(), storage.StatusOpen)
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled,
		emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5}); err != nil {
		t.Fatal(err)
	}
	p := newParticipant(t, ctx)
	tapped := map[int]bool{}
	p.hook = func(st pageState) bool {
		if st.State != "respond" {
			return false
		}
		trial, _ := strconv.Atoi(st.Trial)
		if !tapped[trial] {
			tapped[trial] = true
			p.tap(map[bool]string{true: `#step [data-response="red"]`, false: `#step [data-response="green"]`}[trial%2 == 0])
		}
		return true
	}
	p.open(studyLink(es.url, "e2e-touch", "p-touch"))
	p.run(90*time.Second, nil)
	id, plan, screen, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("status %q", status)
	}
	checkTrialsMatchPlan(t, plan, es.storedTrials(id))
	if n := es.countRows(`SELECT count(*) FROM trials WHERE session_id = $1 AND input IS DISTINCT FROM 'touch'`, id); n != 0 {
		t.Fatalf("%d answers not stored as touch", n)
	}
	if n := es.countRows(`SELECT count(*) FROM trials WHERE session_id = $1 AND response = CASE WHEN trial_index % 2 = 0 THEN 'red' ELSE 'green' END`, id); n != len(plan.Trials) {
		t.Fatalf("%d of %d taps stored as the button tapped", n, len(plan.Trials))
	}
	t.Logf("touch screen: pointer %q", screen.Pointer)
}

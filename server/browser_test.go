package server_test

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

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

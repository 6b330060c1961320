package server_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

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

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
)

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

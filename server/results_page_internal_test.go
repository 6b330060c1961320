package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/templates"
)

// tunedParticipant answers by adjustment (exact PSEs): baseline 0, and
// after induction each grating shifts by effect·cos(2Δθ), Δθ its
// orientation relative to the red-paired pattern (the classic tuning:
// + for the red-paired, − for the green-paired, 0 for obliques); at the
// follow-up test by half of that.
func tunedParticipant(id string, arm int, orient map[string]float64, effect float64) analysis.Participant {
	p := analysis.Participant{SessionID: id, ParticipantRef: id, Kind: experiments.KindHuman,
		Condition: experiments.ConditionForArm(arm), Status: experiments.StatusComplete}
	red := orient[p.Condition.RedPattern]
	for pattern, theta := range orient {
		shift := effect * math.Cos(2*(theta-red)*math.Pi/180)
		for phase, pse := range map[string]float64{"baseline": 0, "post": shift, "followup": shift / 2} {
			for _, d := range []float64{-0.5, 0.5} {
				s := pse + d
				p.Trials = append(p.Trials, analysis.TrialRow{SessionID: id, Phase: phase, Method: string(experiments.Adjustment),
					Pattern: pattern, Tint: s, Setting: &s, TrialIndex: len(p.Trials)})
			}
		}
	}
	return p
}

// TestResultsPageProperties: with humans and model networks, two
// induction durations, gratings every 45° and a follow-up, the results
// page shows each property with both groups side by side, in SVG without
// inline styles; without such data it says what is missing.
func TestResultsPageProperties(t *testing.T) {
	d := experiments.Classic()
	grating := func(deg float64) *stimuli.Pattern {
		return &stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: deg, PeriodPx: 26}
	}
	d.Test.ExtraPatterns = []experiments.ExtraPattern{{Name: "o45", Pattern: grating(45)}, {Name: "o135", Pattern: grating(135)}, {Name: "o30", Pattern: grating(30)}}
	orient := analysis.GratingOrientations(d)
	hour := 3600.0
	var parts []analysis.Participant
	for i := range 8 {
		p := tunedParticipant(fmt.Sprintf("human-%d", i), i%2, orient, 3+float64(i%4)*0.5)
		p.InductionS, p.FollowupAfterS = 180, &hour
		if i >= 4 {
			p.InductionS = 60
		}
		parts = append(parts, p)
	}
	for n := range 6 { // six networks, two seeds each
		for seed := range 2 {
			p := tunedParticipant(fmt.Sprintf("model-%d-%d", n, seed), seed, orient, 2+float64(n)*0.3)
			p.Kind, p.Mechanism, p.Network, p.InductionS, p.FollowupAfterS = experiments.KindModel, "decorrelation", fmt.Sprintf("sha256:net%d", n), 180, &hour
			parts = append(parts, p)
		}
	}
	res := analysis.Analyze(parts, analysis.Options{Seed: 1})
	if len(res.Groups) != 2 || res.Groups[1].N != 6 || res.Groups[1].NSessions != 12 {
		t.Fatalf("groups %d, model n %d of %d sessions", len(res.Groups), res.Groups[1].N, res.Groups[1].NSessions)
	}
	props := properties(res, orient)
	byID := map[string]templates.PropertyView{}
	for _, p := range props {
		byID[p.ID] = p
	}
	for _, id := range []string{"sign", "dose", "tuning", "decay"} {
		p, ok := byID[id]
		if !ok || len(p.Charts) == 0 || p.Note != "" {
			t.Errorf("%s: %d charts, note %q", id, len(p.Charts), p.Note)
		}
	}
	tuning := byID["tuning"].Charts[0]
	if len(tuning.XTickValues) != 13 || tuning.XTickValues[12] != 180 {
		t.Errorf("tuning ticks %v, want 0–180 in 15° steps", tuning.XTickValues)
	}
	// Both groups: bins 0, 30, 45, 90, 135 (+ 180 = 0) … each with a dot.
	for _, group := range []string{"humans", "model: decorrelation"} {
		for _, deg := range []string{"0°", "45°", "90°", "135°", "180°"} {
			if !hasDot(tuning, group+", "+deg) {
				t.Errorf("tuning lacks %s at %s", group, deg)
			}
		}
	}
	if !hasDot(byID["dose"].Charts[0], "humans, 60 s") || !hasDot(byID["dose"].Charts[0], "humans, 180 s") {
		t.Error("dose lacks the humans' two durations")
	}
	rows := byID["decay"].Rows
	if len(rows) != 2 || rows[0].Retained != "50%" || rows[1].Retained != "50%" || rows[1].After != "follow-up after 1 h" || rows[1].Units != 6 {
		t.Errorf("decay rows %+v", rows)
	}

	v := templates.ResultsView{Slug: "tuned", Name: "Tuned", Properties: props}
	for i, g := range res.Groups {
		v.Groups = append(v.Groups, groupView(g, i))
	}
	var page bytes.Buffer
	if err := templates.Results(templates.Viewer{}, v).Render(context.Background(), &page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, want := range []string{"Orientation tuning", "Shift by test orientation", "Contingent effect by induction duration",
		"Contingent effect after induction and at follow-up", "6 networks", "8 participants", "<svg"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "style=") {
		t.Error("page has an inline style attribute (the CSP forbids them)")
	}
	if out := os.Getenv("MCCOLLOUGH_SAVE_RESULTS_PAGE"); out != "" {
		_ = os.WriteFile(out, page.Bytes(), 0o644)
	}

	// A single duration, no extra gratings, no follow-up: each property
	// says what data it needs.
	var untested []analysis.Participant
	for _, p := range parts[4:8] {
		var kept []analysis.TrialRow
		for _, tr := range p.Trials {
			if tr.Phase != "followup" {
				kept = append(kept, tr)
			}
		}
		p.Trials = kept
		untested = append(untested, p)
	}
	plain := analysis.Analyze(untested, analysis.Options{Seed: 1})
	for _, p := range properties(plain, map[string]float64{"a": 0, "b": 90}) {
		if p.ID != "sign" && (p.Note == "" || len(p.Charts) > 0) {
			t.Errorf("%s without data: note %q, %d charts", p.ID, p.Note, len(p.Charts))
		}
	}
}

func hasDot(c templates.Chart, prefix string) bool {
	for _, d := range c.Dots {
		if strings.HasPrefix(d.Label, prefix) {
			return true
		}
	}
	return false
}

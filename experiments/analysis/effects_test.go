package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// adjParticipant is a complete human with adjustment settings pse±0.5 for
// each "pattern/phase" key, so every PSE is known exactly.
func adjParticipant(id string, arm int, pses map[string]float64) Participant {
	p := Participant{
		SessionID: id, ParticipantRef: "ref-" + id, Kind: experiments.KindHuman,
		Condition: experiments.ConditionForArm(arm), Status: experiments.StatusComplete,
	}
	for key, pse := range pses {
		pattern, phase, _ := strings.Cut(key, "/")
		for _, d := range []float64{-0.5, 0.5} {
			s := pse + d
			p.Trials = append(p.Trials, TrialRow{
				SessionID: id, Phase: phase, Method: string(experiments.Adjustment), Pattern: pattern,
				Tint: s, Setting: &s, TrialIndex: len(p.Trials),
			})
		}
	}
	return p
}

func approx(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

func TestSignConvention(t *testing.T) {
	cases := []struct {
		name         string
		arm          int
		shiftA, shif float64
		want         float64
	}{
		{"arm 1: B (red) up, A (green) down", 1, -2, 2, 4},
		{"arm 0: A (red) up, B (green) down", 0, 1.5, -1, 2.5},
		{"arm 0: the reverse", 0, -2, 2, -4},
		{"arm 1: the reverse", 1, 2, -1, -3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := adjParticipant("s", c.arm, map[string]float64{
				"a/baseline": 1, "b/baseline": -1, "a/post": 1 + c.shiftA, "b/post": -1 + c.shif,
			})
			r := analyzeParticipant(p, DefaultMaxLapse)
			if !r.Included {
				t.Fatalf("excluded: %s %s", r.ExclusionReason, r.ExclusionDetail)
			}
			if !approx(r.ContingentEffect, c.want) {
				t.Errorf("contingent effect %v, want %g", val(r.ContingentEffect), c.want)
			}
			if !approx(r.NoncontingentShift, (c.shiftA+c.shif)/2) {
				t.Errorf("noncontingent shift %v", val(r.NoncontingentShift))
			}
			if !approx(r.Shifts["a"], c.shiftA) || !approx(r.Shifts["b"], c.shif) {
				t.Errorf("shifts %v %v", val(r.Shifts["a"]), val(r.Shifts["b"]))
			}
		})
	}
}

// The classic effect from simulated 2AFC observers: red-paired patterns
// need more red after induction, so the contingent effect is positive in
// both arms.
func TestSignConventionSimulated(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for arm := range 2 {
		c := experiments.ConditionForArm(arm)
		s := simParticipant{
			id: "s", arm: arm, beta: 1, lapse: 0.01, repeats: 20,
			base:  map[string]float64{"a": 0, "b": 0},
			shift: map[string]float64{c.RedPattern: 3, c.GreenPattern: -3},
		}
		res := analyzeParticipant(s.participant(r), DefaultMaxLapse)
		if !res.Included || val(res.ContingentEffect) < 3 {
			t.Errorf("arm %d: included %v, effect %v, want ≈ 6", arm, res.Included, val(res.ContingentEffect))
		}
	}
}

func TestNoPostData(t *testing.T) {
	p := adjParticipant("s", 0, map[string]float64{"a/baseline": 0, "b/baseline": 1, "oblique/baseline": 2})
	r := analyzeParticipant(p, DefaultMaxLapse)
	if r.Included || r.ExclusionReason != ReasonNoPost {
		t.Errorf("included %v reason %q, want excluded %q", r.Included, r.ExclusionReason, ReasonNoPost)
	}
	if r.ContingentEffect != nil || r.NoncontingentShift != nil {
		t.Error("effects without post data")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	shifts := m["shifts"].(map[string]any)
	for _, k := range []string{"a", "b", "oblique"} {
		if v, ok := shifts[k]; !ok || v != nil {
			t.Errorf("shifts[%q] = %v (present %v), want null", k, v, ok)
		}
	}
	if m["contingent_effect"] != nil {
		t.Errorf("contingent_effect %v, want null", m["contingent_effect"])
	}
}

func TestExclusionReasons(t *testing.T) {
	full := map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": 1, "b/post": -1}
	ok := func() Participant { return adjParticipant("s", 0, full) }

	incomplete := ok()
	incomplete.Status = experiments.StatusAbandoned
	flagged := ok()
	flagged.Flags = []string{"induction_interrupted", "refresh_unstable"}
	badCond := ok()
	badCond.Condition = experiments.Condition{Arm: 0, RedPattern: "a", GreenPattern: "a"}
	noBase := adjParticipant("s", 0, map[string]float64{"a/post": 1, "b/post": -1})
	noB := adjParticipant("s", 0, map[string]float64{"a/baseline": 0, "a/post": 1, "b/baseline": 0})
	failed := ok()
	for i := range failed.Trials { // b/post: one setting only
		if tr := failed.Trials[i]; tr.Pattern == "b" && tr.Phase == phasePost {
			failed.Trials = append(failed.Trials[:i], failed.Trials[i+1:]...)
			break
		}
	}
	cases := []struct {
		name           string
		p              Participant
		reason, detail string
	}{
		{"included", ok(), "", ""},
		{"incomplete", incomplete, ReasonIncomplete, experiments.StatusAbandoned},
		{"flags", flagged, "induction_interrupted", "induction_interrupted,refresh_unstable"},
		{"bad condition", badCond, ReasonBadCondition, ""},
		{"no baseline", noBase, ReasonNoBaseline, ""},
		{"no b post", noB, ReasonNoData, "b/post"},
		{"failed fit", failed, FlagTooFewTrials, "b/post"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyzeParticipant(c.p, DefaultMaxLapse)
			if r.ExclusionReason != c.reason || r.ExclusionDetail != c.detail || r.Included != (c.reason == "") {
				t.Errorf("reason %q detail %q included %v, want %q %q", r.ExclusionReason, r.ExclusionDetail, r.Included, c.reason, c.detail)
			}
		})
	}
	// Excluded participants still report what could be computed.
	r := analyzeParticipant(incomplete, DefaultMaxLapse)
	if !approx(r.ContingentEffect, 2) {
		t.Errorf("incomplete participant's effect %v, want 2", val(r.ContingentEffect))
	}
}

func TestConditionFromArm(t *testing.T) {
	p := adjParticipant("s", 1, map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": -1, "b/post": 1})
	p.Condition = experiments.Condition{Arm: 1}
	r := analyzeParticipant(p, DefaultMaxLapse)
	if r.Condition != experiments.ConditionForArm(1) || !approx(r.ContingentEffect, 2) {
		t.Errorf("condition %+v effect %v", r.Condition, val(r.ContingentEffect))
	}
}

func TestTuningCurveAndFollowup(t *testing.T) {
	p := adjParticipant("s", 0, map[string]float64{
		"a/baseline": 0, "b/baseline": 0, "m25/baseline": 0, "m75/baseline": 0, "oblique/baseline": 0.5,
		"a/post": 2, "b/post": -2, "m25/post": 1, "m75/post": -1, "oblique/post": 0.5,
		"a/followup": 1, "b/followup": -1,
	})
	r := analyzeParticipant(p, DefaultMaxLapse)
	want := map[string]float64{"a": 2, "b": -2, "m25": 1, "m75": -1, "oblique": 0}
	for k, v := range want {
		if !approx(r.Shifts[k], v) {
			t.Errorf("shift %s = %v, want %g", k, val(r.Shifts[k]), v)
		}
	}
	if !approx(r.FollowupContingentEffect, 2) || !approx(r.FollowupShifts["a"], 1) || r.FollowupShifts["m25"] != nil {
		t.Errorf("followup effect %v shifts %v", val(r.FollowupContingentEffect), r.FollowupShifts)
	}
	var order []string
	for _, f := range r.Fits {
		order = append(order, f.Pattern+"/"+f.Phase)
	}
	got := strings.Join(order, " ")
	if got != "a/baseline a/post a/followup b/baseline b/post b/followup m25/baseline m25/post m75/baseline m75/post oblique/baseline oblique/post" {
		t.Errorf("fit order %s", got)
	}
}

// Staircase data produced by the experiments package's own rule: the fits
// recover the observer, and the reversal estimate is reported alongside.
func TestStaircaseMethod(t *testing.T) {
	d := experiments.Classic()
	d.Test.Method = experiments.Staircase
	d.Test.Tints, d.Test.Repeats = nil, 0
	off := false
	d.Screening = &experiments.Screening{Enabled: &off} // blocks 0 and 1 are the staircases
	d = d.WithDefaults()
	r := rand.New(rand.NewPCG(9, 9))
	var parts []Participant
	const effect = 6.0
	for i := range 24 {
		arm := i % 2
		cond := experiments.ConditionForArm(arm)
		plan, err := experiments.NewPlan(d, int64(100+i), cond)
		if err != nil {
			t.Fatal(err)
		}
		base := map[string]float64{"a": r.NormFloat64(), "b": r.NormFloat64(), "oblique": r.NormFloat64()}
		shift := map[string]float64{cond.RedPattern: effect / 2, cond.GreenPattern: -effect / 2}
		p := Participant{SessionID: string(rune('A' + i)), Kind: experiments.KindHuman, Condition: cond, Status: experiments.StatusComplete}
		var stored []experiments.Response
		for block, phase := range []string{phaseBaseline, phasePost} {
			for {
				tr, done, err := experiments.NextStaircaseTrial(plan, block, stored)
				if err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
				pse := base[tr.Pattern]
				if phase == phasePost {
					pse += shift[tr.Pattern]
				}
				ans := observer{pse, 1, 0.01}.answer(r, *tr.Tint)
				stored = append(stored, experiments.Response{Index: tr.Index, Tint: *tr.Tint, Response: ans})
				p.Trials = append(p.Trials, TrialRow{
					SessionID: p.SessionID, Phase: string(tr.Phase), Method: string(tr.Method), Pattern: tr.Pattern,
					Tint: *tr.Tint, Response: ans, TrialIndex: tr.Index,
				})
			}
		}
		// The staircase cross-check equals the experiments package's own.
		res := analyzeParticipant(p, DefaultMaxLapse)
		hist, err := experiments.StaircaseHistories(plan, 1, stored)
		if err != nil {
			t.Fatal(err)
		}
		f := indexFits(res.Fits).get("a", phasePost)
		if want := experiments.StaircaseEstimate(hist["post/a"]); f == nil || !approx(f.StaircasePSE, want) {
			t.Errorf("staircase_pse %v, want %g", f, want)
		}
		parts = append(parts, p)
	}
	res := Analyze(parts, Options{Seed: 1})
	g := res.Groups[0]
	for _, p := range g.Participants {
		for _, f := range p.Fits {
			if f.Method != string(experiments.Staircase) || f.StaircasePSE == nil {
				t.Errorf("%s %s/%s: method %q staircase_pse %v", p.SessionID, f.Pattern, f.Phase, f.Method, f.StaircasePSE)
			}
		}
	}
	ce := g.ContingentEffect
	t.Logf("staircase: n %d excluded %v, contingent effect %.2f [%.2f, %.2f] (truth 6)", g.N, g.Excluded, val(ce.Mean), val(ce.CILow), val(ce.CIHigh))
	if g.N < 20 || math.Abs(val(ce.Mean)-6) > 1 {
		t.Errorf("n %d, contingent effect %v, want ≈ 6", g.N, val(ce.Mean))
	}
}

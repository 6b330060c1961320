package analysis

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// 200 simulated studies of 12 participants (true contingent effect 3 a*,
// per-participant SD 2, counterbalanced, random baseline PSEs, 2AFC fits):
// the 95% CI covers 3 in ≥ 93% of them, and in every study it excludes 0
// exactly when p < .05.
func TestCICoverage(t *testing.T) {
	const studies, n, effect = 200, 12, 3.0
	covered := make([]bool, studies)
	means := make([]float64, studies)
	excluded := make([]int, studies)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for s := range next {
				r := rand.New(rand.NewPCG(uint64(s), 11))
				res := Analyze(simStudy(r, n, effect, 2, 6, false), Options{Seed: int64(s)})
				ce := res.Groups[0].ContingentEffect
				covered[s] = val(ce.CILow) <= effect && effect <= val(ce.CIHigh)
				means[s] = val(ce.Mean)
				excluded[s] = res.Groups[0].NExcluded
				if excludesZero := val(ce.CILow) > 0 || val(ce.CIHigh) < 0; excludesZero != (val(ce.P) < 0.05) {
					t.Errorf("study %d: p = %v, CI [%v, %v]", s, val(ce.P), val(ce.CILow), val(ce.CIHigh))
				}
			}
		})
	}
	for s := range studies {
		next <- s
	}
	close(next)
	wg.Wait()
	nCovered, sum, nExcl := 0, 0.0, 0
	for s := range studies {
		if covered[s] {
			nCovered++
		}
		sum += means[s]
		nExcl += excluded[s]
	}
	t.Logf("CI covers the true effect in %d/%d studies; mean estimate %.3f (truth %g); %d of %d participants excluded",
		nCovered, studies, sum/studies, effect, nExcl, studies*n)
	if 100*nCovered < 93*studies {
		t.Errorf("coverage %d/%d, want ≥ 93%%", nCovered, studies)
	}
}

func TestOneParticipant(t *testing.T) {
	p := adjParticipant("only", 0, map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": 1, "b/post": -1})
	res := Analyze([]Participant{p}, Options{})
	if len(res.Groups) != 1 {
		t.Fatalf("%d groups", len(res.Groups))
	}
	g := res.Groups[0]
	ce := g.ContingentEffect
	if g.N != 1 || ce.N != 1 || !approx(ce.Mean, 2) || ce.CILow != nil || ce.CIHigh != nil || ce.DZ != nil || !approx(ce.P, 1) {
		t.Errorf("one participant: n %d, %+v", g.N, ce)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	gm := m["groups"].([]any)[0].(map[string]any)
	cm := gm["contingent_effect"].(map[string]any)
	for _, k := range []string{"ci_low", "ci_high", "d_z", "sd"} {
		if v, ok := cm[k]; !ok || v != nil {
			t.Errorf("contingent_effect.%s = %v (present %v), want null", k, v, ok)
		}
	}
}

func TestNoParticipants(t *testing.T) {
	res := Analyze(nil, Options{})
	b, err := json.Marshal(res)
	if err != nil || string(b) == "" {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if gs, ok := m["groups"].([]any); !ok || len(gs) != 0 {
		t.Errorf("groups %v, want []", m["groups"])
	}
}

func TestModelOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	var parts []Participant
	for i, mech := range []string{"suppression", "decorrelation", "suppression", "decorrelation", "decorrelation"} {
		s := simParticipant{
			id: mech + string(rune('0'+i)), arm: i % 2, beta: 0.5, lapse: 0, repeats: 6, kind: experiments.KindModel, mech: mech,
			base: map[string]float64{"a": 0, "b": 0}, shift: map[string]float64{"a": 1, "b": -1},
		}
		parts = append(parts, s.participant(r))
	}
	res := Analyze(parts, Options{Seed: 3})
	var got []string
	for _, g := range res.Groups {
		if g.ParticipantKind != experiments.KindModel || g.Mechanism == nil {
			t.Fatalf("group %q %v", g.ParticipantKind, g.Mechanism)
		}
		got = append(got, *g.Mechanism)
		for _, p := range g.Participants {
			if p.Mechanism == nil || *p.Mechanism != *g.Mechanism {
				t.Errorf("participant %s in group %s", p.SessionID, *g.Mechanism)
			}
		}
	}
	if !slices.Equal(got, []string{"decorrelation", "suppression"}) {
		t.Errorf("groups %v, want [decorrelation suppression]", got)
	}
	if res.Groups[0].NSessions+res.Groups[0].NExcluded != 3 || res.Groups[1].NSessions+res.Groups[1].NExcluded != 2 {
		t.Errorf("group sizes %d+%d, %d+%d", res.Groups[0].NSessions, res.Groups[0].NExcluded, res.Groups[1].NSessions, res.Groups[1].NExcluded)
	}
	// Runs without a network digest are all one network.
	for _, g := range res.Groups {
		if g.Unit != UnitNetwork || g.N != 1 {
			t.Errorf("%s: unit %q n %d, want one network", *g.Mechanism, g.Unit, g.N)
		}
	}
}

// Model statistics are over networks: a network run with several seeds
// counts once, with the mean of its sessions' values.
func TestModelUnitsAreNetworks(t *testing.T) {
	effects := map[string][]float64{"net-a": {2, 4}, "net-b": {1}, "net-c": {3, 3, 6}, "net-d": {0.5, 1.5}, "net-e": {2}, "net-f": {5, 3}}
	var parts []Participant
	var want []float64
	for _, net := range []string{"net-a", "net-b", "net-c", "net-d", "net-e", "net-f"} {
		sum := 0.0
		for i, e := range effects[net] {
			p := adjParticipant(net+string(rune('0'+i)), i%2, map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": e / 2, "b/post": -e / 2})
			if i%2 == 1 { // arm 1: red with b
				p = adjParticipant(net+string(rune('0'+i)), 1, map[string]float64{"a/baseline": 0, "b/baseline": 0, "a/post": -e / 2, "b/post": e / 2})
			}
			p.Kind, p.Mechanism, p.Network = experiments.KindModel, "decorrelation", net
			parts = append(parts, p)
			sum += e
		}
		want = append(want, sum/float64(len(effects[net])))
	}
	g := Analyze(parts, Options{Seed: 1}).Groups[0]
	if g.Unit != UnitNetwork || g.N != 6 || g.NSessions != 11 {
		t.Fatalf("unit %q n %d sessions %d, want 6 networks of 11 sessions", g.Unit, g.N, g.NSessions)
	}
	ref := describe(want, Options{Seed: 1}.WithDefaults(), "model/decorrelation/contingent")
	if got, _ := json.Marshal(g.ContingentEffect); string(got) != string(mustJSON(t, ref)) {
		t.Errorf("contingent effect %s, want the statistic of the network means %s", got, mustJSON(t, ref))
	}
	for _, p := range g.Participants {
		if p.Network == "" || !p.Included {
			t.Errorf("participant %s: network %q included %v", p.SessionID, p.Network, p.Included)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGroupsAndExclusions(t *testing.T) {
	full := map[string]float64{"a/baseline": 0, "b/baseline": 1, "a/post": 2, "b/post": 0, "oblique/baseline": 0, "oblique/post": 0.5}
	var parts []Participant
	for i, arm := range []int{0, 1, 0, 1} {
		p := adjParticipant("h"+string(rune('0'+i)), arm, full)
		parts = append(parts, p)
	}
	incomplete := adjParticipant("inc", 0, full)
	incomplete.Status = experiments.StatusStarted
	flagged := adjParticipant("flag", 0, full)
	flagged.Flags = []string{"refresh_unstable"}
	noPost := adjParticipant("nopost", 0, map[string]float64{"a/baseline": 0, "b/baseline": 0})
	model := adjParticipant("m", 0, full)
	model.Kind, model.Mechanism = experiments.KindModel, "decorrelation"
	parts = append(parts, incomplete, flagged, model, noPost)

	res := Analyze(parts, Options{Seed: 1})
	if len(res.Groups) != 2 || res.Groups[0].ParticipantKind != experiments.KindHuman || res.Groups[0].Mechanism != nil ||
		res.Groups[1].ParticipantKind != experiments.KindModel || *res.Groups[1].Mechanism != "decorrelation" {
		t.Fatalf("groups %+v", res.Groups)
	}
	h := res.Groups[0]
	if h.N != 4 || h.NExcluded != 3 || len(h.Participants) != 7 {
		t.Errorf("n %d excluded %d participants %d", h.N, h.NExcluded, len(h.Participants))
	}
	wantExcl := []Exclusion{{"inc", ReasonIncomplete, experiments.StatusStarted}, {"flag", "refresh_unstable", ""}, {"nopost", ReasonNoPost, ""}}
	if !slices.Equal(h.Excluded, wantExcl) {
		t.Errorf("excluded %+v, want %+v", h.Excluded, wantExcl)
	}
	// Arms 0 and 1 alternate: shifts a = +2, b = −1 for all, so the
	// contingent effect is +3 in arm 0 and −3 in arm 1.
	ce := h.ContingentEffect
	if ce.N != 4 || !approx(ce.Mean, 0) || !approx(ce.P, 1) {
		t.Errorf("contingent effect %+v", ce)
	}
	if !approx(h.NoncontingentShift.Mean, 0.5) || !approx(h.RedPairedShift.Mean, 0.5) || !approx(h.GreenPairedShift.Mean, 0.5) {
		t.Errorf("noncontingent %v red %v green %v", val(h.NoncontingentShift.Mean), val(h.RedPairedShift.Mean), val(h.GreenPairedShift.Mean))
	}
	if h.FollowupContingentEffect.N != 0 || h.FollowupContingentEffect.Mean != nil {
		t.Errorf("followup %+v", h.FollowupContingentEffect)
	}
	type entry struct {
		kind, pattern, phase string
		mean                 float64
		n                    int
	}
	want := []entry{
		{SummaryPSE, "a", phaseBaseline, 0, 4}, {SummaryPSE, "a", phasePost, 2, 4}, {SummaryShift, "a", phasePost, 2, 4},
		{SummaryPSE, "b", phaseBaseline, 1, 4}, {SummaryPSE, "b", phasePost, 0, 4}, {SummaryShift, "b", phasePost, -1, 4},
		{SummaryPSE, "oblique", phaseBaseline, 0, 4}, {SummaryPSE, "oblique", phasePost, 0.5, 4}, {SummaryShift, "oblique", phasePost, 0.5, 4},
	}
	if len(h.Patterns) != len(want) {
		t.Fatalf("patterns %+v", h.Patterns)
	}
	for i, w := range want {
		p := h.Patterns[i]
		m := p.MeanPSE
		if w.kind == SummaryShift {
			m = p.ShiftMean
		}
		if p.Kind != w.kind || p.Pattern != w.pattern || p.Phase != w.phase || p.N != w.n || !approx(m, w.mean) {
			t.Errorf("patterns[%d] = %+v (mean %v), want %+v", i, p, val(m), w)
		}
	}
}

func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	parts := simStudy(r, 20, 3, 2, 4, true)
	a, _ := json.Marshal(Analyze(parts, Options{Seed: 5, Permutations: 1000}))
	b, _ := json.Marshal(Analyze(parts, Options{Seed: 5, Permutations: 1000}))
	if string(a) != string(b) {
		t.Error("the same data and seed gave different results")
	}
	c, _ := json.Marshal(Analyze(parts, Options{Seed: 6, Permutations: 1000}))
	if string(a) == string(c) {
		t.Error("another seed gave identical resampling results")
	}
}

// The JSON shape the API serves.
func TestJSONShape(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	parts := simStudy(r, 4, 3, 1, 4, true)
	b, err := json.Marshal(Analyze(parts, Options{Seed: 1}))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	hasKeys := func(where string, obj any, keys ...string) {
		t.Helper()
		o, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T", where, obj)
		}
		for _, k := range keys {
			if _, ok := o[k]; !ok {
				t.Errorf("%s has no %q: %v", where, k, o)
			}
		}
	}
	g := m["groups"].([]any)[0]
	hasKeys("group", g, "participant_kind", "mechanism", "n", "n_excluded", "excluded", "contingent_effect", "noncontingent_shift", "patterns", "participants")
	gm := g.(map[string]any)
	if gm["mechanism"] != nil || gm["participant_kind"] != "human" {
		t.Errorf("human group: kind %v mechanism %v", gm["participant_kind"], gm["mechanism"])
	}
	hasKeys("contingent_effect", gm["contingent_effect"], "mean", "ci_low", "ci_high", "d_z", "p", "n")
	hasKeys("noncontingent_shift", gm["noncontingent_shift"], "mean", "ci_low", "ci_high", "d_z", "p", "n")
	for _, e := range gm["patterns"].([]any) {
		if e.(map[string]any)["kind"] == SummaryPSE {
			hasKeys("pse entry", e, "pattern", "phase", "mean_pse", "n")
		} else {
			hasKeys("shift entry", e, "pattern", "shift_mean", "ci_low", "ci_high", "n")
		}
	}
	p := gm["participants"].([]any)[0]
	hasKeys("participant", p, "session_id", "participant_ref", "condition", "fits", "shifts", "contingent_effect", "included", "exclusion_reason")
	pm := p.(map[string]any)
	hasKeys("condition", pm["condition"], "arm", "red_pattern", "green_pattern")
	hasKeys("fit", pm["fits"].([]any)[0], "pattern", "phase", "method", "pse", "slope", "lapse", "n_trials", "flag")
	hasKeys("shifts", pm["shifts"], "a", "b", "oblique")
}

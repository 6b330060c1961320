package analysis

import (
	"cmp"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/mccollough/mccollough/experiments"
)

// groupKey is one group: humans, or models of one mechanism.
type groupKey struct{ kind, mechanism string }

func keyOf(p Participant) groupKey {
	if p.Kind == experiments.KindHuman {
		return groupKey{kind: p.Kind}
	}
	return groupKey{p.Kind, p.Mechanism}
}

// compareKeys orders humans first, then models by mechanism, then any
// other kind.
func compareKeys(x, y groupKey) int {
	rank := func(k string) int {
		switch k {
		case experiments.KindHuman:
			return 0
		case experiments.KindModel:
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(x.kind), rank(y.kind)), cmp.Compare(x.kind, y.kind), cmp.Compare(x.mechanism, y.mechanism))
}

// Analyze fits every participant and summarises each group: the humans,
// and the models of each mechanism separately (a group exists only when
// it has participants). Participants keep their input order within a
// group. The result is a pure function of parts and opts.
func Analyze(parts []Participant, opts Options) Results {
	opts = opts.WithDefaults()
	members := map[groupKey][]ParticipantResult{}
	var keys []groupKey
	for _, p := range parts {
		k := keyOf(p)
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], analyzeParticipant(p, opts.MaxLapse))
	}
	slices.SortFunc(keys, compareKeys)
	res := Results{Options: opts, Groups: make([]Group, 0, len(keys))}
	for _, k := range keys {
		res.Groups = append(res.Groups, summarise(k, members[k], opts))
	}
	return res
}

// summarise computes a group's statistics over its included participants.
func summarise(k groupKey, ps []ParticipantResult, o Options) Group {
	g := Group{
		ParticipantKind: k.kind,
		Mechanism:       mechanismPtr(k.kind, k.mechanism),
		Excluded:        []Exclusion{},
		Participants:    ps,
	}
	label := k.kind + "/" + k.mechanism + "/"
	var ce, nc, red, green, fce []float64
	for _, p := range ps {
		if !p.Included {
			g.Excluded = append(g.Excluded, Exclusion{SessionID: p.SessionID, Reason: p.ExclusionReason, Detail: p.ExclusionDetail})
			continue
		}
		g.N++
		ce = appendVal(ce, p.ContingentEffect)
		nc = appendVal(nc, p.NoncontingentShift)
		red = appendVal(red, p.Shifts[p.Condition.RedPattern])
		green = appendVal(green, p.Shifts[p.Condition.GreenPattern])
		fce = appendVal(fce, p.FollowupContingentEffect)
	}
	g.NExcluded = len(g.Excluded)
	g.ContingentEffect = describe(ce, o, label+"contingent")
	g.NoncontingentShift = describe(nc, o, label+"noncontingent")
	g.RedPairedShift = describe(red, o, label+"red_paired")
	g.GreenPairedShift = describe(green, o, label+"green_paired")
	g.FollowupContingentEffect = describe(fce, o, label+"followup_contingent")
	g.Patterns = patternSummaries(ps, o, label)
	return g
}

func appendVal(xs []float64, v *float64) []float64 {
	if v == nil {
		return xs
	}
	return append(xs, *v)
}

// patternSummaries are, per pattern (a, b, then by name), the mean PSE in
// each phase and the mean shift from baseline to post (and to followup),
// over the included participants' usable fits.
func patternSummaries(ps []ParticipantResult, o Options, label string) []PatternSummary {
	pses := map[[2]string][]float64{}
	shifts := map[[2]string][]float64{}
	var patterns, phases []string
	add := func(list []string, v string) []string {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
		return list
	}
	for _, p := range ps {
		if !p.Included {
			continue
		}
		for _, f := range p.Fits {
			patterns, phases = add(patterns, f.Pattern), add(phases, f.Phase)
			if f.OK() {
				k := [2]string{f.Pattern, f.Phase}
				pses[k] = append(pses[k], *f.PSE)
			}
		}
		for pat, v := range p.Shifts {
			k := [2]string{pat, phasePost}
			shifts[k] = appendVal(shifts[k], v)
		}
		for pat, v := range p.FollowupShifts {
			k := [2]string{pat, phaseFollowup}
			shifts[k] = appendVal(shifts[k], v)
		}
	}
	slices.SortFunc(patterns, comparePatterns)
	slices.SortFunc(phases, comparePhases)
	out := []PatternSummary{}
	for _, pat := range patterns {
		for _, ph := range phases {
			x, ok := pses[[2]string{pat, ph}]
			if !ok {
				continue
			}
			s := PatternSummary{Kind: SummaryPSE, Pattern: pat, Phase: ph, N: len(x), MeanPSE: num(stat.Mean(x, nil))}
			if len(x) >= 2 {
				s.SD = num(stat.StdDev(x, nil))
			}
			out = append(out, s)
		}
		for _, ph := range []string{phasePost, phaseFollowup} {
			x, ok := shifts[[2]string{pat, ph}]
			if !ok || len(x) == 0 {
				continue
			}
			st := describe(x, o, label+"shift/"+pat+"/"+ph)
			out = append(out, PatternSummary{
				Kind: SummaryShift, Pattern: pat, Phase: ph, N: st.N,
				ShiftMean: st.Mean, SD: st.SD, CILow: st.CILow, CIHigh: st.CIHigh, P: st.P,
			})
		}
	}
	return out
}

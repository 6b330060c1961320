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

// unitKey is the independent unit a participant belongs to: a human's
// session, or a model's network.
func unitKey(p ParticipantResult) string {
	if p.Kind == experiments.KindHuman {
		return "session/" + p.SessionID
	}
	return "network/" + p.Network
}

// unitValues are, per unit (in order of first appearance), the mean of
// its included sessions' values of one quantity; a unit none of whose
// sessions has the value, or whose sessions' bounds point both ways, has
// none.
func unitValues(units [][]ParticipantResult, value func(ParticipantResult) (bounded, bool)) []bounded {
	var out []bounded
	for _, members := range units {
		var xs []bounded
		for _, p := range members {
			if b, ok := value(p); ok {
				xs = append(xs, b)
			}
		}
		if m, ok := meanOf(xs); ok {
			out = append(out, m)
		}
	}
	return out
}

// units groups the included participants by unitKey, in input order.
func units(ps []ParticipantResult) [][]ParticipantResult {
	index := map[string]int{}
	var out [][]ParticipantResult
	for _, p := range ps {
		if !p.Included {
			continue
		}
		k := unitKey(p)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// summarise computes a group's statistics over its units (see Group).
func summarise(k groupKey, ps []ParticipantResult, o Options) Group {
	g := Group{
		ParticipantKind: k.kind,
		Mechanism:       mechanismPtr(k.kind, k.mechanism),
		Unit:            UnitParticipant,
		Excluded:        []Exclusion{},
		Participants:    ps,
	}
	if k.kind != experiments.KindHuman {
		g.Unit = UnitNetwork
	}
	for _, p := range ps {
		if p.Included {
			g.NSessions++
		} else {
			g.Excluded = append(g.Excluded, Exclusion{SessionID: p.SessionID, Reason: p.ExclusionReason, Detail: p.ExclusionDetail})
		}
	}
	us := units(ps)
	g.N = len(us)
	g.NExcluded = len(g.Excluded)
	label := k.kind + "/" + k.mechanism + "/"
	stat := func(name string, value func(ParticipantResult) (bounded, bool)) Stat {
		return describeBounded(unitValues(us, value), o, label+name)
	}
	g.ContingentEffect = stat("contingent", contingent)
	g.NoncontingentShift = stat("noncontingent", func(p ParticipantResult) (bounded, bool) {
		return p.bounded(censorNoncontingent, p.NoncontingentShift)
	})
	g.RedPairedShift = stat("red_paired", redShift)
	g.GreenPairedShift = stat("green_paired", greenShift)
	g.FollowupContingentEffect = stat("followup_contingent", followupContingent)
	g.Patterns = patternSummaries(us, o, label)
	g.Units = unitList(us)
	return g
}

func redShift(p ParticipantResult) (bounded, bool) {
	return p.bounded(censorShift+p.Condition.RedPattern, p.Shifts[p.Condition.RedPattern])
}

func greenShift(p ParticipantResult) (bounded, bool) {
	return p.bounded(censorShift+p.Condition.GreenPattern, p.Shifts[p.Condition.GreenPattern])
}

// unitList is the units with their mean values.
func unitList(us [][]ParticipantResult) []Unit {
	values := map[string]func(ParticipantResult) (bounded, bool){
		UnitContingentEffect: contingent,
		UnitRedPairedShift:   redShift,
		UnitGreenPairedShift: greenShift,
	}
	out := make([]Unit, len(us))
	for i, members := range us {
		u := Unit{Key: members[0].SessionID, Sessions: len(members), Values: map[string]Value{}}
		if members[0].Kind != experiments.KindHuman {
			u.Key = members[0].Network
		}
		for name, value := range values {
			if m := unitValues(us[i:i+1], value); len(m) == 1 {
				u.Values[name] = Value{m[0].v, m[0].c}
			}
		}
		out[i] = u
	}
	return out
}

// Keys of Unit.Values.
const (
	UnitContingentEffect = "contingent_effect"
	UnitRedPairedShift   = "red_paired_shift"
	UnitGreenPairedShift = "green_paired_shift"
)

// patternSummaries are, per pattern (a, b, then by name), the mean PSE in
// each phase and the mean shift from baseline to post (and to followup),
// over the units' usable fits (bounds at their bound).
func patternSummaries(us [][]ParticipantResult, o Options, label string) []PatternSummary {
	var patterns, phases []string
	add := func(list []string, v string) []string {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
		return list
	}
	for _, members := range us {
		for _, p := range members {
			for _, f := range p.Fits {
				patterns, phases = add(patterns, f.Pattern), add(phases, f.Phase)
			}
		}
	}
	slices.SortFunc(patterns, comparePatterns)
	slices.SortFunc(phases, comparePhases)
	out := []PatternSummary{}
	for _, pat := range patterns {
		for _, ph := range phases {
			x := unitValues(us, func(p ParticipantResult) (bounded, bool) {
				f := indexFits(p.Fits).get(pat, ph)
				if f == nil || !f.OK() {
					return bounded{}, false
				}
				return f.pse(), true
			})
			if len(x) == 0 {
				continue
			}
			vs := make([]float64, len(x))
			for i, b := range x {
				vs[i] = b.v
			}
			s := PatternSummary{Kind: SummaryPSE, Pattern: pat, Phase: ph, N: len(x), MeanPSE: num(stat.Mean(vs, nil))}
			if len(x) >= 2 {
				s.SD = num(stat.StdDev(vs, nil))
			}
			s.NCensored, s.Censored = censoring(x)
			out = append(out, s)
		}
		for _, ph := range []string{phasePost, phaseFollowup} {
			prefix := censorShift
			if ph == phaseFollowup {
				prefix = censorFollowupShift
			}
			x := unitValues(us, func(p ParticipantResult) (bounded, bool) {
				shifts := p.Shifts
				if ph == phaseFollowup {
					shifts = p.FollowupShifts
				}
				return p.bounded(prefix+pat, shifts[pat])
			})
			if len(x) == 0 {
				continue
			}
			st := describeBounded(x, o, label+"shift/"+pat+"/"+ph)
			out = append(out, PatternSummary{
				Kind: SummaryShift, Pattern: pat, Phase: ph, N: st.N,
				ShiftMean: st.Mean, SD: st.SD, CILow: st.CILow, CIHigh: st.CIHigh, P: st.P,
				NCensored: st.NCensored, Censored: st.Censored,
			})
		}
	}
	return out
}

package analysis

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mccollough/mccollough/experiments"
)

var (
	phaseBaseline = string(experiments.PhaseBaseline)
	phasePost     = string(experiments.PhasePost)
	phaseFollowup = string(experiments.PhaseFollowup)
)

// comparePatterns orders patterns a, b, then the others by name.
func comparePatterns(x, y string) int {
	rank := func(p string) int {
		switch p {
		case experiments.PatternA:
			return 0
		case experiments.PatternB:
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(x), rank(y)), cmp.Compare(x, y))
}

// comparePhases orders phases baseline, post, followup, then by name.
func comparePhases(x, y string) int {
	rank := func(p string) int {
		switch p {
		case phaseBaseline:
			return 0
		case phasePost:
			return 1
		case phaseFollowup:
			return 2
		}
		return 3
	}
	return cmp.Or(cmp.Compare(rank(x), rank(y)), cmp.Compare(x, y))
}

// condition is the participant's colour assignment; an empty one is taken
// from the arm. ok reports that it pairs red and green with a and b.
func condition(c experiments.Condition) (experiments.Condition, bool) {
	if c.RedPattern == "" && c.GreenPattern == "" {
		c = experiments.ConditionForArm(c.Arm)
	}
	ok := (c.RedPattern == experiments.PatternA && c.GreenPattern == experiments.PatternB) ||
		(c.RedPattern == experiments.PatternB && c.GreenPattern == experiments.PatternA)
	return c, ok
}

// participantFits groups the participant's rows by pattern × phase and fits
// each group.
func participantFits(rows []TrialRow, maxLapse float64) []Fit {
	type key struct{ pattern, phase string }
	byKey := map[key][]TrialRow{}
	var keys []key
	for _, r := range rows {
		k := key{r.Pattern, r.Phase}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	slices.SortFunc(keys, func(x, y key) int {
		return cmp.Or(comparePatterns(x.pattern, y.pattern), comparePhases(x.phase, y.phase))
	})
	fits := make([]Fit, len(keys))
	for i, k := range keys {
		fits[i] = FitRows(byKey[k], maxLapse)
	}
	return fits
}

// fitsIndex finds fits by pattern and phase.
type fitsIndex map[[2]string]*Fit

func indexFits(fits []Fit) fitsIndex {
	idx := fitsIndex{}
	for i := range fits {
		idx[[2]string{fits[i].Pattern, fits[i].Phase}] = &fits[i]
	}
	return idx
}

func (idx fitsIndex) get(pattern, phase string) *Fit { return idx[[2]string{pattern, phase}] }

// shift is PSE(phase) − PSE(baseline) of a pattern; ok is false unless
// both fits are usable and the difference is bounded on some side.
func (idx fitsIndex) shift(pattern, phase string) (bounded, bool) {
	b, p := idx.get(pattern, phaseBaseline), idx.get(pattern, phase)
	if b == nil || p == nil || !b.OK() || !p.OK() {
		return bounded{}, false
	}
	return minus(p.pse(), b.pse())
}

func mechanismPtr(kind, mechanism string) *string {
	if kind == experiments.KindHuman || mechanism == "" {
		return nil
	}
	return &mechanism
}

// Keys of ParticipantResult.Censors.
const (
	censorContingent         = "contingent_effect"
	censorNoncontingent      = "noncontingent_shift"
	censorFollowupContingent = "followup_contingent_effect"
	censorShift              = "shift/"
	censorFollowupShift      = "followup_shift/"
)

// values holds a participant's shifts and effects as possibly bounded
// values; a missing key is undefined.
type values map[string]bounded

func (v values) set(key string, b bounded, ok bool) {
	if ok {
		v[key] = b
	}
}

// difference is v[x] − v[y], when both are defined and bounded on a side.
func (v values) difference(x, y string) (bounded, bool) {
	bx, okx := v[x]
	by, oky := v[y]
	if !okx || !oky {
		return bounded{}, false
	}
	return minus(bx, by)
}

// analyzeParticipant fits every pattern × phase, computes the shifts and
// effects, and decides inclusion.
func analyzeParticipant(p Participant, maxLapse float64) ParticipantResult {
	cond, condOK := condition(p.Condition)
	res := ParticipantResult{
		SessionID:      p.SessionID,
		ParticipantRef: p.ParticipantRef,
		Kind:           p.Kind,
		Mechanism:      mechanismPtr(p.Kind, p.Mechanism),
		Network:        p.Network,
		Seed:           p.Seed,
		InductionS:     p.InductionS,
		FollowupAfterS: p.FollowupAfterS,
		Status:         p.Status,
		Flags:          append([]string{}, p.Flags...),
		Condition:      cond,
		Fits:           participantFits(p.Trials, maxLapse),
		Shifts:         map[string]*float64{},
		Censors:        map[string]Censor{},
	}
	idx := indexFits(res.Fits)
	var patterns []string
	hasPhase := map[string]bool{}
	for _, f := range res.Fits {
		if !slices.Contains(patterns, f.Pattern) {
			patterns = append(patterns, f.Pattern)
		}
		hasPhase[f.Phase] = true
		res.Separated = res.Separated || f.Separated
	}
	v := values{}
	for _, pat := range patterns {
		b, ok := idx.shift(pat, phasePost)
		v.set(censorShift+pat, b, ok)
		if hasPhase[phaseFollowup] {
			b, ok := idx.shift(pat, phaseFollowup)
			v.set(censorFollowupShift+pat, b, ok)
		}
	}
	a, b := experiments.PatternA, experiments.PatternB
	if sa, sb := v[censorShift+a], v[censorShift+b]; hasKeys(v, censorShift+a, censorShift+b) {
		c, ok := combine(sa.c, sb.c)
		v.set(censorNoncontingent, bounded{sa.v/2 + sb.v/2, c}, ok)
	}
	if condOK {
		ce, ok := v.difference(censorShift+cond.RedPattern, censorShift+cond.GreenPattern)
		v.set(censorContingent, ce, ok)
		fce, ok := v.difference(censorFollowupShift+cond.RedPattern, censorFollowupShift+cond.GreenPattern)
		v.set(censorFollowupContingent, fce, ok)
	}
	out := func(key string) *float64 {
		x, ok := v[key]
		if !ok {
			return nil
		}
		if x.c != Exact {
			res.Censors[key] = x.c
		}
		return num(x.v)
	}
	for _, pat := range patterns {
		res.Shifts[pat] = out(censorShift + pat)
	}
	if hasPhase[phaseFollowup] {
		res.FollowupShifts = map[string]*float64{}
		for _, pat := range patterns {
			res.FollowupShifts[pat] = out(censorFollowupShift + pat)
		}
	}
	res.NoncontingentShift = out(censorNoncontingent)
	res.ContingentEffect = out(censorContingent)
	res.FollowupContingentEffect = out(censorFollowupContingent)
	res.ExclusionReason, res.ExclusionDetail = exclusion(p, condOK, hasPhase, idx, res.ContingentEffect)
	if res.ExclusionReason == "" && p.ExcludeSeparated && res.Separated {
		res.ExclusionReason, res.ExclusionDetail = experiments.FlagSeparated, "a fit's answers are perfectly separated by tint"
	}
	res.Included = res.ExclusionReason == ""
	return res
}

func hasKeys(v values, keys ...string) bool {
	for _, k := range keys {
		if _, ok := v[k]; !ok {
			return false
		}
	}
	return true
}

// bounded is the result's value under key (a shift, effect, …) with its
// censor; ok is false when the value is undefined.
func (r ParticipantResult) bounded(key string, value *float64) (bounded, bool) {
	if value == nil {
		return bounded{}, false
	}
	return bounded{*value, r.Censors[key]}, true
}

// exclusion is why a participant is excluded ("" if included), in order of
// precedence: an unfinished session, flags from elsewhere, a bad
// condition, a missing phase, a missing or failed fit of a or b.
func exclusion(p Participant, condOK bool, hasPhase map[string]bool, idx fitsIndex, effect *float64) (reason, detail string) {
	switch {
	case p.Status != experiments.StatusComplete:
		return ReasonIncomplete, p.Status
	case len(p.Flags) > 0:
		switch {
		case len(p.FlagDetails) > 0:
			detail = strings.Join(p.FlagDetails, "; ")
		case len(p.Flags) > 1:
			detail = strings.Join(p.Flags, ",")
		}
		return p.Flags[0], detail
	case !condOK:
		return ReasonBadCondition, ""
	case !hasPhase[phaseBaseline]:
		return ReasonNoBaseline, ""
	case !hasPhase[phasePost]:
		return ReasonNoPost, ""
	}
	for _, pat := range []string{experiments.PatternA, experiments.PatternB} {
		for _, ph := range []string{phaseBaseline, phasePost} {
			f := idx.get(pat, ph)
			where := pat + "/" + ph
			switch {
			case f == nil:
				return ReasonNoData, where
			case f.Flag != "":
				return f.Flag, where
			case !f.OK():
				return FlagNoConvergence, where
			}
		}
	}
	if effect == nil {
		return ReasonUnbounded, "PSEs beyond the tested tints bound the effect on neither side"
	}
	return "", ""
}

package analysis

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// The properties of the effect that the results compare between humans
// and model networks, beyond its sign (Group.ContingentEffect): dose
// (the effect by induction duration), orientation tuning (the shift of
// gratings by orientation) and decay (the effect at the follow-up test
// against right after induction). Each is computed per group, over the
// group's units, from the analysed participants.

// Point is a group statistic at one x of a property's curve.
type Point struct {
	X    float64 `json:"x"`
	Stat Stat    `json:"stat"`
}

// unitStat is the statistic over the units of the included participants
// that keep selects, of one value per participant.
func unitStat(ps []ParticipantResult, keep func(ParticipantResult) bool, value func(ParticipantResult) (bounded, bool), o Options, label string) Stat {
	var sel []ParticipantResult
	for _, p := range ps {
		if keep(p) {
			sel = append(sel, p)
		}
	}
	return describeBounded(unitValues(units(sel), value), o, label)
}

func contingent(p ParticipantResult) (bounded, bool) {
	return p.bounded(censorContingent, p.ContingentEffect)
}

func followupContingent(p ParticipantResult) (bounded, bool) {
	return p.bounded(censorFollowupContingent, p.FollowupContingentEffect)
}

// Dose is the contingent effect at each induction duration (x in
// seconds, increasing) the group's included participants ran. One point
// means the experiment has no dose data yet.
func Dose(g Group, o Options) []Point {
	var durations []float64
	for _, p := range g.Participants {
		if p.Included && !slices.Contains(durations, p.InductionS) {
			durations = append(durations, p.InductionS)
		}
	}
	slices.Sort(durations)
	out := make([]Point, 0, len(durations))
	for _, d := range durations {
		at := func(p ParticipantResult) bool { return p.InductionS == d }
		out = append(out, Point{X: d, Stat: unitStat(g.Participants, at, contingent, o, groupLabel(g)+"dose/"+formatX(d))})
	}
	return out
}

// DecayPoint compares, at one follow-up delay, the contingent effect right
// after induction with the one at the follow-up test, over the units that
// have both.
type DecayPoint struct {
	// AfterS is the intended delay of the follow-up (nil: not set).
	AfterS   *float64 `json:"after_s"`
	Post     Stat     `json:"post"`
	Followup Stat     `json:"followup"`
	// Change is followup − post per unit (its p tests for decay).
	Change Stat `json:"change"`
	// Retained is mean(followup) / mean(post); nil when the post mean is 0
	// or either is missing.
	Retained *float64 `json:"retained"`
}

// Decay is one DecayPoint per follow-up delay (in increasing delay); none
// when no included participant was followed up.
func Decay(g Group, o Options) []DecayPoint {
	var delays []*float64
	seen := map[string]bool{}
	for _, p := range g.Participants {
		if _, ok := followupContingent(p); !ok || !p.Included {
			continue
		}
		if k := delayKey(p.FollowupAfterS); !seen[k] {
			seen[k] = true
			delays = append(delays, p.FollowupAfterS)
		}
	}
	slices.SortFunc(delays, func(x, y *float64) int { return cmp.Compare(val(x), val(y)) })
	var out []DecayPoint
	for _, d := range delays {
		label := groupLabel(g) + "decay/" + delayKey(d) + "/"
		both := func(p ParticipantResult) bool {
			_, okPost := contingent(p)
			_, okFollow := followupContingent(p)
			return p.Included && okPost && okFollow && delayKey(p.FollowupAfterS) == delayKey(d)
		}
		change := func(p ParticipantResult) (bounded, bool) {
			post, _ := contingent(p)
			follow, _ := followupContingent(p)
			return minus(follow, post)
		}
		pt := DecayPoint{
			AfterS:   d,
			Post:     unitStat(g.Participants, both, contingent, o, label+"post"),
			Followup: unitStat(g.Participants, both, followupContingent, o, label+"followup"),
			Change:   unitStat(g.Participants, both, change, o, label+"change"),
		}
		if pt.Post.Mean != nil && pt.Followup.Mean != nil && *pt.Post.Mean != 0 {
			pt.Retained = num(*pt.Followup.Mean / *pt.Post.Mean)
		}
		out = append(out, pt)
	}
	return out
}

func delayKey(d *float64) string {
	if d == nil {
		return "unset"
	}
	return formatX(*d)
}

// TuningStep is the bin width of orientation tuning, in degrees.
const TuningStep = 15

// GratingOrientations maps the definition's test patterns that are
// gratings (a, b and extra patterns with their own spec) to their
// orientation in degrees, in [0, 180).
func GratingOrientations(d experiments.Definition) map[string]float64 {
	out := map[string]float64{}
	add := func(name string, p *stimuli.Pattern) {
		if p != nil && p.Kind == stimuli.Grating {
			out[name] = math.Mod(math.Mod(p.OrientationDeg, 180)+180, 180)
		}
	}
	if d.Pair != nil {
		add(experiments.PatternA, &d.Pair.A)
		add(experiments.PatternB, &d.Pair.B)
	}
	for _, e := range d.Test.ExtraPatterns {
		add(e.Name, e.Pattern)
	}
	return out
}

// Tuning is the shift (post − baseline) of the test gratings by their
// orientation relative to the red-paired pattern's (x in degrees, 0 to
// 165 in TuningStep bins, increasing): 0 is the red-paired orientation, 90
// the green-paired one for the classic horizontal/vertical pair, 45 and
// 135 the obliques between them. Each participant's shifts in one bin are
// averaged, then units as everywhere. Only participants whose red-paired
// pattern is a grating count; nil when the pair is not gratings.
func Tuning(g Group, orientations map[string]float64, o Options) []Point {
	bin := func(p ParticipantResult, pattern string) (int, bool) {
		red, okRed := orientations[p.Condition.RedPattern]
		theta, ok := orientations[pattern]
		if !okRed || !ok {
			return 0, false
		}
		rel := math.Mod(theta-red+360, 180)
		return int(math.Round(rel/TuningStep)*TuningStep) % 180, true
	}
	var bins []int
	for _, p := range g.Participants {
		for pattern := range p.Shifts {
			if b, ok := bin(p, pattern); ok && p.Included && !slices.Contains(bins, b) {
				bins = append(bins, b)
			}
		}
	}
	slices.Sort(bins)
	var out []Point
	for _, b := range bins {
		value := func(p ParticipantResult) (bounded, bool) {
			var xs []bounded
			for pattern, s := range p.Shifts {
				if pb, ok := bin(p, pattern); ok && pb == b {
					if v, ok := p.bounded(censorShift+pattern, s); ok {
						xs = append(xs, v)
					}
				}
			}
			return meanOf(xs)
		}
		all := func(p ParticipantResult) bool { return p.Included }
		out = append(out, Point{X: float64(b), Stat: unitStat(g.Participants, all, value, o, groupLabel(g)+"tuning/"+strconv.Itoa(b))})
	}
	return out
}

// groupLabel names a group's random streams.
func groupLabel(g Group) string {
	m := ""
	if g.Mechanism != nil {
		m = *g.Mechanism
	}
	return g.ParticipantKind + "/" + m + "/"
}

func formatX(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

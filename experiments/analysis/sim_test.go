package analysis

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/mccollough/mccollough/experiments"
)

var defaultTints = experiments.DefaultTints()

// observer is a simulated logistic observer.
type observer struct {
	pse, beta, lapse float64
}

func (o observer) answer(r *rand.Rand, tint float64) string {
	if r.Float64() < psychometric(tint, o.pse, o.beta, o.lapse) {
		return experiments.Red
	}
	return experiments.Green
}

// constantRows simulates a constant-stimuli block of one pattern.
func constantRows(r *rand.Rand, session, phase, pattern string, o observer, tints []float64, repeats int, index *int) []TrialRow {
	var rows []TrialRow
	for range repeats {
		for _, t := range tints {
			rows = append(rows, TrialRow{
				SessionID: session, Phase: phase, Method: string(experiments.ConstantStimuli),
				Pattern: pattern, Tint: t, Response: o.answer(r, t), TrialIndex: *index,
			})
			*index++
		}
	}
	return rows
}

// simParticipant is a participant whose true PSE of each pattern is base
// in baseline and base + shift after induction.
type simParticipant struct {
	id       string
	arm      int
	base     map[string]float64
	shift    map[string]float64
	beta     float64
	lapse    float64
	repeats  int
	kind     string
	mech     string
	followup map[string]float64 // followup shift, nil for no followup
}

func (s simParticipant) participant(r *rand.Rand) Participant {
	p := Participant{
		SessionID: s.id, ParticipantRef: "ref-" + s.id, Kind: s.kind, Mechanism: s.mech,
		Condition: experiments.ConditionForArm(s.arm), Status: experiments.StatusComplete,
	}
	if p.Kind == "" {
		p.Kind = experiments.KindHuman
	}
	idx := 0
	phases := []string{phaseBaseline, phasePost}
	if s.followup != nil {
		phases = append(phases, phaseFollowup)
	}
	for _, ph := range phases {
		for _, pat := range sortedKeys(s.base) {
			pse := s.base[pat]
			switch ph {
			case phasePost:
				pse += s.shift[pat]
			case phaseFollowup:
				pse += s.followup[pat]
			}
			p.Trials = append(p.Trials, constantRows(r, s.id, ph, pat, observer{pse, s.beta, s.lapse}, defaultTints, s.repeats, &idx)...)
		}
	}
	return p
}

func sortedKeys(m map[string]float64) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, comparePatterns)
	return ks
}

// simStudy simulates n participants, counterbalanced, whose contingent
// effect is effect + N(0, sd) split evenly between the red-paired (+) and
// green-paired (−) patterns, baseline PSEs N(0, 1.5), and (with control)
// an oblique control that does not shift.
func simStudy(r *rand.Rand, n int, effect, sd float64, repeats int, control bool) []Participant {
	parts := make([]Participant, n)
	for i := range parts {
		arm := i % 2
		c := experiments.ConditionForArm(arm)
		e := effect + sd*r.NormFloat64()
		s := simParticipant{
			id: fmt.Sprintf("s%03d", i), arm: arm, beta: 1.5, lapse: 0.02, repeats: repeats,
			base:  map[string]float64{"a": 1.5 * r.NormFloat64(), "b": 1.5 * r.NormFloat64(), "oblique": 1.5 * r.NormFloat64()},
			shift: map[string]float64{c.RedPattern: e / 2, c.GreenPattern: -e / 2, "oblique": 0},
		}
		if !control {
			delete(s.base, "oblique")
		}
		parts[i] = s.participant(r)
	}
	return parts
}

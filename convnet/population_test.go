package convnet

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// The known properties of the human McCollough effect, measured on the
// population of pretrained networks (population: eight pretraining
// seeds), noise-free: every PSE comes from the observer's own P(red),
// probed on a fine tint grid without adapting (Observer.PSE). A property
// of "the population" is one of its mean, as for a group of people.

// grating is a square grating spec at the classic period.
func grating(deg float64) *stimuli.Pattern {
	p := stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: deg, PeriodPx: experiments.ClassicPeriodPx}.WithDefaults()
	return &p
}

// classicWith is the classic definition (red horizontal / green vertical,
// counterbalanced) with the 45° and 135° obliques as extra test
// patterns and durationS of induction.
func classicWith(durationS float64) experiments.Definition {
	def := experiments.Classic()
	def.Test.ExtraPatterns = []experiments.ExtraPattern{{Name: "o45", Pattern: grating(45)}, {Name: "o135", Pattern: grating(135)}}
	def.Induction.DurationS = durationS
	return def.WithDefaults()
}

// session is one observer through one definition, with the PSEs before
// any induction to measure shifts against.
type session struct {
	t      testing.TB
	def    experiments.Definition
	plan   experiments.Plan
	o      *Observer
	before map[string]float64
}

func newSession(t testing.TB, m *Model, def experiments.Definition, p experiments.AdaptParams, arm int) *session {
	t.Helper()
	def = modelDefinition(def)
	plan, err := experiments.NewPlan(def, 1, experiments.ConditionForArm(arm))
	if err != nil {
		t.Fatal(err)
	}
	o, err := m.NewObserver(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &session{t: t, def: def, plan: plan, o: o, before: pses(t, o, def)}
}

// induce runs the plan's induction of phase (shuffled: colours balanced
// at random over the frames).
func (s *session) induce(phase experiments.Phase, shuffled bool) {
	s.t.Helper()
	sched := inductionOf(s.t, s.plan, phase)
	if shuffled {
		sched = ShuffledPairing(sched, 1)
	}
	if err := s.o.Induce(context.Background(), s.def, sched, RunOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

// test runs the plan's post-test block once (the observer adapts to what
// it sees, as in every trial).
func (s *session) test() {
	s.t.Helper()
	for _, st := range s.plan.Steps {
		if st.Kind == experiments.StepTest && st.Phase == experiments.PhasePost {
			if _, err := s.o.runBlock(context.Background(), s.def, s.plan, st, RunOptions{}, nil, nil); err != nil {
				s.t.Fatal(err)
			}
			return
		}
	}
	s.t.Fatal("plan has no post test")
}

// shifts are the PSE shifts since before the induction, now.
func (s *session) shifts() map[string]float64 {
	s.t.Helper()
	return shifts(s.before, pses(s.t, s.o, s.def))
}

// decorrelation is the model with its default parameters.
var decorrelation = experiments.AdaptParams{Mechanism: experiments.Decorrelation}

// perNetwork runs f for every network of the population and returns its
// values, logging them.
func perNetwork(t *testing.T, what string, f func(m *Model) float64) []float64 {
	t.Helper()
	var v []float64
	var line []string
	for _, m := range population(t) {
		x := f(m)
		v = append(v, x)
		line = append(line, fmt.Sprintf("%+.2f", x))
	}
	t.Logf("%s by network: %s (mean %+.2f)", what, strings.Join(line, " "), mean(v))
	return v
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// fraction is the share of v for which ok holds.
func fraction(v []float64, ok func(float64) bool) float64 {
	n := 0
	for _, x := range v {
		if ok(x) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// TestPopulationCalibratedAndAccurate: every network reports the tint of
// held-out random stimuli with |a*| ≥ 4 correctly at least 95% of the
// time, and before any induction sees the classic A and B test gratings
// as neutral within 2 a*.
func TestPopulationCalibratedAndAccurate(t *testing.T) {
	def := experiments.Classic()
	for _, m := range population(t) {
		o, err := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.NoAdaptation}, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := pses(t, o, def)
		t.Logf("network %d (%s): tint accuracy %.4f, pattern accuracy %.4f; baseline PSE A %+.2f, B %+.2f, oblique %+.2f",
			m.Train.Seed, m.Digest(), m.Metrics.TintAccuracy, m.Metrics.PatternAccuracy, p["a"], p["b"], p[experiments.DefaultControl])
		if m.Metrics.TintAccuracy < 0.95 {
			t.Errorf("network %d: tint accuracy %.4f < 0.95", m.Train.Seed, m.Metrics.TintAccuracy)
		}
		for _, name := range []string{experiments.PatternA, experiments.PatternB} {
			if math.Abs(p[name]) > 2 {
				t.Errorf("network %d: |PSE(%s)| = %.2f > 2 a* before induction", m.Train.Seed, name, math.Abs(p[name]))
			}
		}
	}
}

// TestPopulationClassicSign: after red-horizontal / green-vertical
// induction the red-paired pattern looks greener (its PSE moves red) and
// the green-paired one redder, in at least 85% of the networks; swapping
// the colours flips the effect; a shuffled pairing (the same frames,
// colours balanced at random over each pattern) gives about none; the
// control without adaptation gives exactly none.
func TestPopulationClassicSign(t *testing.T) {
	def := classicWith(180)
	ce := perNetwork(t, "contingent effect (red H, green V)", func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 0)
		s.induce(experiments.PhaseInduction, false)
		return contingent(s.shifts())
	})
	swapped := perNetwork(t, "contingent effect (colours swapped)", func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 1)
		s.induce(experiments.PhaseInduction, false)
		return contingent(s.shifts())
	})
	shuffled := perNetwork(t, "contingent effect (shuffled pairing)", func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 0)
		s.induce(experiments.PhaseInduction, true)
		return contingent(s.shifts())
	})
	none := perNetwork(t, "largest shift without adaptation", func(m *Model) float64 {
		s := newSession(t, m, def, experiments.AdaptParams{Mechanism: experiments.NoAdaptation}, 0)
		s.induce(experiments.PhaseInduction, false)
		largest := 0.0
		for _, v := range s.shifts() {
			largest = math.Max(largest, math.Abs(v))
		}
		return largest
	})
	if f := fraction(ce, func(x float64) bool { return x > 0 }); f < 0.85 {
		t.Errorf("classic sign in %.0f%% of networks, want ≥ 85%%", 100*f)
	}
	if f := fraction(swapped, func(x float64) bool { return x < 0 }); f < 0.85 {
		t.Errorf("swapped colours flip the sign in %.0f%% of networks, want ≥ 85%%", 100*f)
	}
	if m := mean(shuffled); math.Abs(m) > 0.15*mean(ce) {
		t.Errorf("shuffled pairing: mean contingent effect %+.2f, want within 15%% of the paired %.2f", m, mean(ce))
	}
	if mean(none) != 0 {
		t.Errorf("without adaptation the PSEs moved (largest %g a*)", mean(none))
	}
}

// TestPopulationDoseResponse: the effect grows with induction time
// (60 s < 180 s < 600 s), never faster than in proportion to it
// (CE(600) ≤ 3.3·CE(180), in every network too), and after the usual
// 180 s no network's PSE leaves the default tint range (±12 a*).
func TestPopulationDoseResponse(t *testing.T) {
	ce := map[float64][]float64{}
	bound := experiments.DefaultTints()[len(experiments.DefaultTints())-1]
	for _, d := range []float64{60, 180, 600} {
		ce[d] = perNetwork(t, fmt.Sprintf("contingent effect after %.0f s", d), func(m *Model) float64 {
			s := newSession(t, m, classicWith(d), decorrelation, 0)
			s.induce(experiments.PhaseInduction, false)
			if d == 180 {
				for name, v := range pses(t, s.o, s.def) {
					if math.Abs(v) > bound {
						t.Errorf("network %d: PSE(%s) = %+.2f after 180 s, outside ±%g", m.Train.Seed, name, v, bound)
					}
				}
			}
			return contingent(s.shifts())
		})
	}
	if !(mean(ce[60]) < mean(ce[180]) && mean(ce[180]) < mean(ce[600])) {
		t.Errorf("mean effect by duration 60/180/600 s: %.2f %.2f %.2f, want growing", mean(ce[60]), mean(ce[180]), mean(ce[600]))
	}
	if r := mean(ce[600]) / mean(ce[180]); r > 3.3 {
		t.Errorf("mean CE(600 s)/CE(180 s) = %.2f > 3.3: faster than the induction time", r)
	}
	for i := range ce[180] {
		if ce[600][i] > 3.3*ce[180][i] {
			t.Errorf("network %d: CE(600 s) %.2f > 3.3 × CE(180 s) %.2f", i+1, ce[600][i], ce[180][i])
		}
	}
}

// TestPopulationObliques: 45° and 135° test gratings, equidistant from the
// induced horizontal and vertical, shift by at most 30% of the effect
// and within 25% of it of each other.
func TestPopulationObliques(t *testing.T) {
	def := classicWith(180)
	var o45, o135 []float64
	ce := perNetwork(t, "contingent effect", func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 0)
		s.induce(experiments.PhaseInduction, false)
		sh := s.shifts()
		o45, o135 = append(o45, sh["o45"]), append(o135, sh["o135"])
		return contingent(sh)
	})
	t.Logf("shifts by network: 45° %.2f, 135° %.2f", o45, o135)
	c, a, b := mean(ce), mean(o45), mean(o135)
	t.Logf("mean shifts: 45° %+.2f, 135° %+.2f a* (%.0f%% and %.0f%% of the effect %.2f)", a, b, 100*a/c, 100*b/c, c)
	if math.Abs(a) > 0.3*c || math.Abs(b) > 0.3*c {
		t.Errorf("obliques shift by %+.2f and %+.2f, more than 30%% of the effect %.2f", a, b, c)
	}
	if math.Abs(a-b) > 0.25*c {
		t.Errorf("45° and 135° shift by %+.2f and %+.2f: %.2f apart, more than 25%% of the effect %.2f", a, b, math.Abs(a-b), c)
	}
}

// TestPopulationRestAndTesting: an hour's rest removes the fast
// component and keeps the slow one (25–95% of the immediate effect
// remains); looking at the test patterns again and again extinguishes
// it, towards neutral: both patterns' shifts shrink, neither drifts
// towards one colour.
func TestPopulationRestAndTesting(t *testing.T) {
	// 20 blocks of the classic test: 18 minutes of looking at the three
	// test gratings, 6 of them at the horizontal one.
	const testBlocks = 20
	def := classicWith(180)
	var immediate, rested []float64
	var restA, restB, testA, testB []float64
	perNetwork(t, fmt.Sprintf("share of the effect left after the rest and %d test blocks", testBlocks), func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 0)
		s.induce(experiments.PhaseInduction, false)
		immediate = append(immediate, contingent(s.shifts()))
		s.o.Rest(time.Hour)
		sh := s.shifts()
		rested = append(rested, contingent(sh))
		restA, restB = append(restA, sh["a"]), append(restB, sh["b"])
		for range testBlocks {
			s.test()
		}
		sh = s.shifts()
		testA, testB = append(testA, sh["a"]), append(testB, sh["b"])
		return contingent(sh) / immediate[len(immediate)-1]
	})
	kept := mean(rested) / mean(immediate)
	t.Logf("mean effect: %.2f immediately, %.2f after an hour (%.0f%%); shifts after the rest A %+.2f B %+.2f, after %d test blocks A %+.2f B %+.2f",
		mean(immediate), mean(rested), 100*kept, mean(restA), mean(restB), testBlocks, mean(testA), mean(testB))
	if kept < 0.25 || kept > 0.95 {
		t.Errorf("an hour's rest kept %.0f%% of the effect, want 25–95%%", 100*kept)
	}
	if !(math.Abs(mean(testA)) < 0.5*math.Abs(mean(restA)) && math.Abs(mean(testB)) < 0.5*math.Abs(mean(restB))) {
		t.Errorf("%d test blocks left shifts A %+.2f, B %+.2f of A %+.2f, B %+.2f: testing should extinguish both towards neutral",
			testBlocks, mean(testA), mean(testB), mean(restA), mean(restB))
	}
}

// TestPopulationReversal: the reversal induction (the colours swapped, for
// as long) cancels the effect: right after it the effect is gone or
// reversed (what is left is the fast component, now of the reversed
// pairing), and an hour later, once that has decayed, what remains is
// within a quarter of the original.
func TestPopulationReversal(t *testing.T) {
	def := classicWith(180)
	def.Phases.Reversal = true
	var post, rev []float64
	later := perNetwork(t, "contingent effect an hour after the reversal", func(m *Model) float64 {
		s := newSession(t, m, def, decorrelation, 0)
		s.induce(experiments.PhaseInduction, false)
		post = append(post, contingent(s.shifts()))
		s.induce(experiments.PhaseReversal, false)
		rev = append(rev, contingent(s.shifts()))
		s.o.Rest(time.Hour)
		return contingent(s.shifts())
	})
	p, r, l := mean(post), mean(rev), mean(later)
	t.Logf("mean effect after induction %+.2f, right after the reversal %+.2f, an hour later %+.2f", p, r, l)
	if !(r < 0.25*p) || math.Abs(r) > p {
		t.Errorf("right after the reversal the effect is %+.2f of %+.2f: want it gone or reversed, and smaller", r, p)
	}
	if math.Abs(l) > 0.25*p {
		t.Errorf("an hour after the reversal the effect is %+.2f of %+.2f: want within a quarter of it", l, p)
	}
}

// TestPopulationOtherPairs: the effect comes from what the networks
// represent, not from gratings in two orientations: pairs of other
// kinds, periods and orientations, none of them tuned for, give the
// classic sign in at least 85% of the networks, and swapping the colours
// flips it.
func TestPopulationOtherPairs(t *testing.T) {
	pat := func(kind stimuli.Kind, deg, period float64) stimuli.Pattern {
		return stimuli.Pattern{Kind: kind, OrientationDeg: deg, PeriodPx: period}.WithDefaults()
	}
	pairs := []struct {
		name string
		a, b stimuli.Pattern
	}{
		{"radial vs circles", pat(stimuli.Radial, 0, 26), pat(stimuli.Circles, 0, 26)},
		{"checkerboard vs grid", pat(stimuli.Checkerboard, 0, 30), pat(stimuli.Grid, 0, 30)},
		{"gratings 30° vs 120°, period 40", pat(stimuli.Grating, 30, 40), pat(stimuli.Grating, 120, 40)},
		{"crosses vs horizontal grating", pat(stimuli.Crosses, 0, 22), pat(stimuli.Grating, 0, 22)},
		{"fine vertical vs coarse horizontal gratings", pat(stimuli.Grating, 90, 20), pat(stimuli.Grating, 0, 60)},
	}
	for _, pair := range pairs {
		def := experiments.Classic()
		def.Pair = &experiments.Pair{A: pair.a, B: pair.b}
		def.Test.ExtraPatterns = []experiments.ExtraPattern{}
		def = def.WithDefaults()
		for arm, sign := range []float64{1, -1} {
			ce := perNetwork(t, fmt.Sprintf("%s, arm %d", pair.name, arm), func(m *Model) float64 {
				s := newSession(t, m, def, decorrelation, arm)
				s.induce(experiments.PhaseInduction, false)
				return contingent(s.shifts())
			})
			if f := fraction(ce, func(x float64) bool { return sign*x > 0 }); f < 0.85 {
				t.Errorf("%s, arm %d: expected sign in %.0f%% of networks, want ≥ 85%%", pair.name, arm, 100*f)
			}
		}
	}
}

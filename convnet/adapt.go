package convnet

import (
	"fmt"
	"math"
	"time"

	"github.com/mccollough/mccollough/experiments"
)

// StepDuration is the simulated time of one adaptation step: the observer
// takes one step per 100 ms of looking (induction frames and test trials
// alike), so 180 s of induction is 1,800 steps.
const StepDuration = 100 * time.Millisecond

const (
	// minSD is the smallest feature SD used to z-score: units that never
	// fire over the pretraining distribution (dead ReLUs) get f̃ = 0
	// rather than a division by ~0.
	minSD = 1e-3
	// minNorm is the smallest ‖f̃‖ normalised: an image whose form units
	// all sit at their pretraining means has no form to associate.
	minNorm = 1e-6
)

// adapter is the adaptation layer between the feature layer and the heads
// (DESIGN.md §6, docs/DESIGN.md "The machine observer"). The feature
// layer has a colour half c (read by the tint head) and a form half f
// (read by the pattern head, see DefaultArch). The layer learns, while
// the observer looks, which colour goes with which form, and subtracts
// that prediction from the colour units:
//
//	d  = c − c₀                 the colour signal (c₀: the colour units'
//	                            response to any achromatic image, see
//	                            neutralColour)
//	f̂  = f̃/‖f̃‖, f̃ = (f − μ)/σ   the form code: the form units z-scored
//	                            around the fixed pretraining mean, as a
//	                            unit vector (what pattern, not how much)
//	c' = c − (g_F·F + g_S·S) f̂   the adapted colour units
//
// After red-A/green-B induction, F and S map A's form to red and B's to
// green, so an achromatic A has red subtracted (looks greener) and B
// green (looks redder): the McCollough effect, a colour aftereffect
// contingent on form. Two components, as in people (Vul, Krizay &
// MacLeod 2008), each a 16×16 matrix updated once per step looked:
//
//	fast:  F ← α·F + (1 − α)·d f̂ᵀ,   α = exp(−Δt/τ_F)
//	slow:  S_ij ← S_ij + (Δt/τ_S)·(d_i f̂_j − S_ij·(f̂_j² + κ)),  κ = 1
//
// F is a running average of the colour–form correlation over the last
// τ_F (30 s): it saturates within a minute or two of induction and, in
// rest (no input), decays as α per step, so it is gone after minutes.
// S moves each form unit's weight towards that unit's own colour
// regression, E[d f̂_j] / (E[f̂_j²] + κ), at a rate of (f̂_j² + κ)/τ_S ≤
// (1 + κ)/τ_S: with τ_S of hours it grows in proportion to the induction
// time over minutes (no diminishing returns over the durations people
// are tested with) towards a bound that no protocol can pass (a fraction
// of the inducing colours' own signal); it does not change while nothing
// is seen (it persists through rest), and it is unlearnt by what is seen
// later: looking at the patterns without their colours (testing) drives
// the weights of the units they activate back towards 0, i.e. back to
// neutral, not towards either colour. The per-unit regression avoids a
// matrix inverse, so a pattern the induction never showed gets no more
// than its overlap with the induced ones.
type adapter struct {
	mech          experiments.Mechanism
	alpha, slowDt float64 // fast decay per step; Δt/τ_S
	gainF, gainS  float64
	c0, mu, sd    []float64 // c₀ (colour units), μ and σ (form units)
	nc, nf        int
	fast, slow    []float64 // nc×nf, row-major
	d, ft         []float64 // scratch: d and f̂ of the last input
	floor         float64   // κ
}

// newAdapter returns a fresh (unadapted) layer for a model's features.
func newAdapter(p experiments.AdaptParams, m *Model) (*adapter, error) {
	a := m.Train.Arch
	if p.Mechanism != experiments.NoAdaptation && !a.Streams {
		return nil, fmt.Errorf("convnet: the %s adaptation needs a two-stream network (its colour and form units)", p.Mechanism)
	}
	nc := a.Features / 2
	nf := a.Features - nc
	ad := &adapter{mech: p.Mechanism, nc: nc, nf: nf,
		c0: m.neutralColour(), mu: m.Stats.Mean[nc:], sd: m.Stats.SD[nc:],
		fast: make([]float64, nc*nf), slow: make([]float64, nc*nf),
		d: make([]float64, nc), ft: make([]float64, nf), floor: 1}
	if p.Mechanism.Fast() {
		ad.alpha = math.Exp(-StepDuration.Seconds() / p.FastTauS)
		ad.gainF = p.FastGain
	}
	if p.Mechanism.Slow() {
		ad.slowDt = StepDuration.Seconds() / p.SlowTauS
		ad.gainS = p.SlowGain
	}
	return ad, nil
}

// apply writes the adapted features of x into out; with learn, it then
// advances the state by one step of looking at x.
func (ad *adapter) apply(x, out []float64, learn bool) {
	copy(out, x)
	if ad.mech == experiments.NoAdaptation {
		return
	}
	nc, nf := ad.nc, ad.nf
	norm := 0.0
	for j := range nf {
		if ad.sd[j] < minSD {
			ad.ft[j] = 0
		} else {
			ad.ft[j] = (x[nc+j] - ad.mu[j]) / ad.sd[j]
		}
		norm += ad.ft[j] * ad.ft[j]
	}
	norm = math.Sqrt(norm)
	for j := range ad.ft {
		if norm < minNorm {
			ad.ft[j] = 0
		} else {
			ad.ft[j] /= norm
		}
	}
	for i := range nc {
		rf, rs := ad.fast[i*nf:(i+1)*nf], ad.slow[i*nf:(i+1)*nf]
		p := 0.0
		for j, v := range ad.ft {
			p += (ad.gainF*rf[j] + ad.gainS*rs[j]) * v
		}
		out[i] = x[i] - p
		ad.d[i] = x[i] - ad.c0[i]
	}
	if !learn {
		return
	}
	for i, di := range ad.d {
		rf, rs := ad.fast[i*nf:(i+1)*nf], ad.slow[i*nf:(i+1)*nf]
		for j, v := range ad.ft {
			h := di * v
			if ad.gainF != 0 {
				rf[j] = ad.alpha*rf[j] + (1-ad.alpha)*h
			}
			if ad.gainS != 0 {
				rs[j] += ad.slowDt * (h - rs[j]*(v*v+ad.floor))
			}
		}
	}
}

// rest advances the state by n steps without input: the fast component
// decays, the slow one keeps.
func (ad *adapter) rest(n int) {
	if ad.gainF == 0 || n <= 0 {
		return
	}
	f := math.Pow(ad.alpha, float64(n))
	for i := range ad.fast {
		ad.fast[i] *= f
	}
}

// strength is the Frobenius norm of the fast and the slow component's
// contributions (gain × state), for logs and run metrics.
func (ad *adapter) strength() (fast, slow float64) {
	for i := range ad.fast {
		fast += ad.gainF * ad.gainF * ad.fast[i] * ad.fast[i]
		slow += ad.gainS * ad.gainS * ad.slow[i] * ad.slow[i]
	}
	return math.Sqrt(fast), math.Sqrt(slow)
}

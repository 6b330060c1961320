package convnet

import (
	"fmt"
	"math"
	"time"
)

// Mechanism names an adaptation layer: what, between the feature layer and
// the heads, changes while the observer looks at things. It is not trained
// by backprop; it adapts during the experiment, in test trials too ("we
// learn all the time": there is no separate train and test mode).
type Mechanism string

const (
	// Decorrelation is anti-Hebbian lateral inhibition between feature
	// units (Barlow & Földiák 1989): units that fire together learn to
	// subtract each other's predicted activity. Persistent: it is unlearnt
	// only by input that decorrelates the units again (testing), not by
	// time.
	Decorrelation Mechanism = "decorrelation"
	// Suppression is intrinsic, stimulus-specific response suppression of
	// each unit by its own recent activity (Vinken et al. 2020). It fades
	// with time, with or without input.
	Suppression Mechanism = "suppression"
	// NoAdaptation is the control: the features pass unchanged.
	NoAdaptation Mechanism = "none"
)

// Mechanisms lists the adaptation layers.
var Mechanisms = []Mechanism{Decorrelation, Suppression, NoAdaptation}

// ParseMechanism returns the mechanism called name ("decorrelation",
// "suppression" or "none").
func ParseMechanism(name string) (Mechanism, error) {
	for _, m := range Mechanisms {
		if string(m) == name {
			return m, nil
		}
	}
	return "", fmt.Errorf("convnet: unknown mechanism %q (decorrelation, suppression or none)", name)
}

// StepDuration is the simulated time of one adaptation step: the observer
// takes one step per 100 ms of looking (induction frames and test trials
// alike), so 180 s of induction is 1,800 steps.
const StepDuration = 100 * time.Millisecond

// Default adaptation parameters.
const (
	// DefaultEta is the decorrelation rate per step. DESIGN.md §6: with
	// η ≈ 3·10⁻⁵ the signs came out as in humans; η ≥ 10⁻⁴ drove every
	// test pattern green.
	DefaultEta = 3e-5
	// DefaultTau is the suppression time constant, the fast component of
	// the human aftereffect (Vul et al. 2008: τ ≈ 30 s).
	DefaultTau = 30.0 // seconds
	// DefaultBeta is the suppression strength: a unit driven steadily at x
	// settles at x/(1+β).
	DefaultBeta = 1.0
	// minSD is the smallest feature SD used to z-score: units that never
	// fire over the pretraining distribution (dead ReLUs) get x̃ = 0
	// rather than a division by ~0.
	minSD = 1e-3
)

// AdaptParams configure an adaptation layer. Zero values take the
// defaults above.
type AdaptParams struct {
	Mechanism Mechanism `json:"mechanism"`
	Eta       float64   `json:"eta,omitempty"`      // decorrelation: learning rate per step
	TauS      float64   `json:"tau_s,omitempty"`    // suppression: time constant in seconds
	Beta      float64   `json:"beta,omitempty"`     // suppression: strength
	MaxNorm   float64   `json:"max_norm,omitempty"` // decorrelation: bound on ‖M‖_F (0: none)
}

// WithDefaults fills the zero fields of the chosen mechanism.
func (p AdaptParams) WithDefaults() AdaptParams {
	switch p.Mechanism {
	case Decorrelation:
		if p.Eta == 0 {
			p.Eta = DefaultEta
		}
	case Suppression:
		if p.TauS == 0 {
			p.TauS = DefaultTau
		}
		if p.Beta == 0 {
			p.Beta = DefaultBeta
		}
	}
	return p
}

// Validate reports unusable parameters.
func (p AdaptParams) Validate() error {
	switch p.Mechanism {
	case Decorrelation:
		if !(p.Eta > 0) || p.MaxNorm < 0 {
			return fmt.Errorf("convnet: decorrelation needs eta > 0 (got %g) and max_norm ≥ 0", p.Eta)
		}
	case Suppression:
		if !(p.TauS > 0) || !(p.Beta >= 0) {
			return fmt.Errorf("convnet: suppression needs tau_s > 0 and beta ≥ 0 (got %g, %g)", p.TauS, p.Beta)
		}
	case NoAdaptation:
	default:
		return fmt.Errorf("convnet: unknown mechanism %q (decorrelation, suppression or none)", p.Mechanism)
	}
	return nil
}

// adapter is the state of an adaptation layer on the feature vector.
type adapter interface {
	// apply writes the adapted features of x into out; with learn, it
	// then advances the state by one step of looking at x.
	apply(x, out []float64, learn bool)
	// rest advances the state by n steps without input.
	rest(n int)
	// strength summarises the state (‖M‖_F, mean suppression) for logs.
	strength() float64
}

func newAdapter(p AdaptParams, stats FeatureStats) adapter {
	switch p.Mechanism {
	case Decorrelation:
		return newDecorrelator(p, stats)
	case Suppression:
		return newSuppressor(p, len(stats.Mean))
	}
	return passThrough{}
}

type passThrough struct{}

func (passThrough) apply(x, out []float64, _ bool) { copy(out, x) }
func (passThrough) rest(int)                       {}
func (passThrough) strength() float64              { return 0 }

// decorrelator is the anti-Hebbian layer in the variant DESIGN.md §6 found
// to give the human signs: features are z-scored around a FIXED centre,
// the mean feature over the pretraining distribution (a running mean of
// the induction stream would absorb the colour of the stream itself and
// drive every pattern towards the complementary colour), then
//
//	x̃ = (x − μ)/σ,  ỹ = x̃ − M x̃,  out = x − σ ⊙ (M x̃),
//	ΔM = η · offdiag(ỹ ỹᵀ)  (after computing out).
//
// During red-A/green-B induction the units coding "A" and those coding
// "red" fire together, M learns to subtract from the red units what the A
// units predict, and an achromatic A afterwards has red subtracted, i.e.
// looks green: the McCollough effect. M changes only while looking and
// only by correlation, so it persists through blank time and is unlearnt
// by uncorrelated input (testing).
type decorrelator struct {
	eta, maxNorm float64
	mu, sd       []float64
	m            []float64 // n×n row-major, zero diagonal
	xt, yt, mx   []float64
	n            int
}

func newDecorrelator(p AdaptParams, s FeatureStats) *decorrelator {
	n := len(s.Mean)
	d := &decorrelator{eta: p.Eta, maxNorm: p.MaxNorm, mu: s.Mean, sd: s.SD, n: n,
		m: make([]float64, n*n), xt: make([]float64, n), yt: make([]float64, n), mx: make([]float64, n)}
	return d
}

func (d *decorrelator) apply(x, out []float64, learn bool) {
	n := d.n
	for i := range n {
		if d.sd[i] < minSD {
			d.xt[i] = 0
		} else {
			d.xt[i] = (x[i] - d.mu[i]) / d.sd[i]
		}
	}
	for i := range n {
		row := d.m[i*n : (i+1)*n]
		s := 0.0
		for j, v := range row {
			s += v * d.xt[j]
		}
		d.mx[i] = s
		d.yt[i] = d.xt[i] - s
		out[i] = x[i] - d.sd[i]*s
	}
	if !learn {
		return
	}
	norm2 := 0.0
	for i := range n {
		row := d.m[i*n : (i+1)*n]
		gi := d.eta * d.yt[i]
		for j := range row {
			if j != i {
				row[j] += gi * d.yt[j]
				norm2 += row[j] * row[j]
			}
		}
	}
	if d.maxNorm > 0 && norm2 > d.maxNorm*d.maxNorm {
		f := d.maxNorm / math.Sqrt(norm2)
		for i := range d.m {
			d.m[i] *= f
		}
	}
}

func (d *decorrelator) rest(int) {}

func (d *decorrelator) strength() float64 {
	s := 0.0
	for _, v := range d.m {
		s += v * v
	}
	return math.Sqrt(s)
}

// suppressor is intrinsic suppression (Vinken et al. 2020): each unit
// carries a suppression state s that follows its own recent response,
//
//	r = relu(x − β s),  s ← α s + (1−α) r,  α = exp(−Δt/τ),
//
// so a unit that fired during induction responds less afterwards, and the
// deficit decays with time constant τ whether or not anything is shown.
type suppressor struct {
	alpha, beta float64
	s           []float64
}

func newSuppressor(p AdaptParams, n int) *suppressor {
	return &suppressor{alpha: math.Exp(-StepDuration.Seconds() / p.TauS), beta: p.Beta, s: make([]float64, n)}
}

func (u *suppressor) apply(x, out []float64, learn bool) {
	for i, v := range x {
		out[i] = math.Max(v-u.beta*u.s[i], 0)
	}
	if !learn {
		return
	}
	for i, r := range out {
		u.s[i] = u.alpha*u.s[i] + (1-u.alpha)*r
	}
}

func (u *suppressor) rest(n int) {
	f := math.Pow(u.alpha, float64(n))
	for i := range u.s {
		u.s[i] *= f
	}
}

func (u *suppressor) strength() float64 {
	s := 0.0
	for _, v := range u.s {
		s += v
	}
	return s / float64(max(len(u.s), 1))
}

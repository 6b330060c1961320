package experiments

import "strings"

// Mechanism names the machine observer's adaptation layer: what, between
// its feature layer and its read-out, changes while it looks at things
// (DESIGN.md §6). The rule lives here, with the rest of the protocol, so
// that every layer (the API, the results page, the CLI, the workers)
// validates a mechanism and its parameters alike without linking the
// network itself.
type Mechanism string

const (
	// Decorrelation is the model: the colour read-out is reduced by what
	// the form units predict of it, a prediction learnt while looking, in
	// two components as in people (Vul, Krizay & MacLeod 2008): a fast
	// one that saturates within a minute and decays with time, and a slow
	// one that accumulates with induction, persists through rest and is
	// unlearnt only by looking at the patterns again (Jones & Holding
	// 1975).
	Decorrelation Mechanism = "decorrelation"
	// FastAdaptation is the fast component alone.
	FastAdaptation Mechanism = "fast"
	// SlowAdaptation is the slow component alone.
	SlowAdaptation Mechanism = "slow"
	// NoAdaptation is the control: the features pass unchanged.
	NoAdaptation Mechanism = "none"
)

// Mechanisms lists the adaptation layers, the model first.
var Mechanisms = []Mechanism{Decorrelation, FastAdaptation, SlowAdaptation, NoAdaptation}

// Fast reports whether the mechanism has the fast component.
func (m Mechanism) Fast() bool { return m == Decorrelation || m == FastAdaptation }

// Slow reports whether the mechanism has the slow component.
func (m Mechanism) Slow() bool { return m == Decorrelation || m == SlowAdaptation }

// Known reports whether m is one of Mechanisms.
func (m Mechanism) Known() bool {
	for _, k := range Mechanisms {
		if m == k {
			return true
		}
	}
	return false
}

// Default adaptation parameters. They were chosen on networks pretrained
// with seeds 1–8 so that the population shows the human effect's known
// properties (DESIGN.md §6; the convnet package's tests check them).
const (
	// DefaultFastTauS is the fast component's time constant: Vul et al.
	// (2008) found τ ≈ 30 s.
	DefaultFastTauS = 30.0
	// DefaultFastGain scales the fast component: about a fifth of the
	// effect after the classic 180 s.
	DefaultFastGain = 0.1
	// DefaultSlowTauS is the slow component's time scale: while a pattern
	// is looked at, the weights of the form units it drives move towards
	// their bound (and are unlearnt by testing) at a rate of about
	// 1.3/τ_S, so over minutes of induction it grows nearly in proportion
	// to the time and saturates over tens of minutes.
	DefaultSlowTauS = 1200.0
	// DefaultSlowGain scales the slow component: about four fifths of the
	// effect after the classic 180 s.
	DefaultSlowGain = 2.0
)

// AdaptParams configure an observer's adaptation layer. Zero values take
// the defaults of the components the mechanism has.
type AdaptParams struct {
	Mechanism Mechanism `json:"mechanism"`
	FastTauS  float64   `json:"fast_tau_s,omitempty"`
	FastGain  float64   `json:"fast_gain,omitempty"`
	SlowTauS  float64   `json:"slow_tau_s,omitempty"`
	SlowGain  float64   `json:"slow_gain,omitempty"`
}

// WithDefaults fills the zero parameters of the mechanism's components.
func (p AdaptParams) WithDefaults() AdaptParams {
	if p.Mechanism.Fast() {
		p.FastTauS = orDefault(p.FastTauS, DefaultFastTauS)
		p.FastGain = orDefault(p.FastGain, DefaultFastGain)
	}
	if p.Mechanism.Slow() {
		p.SlowTauS = orDefault(p.SlowTauS, DefaultSlowTauS)
		p.SlowGain = orDefault(p.SlowGain, DefaultSlowGain)
	}
	return p
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

// MechanismNames is the list of mechanism names for messages: "decorrelation,
// fast, slow or none".
func MechanismNames() string {
	names := make([]string, len(Mechanisms))
	for i, m := range Mechanisms {
		names[i] = string(m)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Validate reports unusable parameters (after WithDefaults), by field.
func (p AdaptParams) Validate() FieldErrors {
	var errs FieldErrors
	if !p.Mechanism.Known() {
		errs.Add("mechanism", "must be %s", MechanismNames())
		return errs
	}
	positive := func(field string, v float64, on bool) {
		if on && !(v > 0 && v < 1e9) {
			errs.Add(field, "must be a positive number")
		}
	}
	positive("fast_tau_s", p.FastTauS, p.Mechanism.Fast())
	positive("fast_gain", p.FastGain, p.Mechanism.Fast())
	positive("slow_tau_s", p.SlowTauS, p.Mechanism.Slow())
	positive("slow_gain", p.SlowGain, p.Mechanism.Slow())
	return errs
}

// Population sizes.
const (
	// DefaultNetworks is how many pretrained networks a population has
	// unless told otherwise: enough that results vary between observers
	// (n = networks), as they do between people.
	DefaultNetworks = 8
	// MaxNetworks bounds one population.
	MaxNetworks = 64
	// MaxModelRuns bounds the model participants of one request.
	MaxModelRuns = 200
)

// Population is a set of model participants: Networks networks, with
// pretraining seeds FirstNetwork, FirstNetwork+1, …, each taking part
// Seeds times. The participants' session seeds run consecutively from
// FirstSeed over all of them, network by network; a session seed fixes
// the plan and the sampled answers, and its parity the counterbalancing
// arm, so the arms alternate. With the default Seeds = 1 each network is
// one participant; more seeds per network only resample the answers of
// the same observer, they are not more observers.
type Population struct {
	Networks     int   `json:"networks"`
	FirstNetwork int64 `json:"first_network"`
	Seeds        int   `json:"seeds"`
	FirstSeed    int64 `json:"first_seed"`
}

// ModelRun is one model participant of a population.
type ModelRun struct {
	Network int64 // pretraining seed of its network
	Seed    int64 // session seed
}

// WithDefaults fills the zero fields: DefaultNetworks networks from seed
// 1, one participant each, session seeds from 1.
func (p Population) WithDefaults() Population {
	if p.Networks == 0 {
		p.Networks = DefaultNetworks
	}
	if p.FirstNetwork == 0 {
		p.FirstNetwork = 1
	}
	if p.Seeds == 0 {
		p.Seeds = 1
	}
	if p.FirstSeed == 0 {
		p.FirstSeed = 1
	}
	return p
}

// Validate reports an unusable population (after WithDefaults), by field.
func (p Population) Validate() FieldErrors {
	var errs FieldErrors
	if p.Networks < 1 || p.Networks > MaxNetworks {
		errs.Add("networks", "must be from 1 to %d", MaxNetworks)
	}
	if p.FirstNetwork < 1 || p.FirstNetwork > 1<<40 {
		errs.Add("first_network", "must be from 1 to %d", int64(1)<<40)
	}
	if p.Seeds < 1 || p.Seeds > MaxModelRuns {
		errs.Add("seeds", "must be from 1 to %d", MaxModelRuns)
	} else if p.Networks >= 1 && p.Networks*p.Seeds > MaxModelRuns {
		errs.Add("seeds", "networks × seeds must be at most %d", MaxModelRuns)
	}
	if p.FirstSeed < 0 || p.FirstSeed > 1<<40 {
		errs.Add("first_seed", "must be from 0 to %d", int64(1)<<40)
	}
	return errs
}

// Runs lists the population's model participants, network by network.
func (p Population) Runs() []ModelRun {
	runs := make([]ModelRun, 0, p.Networks*p.Seeds)
	for k := range p.Networks {
		for range p.Seeds {
			runs = append(runs, ModelRun{Network: p.FirstNetwork + int64(k), Seed: p.FirstSeed + int64(len(runs))})
		}
	}
	return runs
}

package analysis

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/mccollough/mccollough/experiments"
)

// Minimum data for a usable fit.
const (
	// MinTrials and MinTints apply to the 2AFC methods (constant stimuli
	// and staircase): fewer answered trials, or fewer distinct tints, and
	// the fit is flagged too_few_trials.
	MinTrials = 8
	MinTints  = 3
	// MinSettings is the minimum number of adjustment settings.
	MinSettings = 2
)

// Bounds of the spread β, relative to the tested range R (at least 1 a*):
// β ∈ [R/1000, 10·R]. The lower bound keeps a perfectly separated data set
// (a step from all-green to all-red) a converged fit with a steep slope
// instead of a run to β → 0; the upper bound is far flatter than any
// observer whose PSE means anything (such fits end out of range).
const (
	minSpreadFrac = 1e-3
	maxSpreadFrac = 10
)

// Fit is the psychometric fit of one participant × pattern × phase.
//
// For constant stimuli and staircases it is the maximum-likelihood logistic
// P(red | tint) = λ + (1 − 2λ)·F((tint − α)/β): Alpha = α, Slope = β (the
// spread in a*; larger is shallower), Lapse = λ. The PSE is α when α lies
// within the tested tints; beyond them the data only bound it, and the PSE
// is the end of the tested range with Censor "above" or "below" (every
// answer "green" is a PSE above the range, with no fit at all). For
// adjustment, PSE is the mean null setting and SD their standard
// deviation; Alpha, Slope and Lapse are nil. A fit with a Flag is reported
// but not used.
type Fit struct {
	Pattern string   `json:"pattern"`
	Phase   string   `json:"phase"`
	Method  string   `json:"method"`
	PSE     *float64 `json:"pse"`
	Censor  Censor   `json:"censor"`
	Alpha   *float64 `json:"alpha"`
	Slope   *float64 `json:"slope"`
	Lapse   *float64 `json:"lapse"`
	SD      *float64 `json:"sd"`
	// Separated: the answers are perfectly separated by tint (all green
	// below some tint, all red above): the PSE lies in the gap, the slope
	// is only bounded (it is held at its steepest allowed value).
	Separated bool `json:"separated"`
	// StaircasePSE is experiments.StaircaseEstimate (the mean reversal
	// tint) of a staircase, a cross-check of PSE.
	StaircasePSE *float64 `json:"staircase_pse"`
	// NTrials counts the usable trials (a valid response at a finite tint;
	// a finite setting).
	NTrials int `json:"n_trials"`
	// TintMin and TintMax are the tested range (2AFC methods).
	TintMin *float64 `json:"tint_min"`
	TintMax *float64 `json:"tint_max"`
	// Flag is "" for a usable fit, else one of the Flag constants.
	Flag string `json:"flag"`
}

// OK reports whether the fit is usable: unflagged, with a PSE (which may
// be a bound: see Censor).
func (f Fit) OK() bool { return f.Flag == "" && f.PSE != nil }

// pse is the usable fit's PSE as a possibly bounded value.
func (f Fit) pse() bounded { return bounded{*f.PSE, f.Censor} }

// P is the fitted P(red | tint), for drawing the curve; NaN when the fit
// has no psychometric function (adjustment, or no fit was possible).
func (f Fit) P(tint float64) float64 {
	if f.Alpha == nil || f.Slope == nil || f.Lapse == nil {
		return math.NaN()
	}
	return psychometric(tint, *f.Alpha, *f.Slope, *f.Lapse)
}

func psychometric(t, alpha, beta, lapse float64) float64 {
	return lapse + (1-2*lapse)*logistic((t-alpha)/beta)
}

// logistic is 1/(1+e^−x), computed without overflow.
func logistic(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// FitRows fits the trials of one pattern in one phase of one participant
// (Pattern and Phase are taken from the first row). Rows with another
// response than "red"/"green" (2AFC) or a non-finite tint or setting are
// ignored. maxLapse outside (0, 0.5) means DefaultMaxLapse.
func FitRows(rows []TrialRow, maxLapse float64) Fit {
	var f Fit
	if len(rows) == 0 {
		f.Flag = FlagTooFewTrials
		return f
	}
	f.Pattern, f.Phase, f.Method = rows[0].Pattern, rows[0].Phase, rows[0].Method
	if !(maxLapse > 0 && maxLapse < 0.5) {
		maxLapse = DefaultMaxLapse
	}
	for _, r := range rows {
		if r.Method != f.Method {
			f.Flag = FlagMixedMethods
			return f
		}
	}
	switch experiments.Method(f.Method) {
	case experiments.ConstantStimuli, experiments.Staircase:
		fitBinary(&f, rows, maxLapse)
	case experiments.Adjustment:
		fitAdjustment(&f, rows)
	default:
		f.Flag = FlagUnknownMethod
	}
	return f
}

// level is the answers at one tint.
type level struct {
	tint float64
	n, k int // trials, "red" answers
}

func validBinary(r TrialRow) bool {
	return (r.Response == experiments.Red || r.Response == experiments.Green) && finite(r.Tint)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// tintKey merges tints that differ only by float noise.
func tintKey(t float64) float64 {
	if math.Abs(t) > 1e9 {
		return t // no noise worth merging, and t·1e6 could overflow
	}
	return math.Round(t*1e6) / 1e6
}

// levelsOf aggregates the valid 2AFC rows by tint, in increasing tint.
func levelsOf(rows []TrialRow) []level {
	idx := map[float64]int{}
	var lv []level
	for _, r := range rows {
		if !validBinary(r) {
			continue
		}
		t := tintKey(r.Tint)
		i, ok := idx[t]
		if !ok {
			i = len(lv)
			idx[t] = i
			lv = append(lv, level{tint: t})
		}
		lv[i].n++
		if r.Response == experiments.Red {
			lv[i].k++
		}
	}
	slices.SortFunc(lv, func(a, b level) int { return cmp.Compare(a.tint, b.tint) })
	return lv
}

func fitBinary(f *Fit, rows []TrialRow, maxLapse float64) {
	lv := levelsOf(rows)
	n, k := 0, 0
	for _, l := range lv {
		n += l.n
		k += l.k
	}
	f.NTrials = n
	if len(lv) > 0 {
		f.TintMin, f.TintMax = num(lv[0].tint), num(lv[len(lv)-1].tint)
	}
	if experiments.Method(f.Method) == experiments.Staircase {
		f.StaircasePSE = num(experiments.StaircaseEstimate(staircaseHistory(rows)))
	}
	if n < MinTrials || len(lv) < MinTints {
		f.Flag = FlagTooFewTrials
		return
	}
	lo, hi := lv[0].tint, lv[len(lv)-1].tint
	switch {
	case k == 0: // all green: even the reddest tested tint looked green
		f.PSE, f.Censor = num(hi), Above
		return
	case k == n:
		f.PSE, f.Censor = num(lo), Below
		return
	}
	alpha, beta, lapse, ok := mle(lv, maxLapse)
	f.Alpha, f.Slope, f.Lapse = num(alpha), num(beta), num(lapse)
	f.Separated = separated(lv)
	switch {
	case !ok || f.Alpha == nil || f.Slope == nil || f.Lapse == nil:
		f.Flag = FlagNoConvergence
	case alpha < lo:
		f.PSE, f.Censor = num(lo), Below
	case alpha > hi:
		f.PSE, f.Censor = num(hi), Above
	default:
		f.PSE = f.Alpha
	}
}

// separated reports whether some tint splits the levels (in increasing
// tint) into all-green below and all-red from there on.
func separated(lv []level) bool {
	i := 0
	for i < len(lv) && lv[i].k == 0 {
		i++
	}
	if i == 0 || i == len(lv) {
		return false
	}
	for _, l := range lv[i:] {
		if l.k != l.n {
			return false
		}
	}
	return true
}

// staircaseHistory is the valid rows in presentation order, as responses
// for experiments.StaircaseEstimate.
func staircaseHistory(rows []TrialRow) []experiments.Response {
	var valid []TrialRow
	for _, r := range rows {
		if validBinary(r) {
			valid = append(valid, r)
		}
	}
	slices.SortStableFunc(valid, func(a, b TrialRow) int { return cmp.Compare(a.TrialIndex, b.TrialIndex) })
	h := make([]experiments.Response, len(valid))
	for i, r := range valid {
		h[i] = experiments.Response{Index: r.TrialIndex, Tint: r.Tint, Response: r.Response}
	}
	return h
}

func fitAdjustment(f *Fit, rows []TrialRow) {
	var settings []float64
	for _, r := range rows {
		v := r.Tint
		if r.Setting != nil {
			v = *r.Setting
		}
		if finite(v) {
			settings = append(settings, v)
		}
	}
	f.NTrials = len(settings)
	if len(settings) > 0 {
		f.PSE = num(stat.Mean(settings, nil))
	}
	if len(settings) >= 2 {
		f.SD = num(stat.StdDev(settings, nil))
	}
	if len(settings) < MinSettings {
		f.Flag = FlagTooFewTrials
	}
}

// CurvePoint is the observed proportion of "red" answers at one tint.
type CurvePoint struct {
	Tint float64 `json:"tint"`
	N    int     `json:"n"`
	NRed int     `json:"n_red"`
	PRed float64 `json:"p_red"`
}

// Curve is the observed psychometric curve of 2AFC rows (normally of one
// participant × pattern × phase): proportion red per tint, in increasing
// tint. Rows without a "red"/"green" answer are left out.
func Curve(rows []TrialRow) []CurvePoint {
	lv := levelsOf(rows)
	pts := make([]CurvePoint, len(lv))
	for i, l := range lv {
		pts[i] = CurvePoint{Tint: l.tint, N: l.n, NRed: l.k, PRed: float64(l.k) / float64(l.n)}
	}
	return pts
}

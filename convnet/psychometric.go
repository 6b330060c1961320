package convnet

import (
	"errors"
	"math"
	"sort"
)

// Logistic is a psychometric function P(red | tint) = σ(Slope·(tint − PSE)).
type Logistic struct {
	PSE   float64 `json:"pse"`   // point of subjective equality: the tint that looks neutral
	Slope float64 `json:"slope"` // per a* unit
}

// P evaluates the function at tint.
func (l Logistic) P(tint float64) float64 { return sigmoid(l.Slope * (tint - l.PSE)) }

// FitLogistic fits P(red) = σ(a + b·tint) by maximum likelihood to
// observations y in [0, 1] at tints x: 0/1 responses (sampled answers) or
// probabilities (a model's P(red) curve, where the likelihood is the
// cross-entropy). Newton's method with a tiny ridge on b keeps perfectly
// separable data finite. It fails when the tints do not vary or the fit
// has no positive slope.
func FitLogistic(x, y []float64) (Logistic, error) {
	if len(x) != len(y) || len(x) < 2 {
		return Logistic{}, errors.New("convnet: FitLogistic needs at least two (tint, p) pairs of equal length")
	}
	mean, sd := 0.0, 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(len(x)))
	if sd == 0 {
		return Logistic{}, errors.New("convnet: FitLogistic needs at least two different tints")
	}
	// Work on standardised tints for conditioning.
	const ridge = 1e-6
	a, b := 0.0, 1.0
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i := range x {
			t := (x[i] - mean) / sd
			p := sigmoid(a + b*t)
			r := y[i] - p
			w := math.Max(p*(1-p), 1e-12)
			ga += r
			gb += r * t
			haa += w
			hab += w * t
			hbb += w * t * t
		}
		gb -= ridge * b
		hbb += ridge
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		// Damp huge Newton steps (nearly separable data).
		if s := math.Max(math.Abs(da), math.Abs(db)); s > 5 {
			da, db = da*5/s, db*5/s
		}
		a, b = a+da, b+db
		if math.Abs(da) < 1e-10 && math.Abs(db) < 1e-10 {
			break
		}
	}
	if !(b > 0) {
		return Logistic{}, errors.New("convnet: FitLogistic: P(red) does not rise with tint")
	}
	slope := b / sd
	return Logistic{PSE: mean - a/b*sd, Slope: slope}, nil
}

// CrossingPSE is the tint where a P(red) curve crosses 0.5, by linear
// interpolation between the two sampled tints around the crossing (the
// first crossing going up from the greenest tint). When the curve does not
// cross 0.5 within the tints, it falls back to FitLogistic, which
// extrapolates.
func CrossingPSE(tints, p []float64) (float64, error) {
	if len(tints) != len(p) || len(tints) < 2 {
		return 0, errors.New("convnet: CrossingPSE needs at least two (tint, p) pairs of equal length")
	}
	idx := make([]int, len(tints))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return tints[idx[i]] < tints[idx[j]] })
	for k := 1; k < len(idx); k++ {
		t0, t1 := tints[idx[k-1]], tints[idx[k]]
		p0, p1 := p[idx[k-1]], p[idx[k]]
		if p0 < 0.5 && p1 >= 0.5 && p1 > p0 {
			return t0 + (0.5-p0)*(t1-t0)/(p1-p0), nil
		}
	}
	l, err := FitLogistic(tints, p)
	if err != nil {
		return 0, err
	}
	return l.PSE, nil
}

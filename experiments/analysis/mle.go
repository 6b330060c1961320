package analysis

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// nll is the negative binomial log-likelihood of the logistic with a
// symmetric lapse, over an unconstrained parameter vector x:
//
//	α = mid + scale·x0
//	log β = logLo + (logHi − logLo)·F(x1)   (β within its bounds, log-scaled)
//	λ = maxLapse·F(x2)                      (0 < λ < maxLapse)
type nll struct {
	lv                []level
	mid, scale        float64
	logLo, logHi, max float64
}

func (p *nll) params(x []float64) (alpha, beta, lapse float64) {
	alpha = p.mid + p.scale*x[0]
	beta = math.Exp(p.logLo + (p.logHi-p.logLo)*logistic(x[1]))
	lapse = p.max * logistic(x[2])
	return alpha, beta, lapse
}

// qEps keeps log q and log(1 − q) finite.
const qEps = 1e-12

func (p *nll) value(x []float64) float64 {
	alpha, beta, lapse := p.params(x)
	s := 0.0
	for _, l := range p.lv {
		q := min(max(psychometric(l.tint, alpha, beta, lapse), qEps), 1-qEps)
		s -= float64(l.k)*math.Log(q) + float64(l.n-l.k)*math.Log1p(-q)
	}
	return s
}

// grad is the gradient of value with respect to x.
func (p *nll) grad(g, x []float64) {
	alpha, beta, lapse := p.params(x)
	var ga, gb, gl float64 // with respect to α, β, λ
	for _, l := range p.lv {
		z := (l.tint - alpha) / beta
		f := logistic(z)
		q := min(max(lapse+(1-2*lapse)*f, qEps), 1-qEps)
		dq := -(float64(l.k) - float64(l.n)*q) / (q * (1 - q)) // dNLL/dq
		df := (1 - 2*lapse) * f * (1 - f)                      // dq/dz
		ga += dq * df * (-1 / beta)
		gb += dq * df * (-z / beta)
		gl += dq * (1 - 2*f)
	}
	s1, s2 := logistic(x[1]), logistic(x[2])
	g[0] = ga * p.scale
	g[1] = gb * beta * (p.logHi - p.logLo) * s1 * (1 - s1)
	g[2] = gl * p.max * s2 * (1 - s2)
}

// mle fits the psychometric function on the reparametrised problem with
// BFGS (analytic gradient); should BFGS fail (a line search that cannot
// progress), Nelder-Mead continues from where it stopped. ok reports
// convergence.
func mle(lv []level, maxLapse float64) (alpha, beta, lapse float64, ok bool) {
	lo, hi := lv[0].tint, lv[len(lv)-1].tint
	r := max(hi-lo, 1)
	p := &nll{
		lv: lv, mid: (lo + hi) / 2, scale: r / 4,
		logLo: math.Log(minSpreadFrac * r), logHi: math.Log(maxSpreadFrac * r), max: maxLapse,
	}
	a0 := startPSE(lv)
	b0 := min(max(r/8, math.Exp(p.logLo)*1.01), math.Exp(p.logHi)/1.01)
	x := []float64{
		(a0 - p.mid) / p.scale,
		logit((math.Log(b0) - p.logLo) / (p.logHi - p.logLo)),
		logit(0.2), // λ = 0.2·maxLapse
	}
	problem := optimize.Problem{Func: p.value, Grad: p.grad}
	settings := func() *optimize.Settings {
		return &optimize.Settings{
			GradientThreshold: 1e-7,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-12, Iterations: 40},
			FuncEvaluations:   5000,
		}
	}
	res, err := optimize.Minimize(problem, x, settings(), &optimize.BFGS{})
	if err != nil || res == nil || !converged(res.Status) || !finite(res.F) {
		if res != nil && allFinite(res.X) {
			x = res.X
		}
		res, err = optimize.Minimize(optimize.Problem{Func: p.value}, x, settings(), &optimize.NelderMead{SimplexSize: 0.5})
		if err != nil || res == nil || !converged(res.Status) || !finite(res.F) {
			return math.NaN(), math.NaN(), math.NaN(), false
		}
	}
	x = res.X
	p.centreStep(x)
	alpha, beta, lapse = p.params(x)
	return alpha, beta, lapse, true
}

// centreStep handles a step fit: with β at its lower bound and α well
// inside a gap between two tested tints (perfectly separated answers),
// the likelihood is flat in α across the gap and the optimiser stops
// anywhere in it; α is moved to the middle of the gap, provided the
// likelihood does not get worse.
func (p *nll) centreStep(x []float64) {
	alpha, beta, _ := p.params(x)
	if beta > 1.5*math.Exp(p.logLo) {
		return
	}
	for i := 1; i < len(p.lv); i++ {
		lo, hi := p.lv[i-1].tint, p.lv[i].tint
		if alpha-lo > 10*beta && hi-alpha > 10*beta {
			before := p.value(x)
			old := x[0]
			x[0] = ((lo+hi)/2 - p.mid) / p.scale
			if p.value(x) > before+1e-9 {
				x[0] = old
			}
			return
		}
	}
}

func converged(s optimize.Status) bool {
	return s == optimize.GradientThreshold || s == optimize.FunctionConvergence
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}

// startPSE is the starting α: where the observed proportion red first
// crosses 0.5 (linearly interpolated), else the mean tested tint.
func startPSE(lv []level) float64 {
	for i := 1; i < len(lv); i++ {
		p0 := float64(lv[i-1].k) / float64(lv[i-1].n)
		p1 := float64(lv[i].k) / float64(lv[i].n)
		if p0 < 0.5 && p1 >= 0.5 {
			return lv[i-1].tint + (0.5-p0)/(p1-p0)*(lv[i].tint-lv[i-1].tint)
		}
	}
	s, n := 0.0, 0
	for _, l := range lv {
		s += l.tint * float64(l.n)
		n += l.n
	}
	return s / float64(n)
}

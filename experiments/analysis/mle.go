package analysis

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// The likelihood of the psychometric function has several local maxima: a
// steep step whose few misses are lapses against a shallow function
// without lapses, or a PSE beyond the tested range against one inside it.
// One descent from one start missed the maximum in about one fit in six,
// so mle searches in three stages:
//
//  1. a coarse grid over (α, log β, λ) finds the basins;
//  2. BFGS (gonum/optimize, analytic gradient) descends from the grid's
//     best local minima and from the best grid point at each λ;
//  3. β and λ reach the optimiser through logistic maps whose bounds lie at
//     infinity, so a descent that ends next to a bound is repeated on that
//     face of the box, with the parameter held at the bound.
//
// The best of all descents is the fit. gonum/optimize has no bound
// constraints, hence the maps and the faces; its BFGS and Nelder-Mead are
// the well-tested local methods.

// params is one point of the model: P(red | t) = λ + (1 − 2λ)·F((t − α)/β).
type params struct{ alpha, beta, lapse float64 }

// likelihood is the negative binomial log-likelihood of a data set, with
// the bounds of β and λ.
type likelihood struct {
	lv           []level
	mid, scale   float64 // α = mid + scale·x0
	logLo, logHi float64 // log β ∈ [logLo, logHi]
	maxLapse     float64 // λ ∈ [0, maxLapse]
}

// qEps keeps log q and log(1 − q) finite.
const qEps = 1e-12

func (p *likelihood) nll(m params) float64 {
	s := 0.0
	for _, l := range p.lv {
		s += l.nll(psychometric(l.tint, m.alpha, m.beta, m.lapse))
	}
	return s
}

// nllOf is nll with the logistic part F of every level given.
func (p *likelihood) nllOf(f []float64, lapse float64) float64 {
	s := 0.0
	for n, l := range p.lv {
		s += l.nll(lapse + (1-2*lapse)*f[n])
	}
	return s
}

// nll is the level's negative log-likelihood when P(red) is q.
func (l level) nll(q float64) float64 {
	q = min(max(q, qEps), 1-qEps)
	s := 0.0
	if l.k > 0 {
		s -= float64(l.k) * math.Log(q)
	}
	if l.k < l.n {
		s -= float64(l.n-l.k) * math.Log1p(-q)
	}
	return s
}

// gradient is the gradient of nll with respect to (α, β, λ).
func (p *likelihood) gradient(m params) (ga, gb, gl float64) {
	for _, l := range p.lv {
		z := (l.tint - m.alpha) / m.beta
		f := logistic(z)
		q := min(max(m.lapse+(1-2*m.lapse)*f, qEps), 1-qEps)
		dq := -(float64(l.k) - float64(l.n)*q) / (q * (1 - q)) // dNLL/dq
		df := (1 - 2*m.lapse) * f * (1 - f)                    // dq/dz
		ga += dq * df * (-1 / m.beta)
		gb += dq * df * (-z / m.beta)
		gl += dq * (1 - 2*f)
	}
	return ga, gb, gl
}

// face is a set of parameters held at a bound during a descent.
type face struct{ beta, lapse *float64 }

// chart maps an unconstrained vector x to params on a face: x0 is α, then
// (when free) x1 the logit of β's position in [logLo, logHi] and x2 the
// logit of λ/maxLapse.
type chart struct {
	p    *likelihood
	held face
}

func (c chart) params(x []float64) params {
	m := params{alpha: c.p.mid + c.p.scale*x[0]}
	i := 1
	if c.held.beta != nil {
		m.beta = *c.held.beta
	} else {
		m.beta = math.Exp(c.p.logLo + (c.p.logHi-c.p.logLo)*logistic(x[i]))
		i++
	}
	if c.held.lapse != nil {
		m.lapse = *c.held.lapse
	} else {
		m.lapse = c.p.maxLapse * logistic(x[i])
	}
	return m
}

// coords is the inverse of params (β and λ kept off their bounds, whose
// coordinates are infinite).
func (c chart) coords(m params) []float64 {
	x := []float64{(m.alpha - c.p.mid) / c.p.scale}
	const edge = 1e-9
	if c.held.beta == nil {
		u := (math.Log(m.beta) - c.p.logLo) / (c.p.logHi - c.p.logLo)
		x = append(x, logit(min(max(u, edge), 1-edge)))
	}
	if c.held.lapse == nil {
		x = append(x, logit(min(max(m.lapse/c.p.maxLapse, edge), 1-edge)))
	}
	return x
}

func (c chart) value(x []float64) float64 { return c.p.nll(c.params(x)) }

func (c chart) grad(g, x []float64) {
	m := c.params(x)
	ga, gb, gl := c.p.gradient(m)
	g[0] = ga * c.p.scale
	i := 1
	if c.held.beta == nil {
		s := logistic(x[i])
		g[i] = gb * m.beta * (c.p.logHi - c.p.logLo) * s * (1 - s)
		i++
	}
	if c.held.lapse == nil {
		s := logistic(x[i])
		g[i] = gl * c.p.maxLapse * s * (1 - s)
	}
}

// descend minimises nll from start on the face held, with BFGS; should
// BFGS fail (a line search that cannot progress), Nelder-Mead continues
// from where it stopped. ok reports convergence.
func (p *likelihood) descend(start params, held face) (best params, f float64, ok bool) {
	c := chart{p: p, held: held}
	x := c.coords(start)
	settings := func() *optimize.Settings {
		return &optimize.Settings{
			GradientThreshold: 1e-8,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-11, Relative: 1e-13, Iterations: 10},
			FuncEvaluations:   5000,
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: c.value, Grad: c.grad}, x, settings(), &optimize.BFGS{})
	if err != nil || res == nil || !converged(res.Status) || !finite(res.F) {
		if res != nil && allFinite(res.X) {
			x = res.X
		}
		res, err = optimize.Minimize(optimize.Problem{Func: c.value}, x, settings(), &optimize.NelderMead{SimplexSize: 0.5})
		if err != nil || res == nil || !converged(res.Status) || !finite(res.F) {
			return params{}, math.Inf(1), false
		}
	}
	return c.params(res.X), res.F, true
}

// Grid of stage 1. α: the tested tints, points a quarter of the smallest
// gap either side of them, the midpoints between them, and points beyond
// the tested range (up to a range either side), so that a steep step
// near or between two tints is on the grid. log β: from a sixteenth of
// the smallest gap (steeper functions differ only on a plateau, where a
// descent cannot move) to its upper bound. λ: inside its bounds. The
// descents start at the grid's local minima, best first.
const (
	gridBeta  = 11
	maxStarts = 3
)

var (
	gridLapse  = []float64{0.05, 0.5, 0.95}     // × maxLapse
	gridBeyond = []float64{0.125, 0.25, 0.5, 1} // × range, beyond either end
)

func (p *likelihood) grid() grid {
	lo, hi, r := p.lv[0].tint, p.lv[len(p.lv)-1].tint, 4*p.scale
	gap := r
	for i := 1; i < len(p.lv); i++ {
		gap = min(gap, p.lv[i].tint-p.lv[i-1].tint)
	}
	var alphas []float64
	for i, l := range p.lv {
		alphas = append(alphas, l.tint-gap/4, l.tint, l.tint+gap/4)
		if i > 0 {
			alphas = append(alphas, (p.lv[i-1].tint+l.tint)/2)
		}
	}
	for _, b := range gridBeyond {
		alphas = append(alphas, lo-b*r, hi+b*r)
	}
	slices.Sort(alphas)
	alphas = slices.Compact(alphas)
	logFrom := min(max(math.Log(gap/16), p.logLo), p.logHi)
	g := grid{alphas: alphas, nb: gridBeta, nl: len(gridLapse)}
	g.betas = make([]float64, g.nb)
	for j := range g.betas {
		g.betas[j] = math.Exp(logFrom + (p.logHi-logFrom)*float64(j)/float64(g.nb-1))
	}
	g.vals = make([]float64, len(alphas)*g.nb*g.nl)
	f := make([]float64, len(p.lv))
	for i, a := range alphas {
		for j, b := range g.betas {
			for n, l := range p.lv {
				f[n] = logistic((l.tint - a) / b)
			}
			for k, l := range gridLapse {
				g.vals[g.idx(i, j, k)] = p.nllOf(f, p.maxLapse*l)
			}
		}
	}
	return g
}

// starts are the distinct start points of the descents (see grid.starts).
func (p *likelihood) starts() []params {
	g := p.grid()
	var chosen []int
	for _, i := range g.starts() {
		if !slices.Contains(chosen, i) {
			chosen = append(chosen, i)
		}
	}
	out := make([]params, len(chosen))
	for n, at := range chosen {
		out[n] = g.params(at, p.maxLapse)
	}
	return out
}

func (g grid) params(at int, maxLapse float64) params {
	i, j, k := g.point(at)
	return params{g.alphas[i], g.betas[j], maxLapse * gridLapse[k]}
}

// grid is the likelihood over alphas × betas × gridLapse.
type grid struct {
	alphas, betas []float64
	nb, nl        int
	vals          []float64
}

func (g grid) idx(i, j, k int) int { return (i*g.nb+j)*g.nl + k }

func (g grid) point(at int) (i, j, k int) {
	return at / (g.nb * g.nl), at / g.nl % g.nb, at % g.nl
}

// starts are the grid's local minima, best first (up to maxStarts), and
// the best point of each slice at one λ: the basins of a steep step with
// lapses and of a shallow function without them can lie too close on the
// grid for each to hold a local minimum of its own. (On 1,500 simulated
// data sets, whenever the best local minimum did not descend to the
// maximum, one of the λ slices' best points did.)
func (g grid) starts() []int {
	var minima []int
	bestL := make([]int, g.nl)
	for k := range bestL {
		bestL[k] = g.idx(0, 0, k)
	}
	for at, v := range g.vals {
		if _, _, k := g.point(at); v < g.vals[bestL[k]] {
			bestL[k] = at
		}
		if g.isMinimum(at) {
			minima = append(minima, at)
		}
	}
	slices.SortStableFunc(minima, func(a, b int) int { return cmp.Compare(g.vals[a], g.vals[b]) })
	return append(minima[:min(len(minima), maxStarts)], bestL...)
}

// isMinimum reports whether no neighbour of a grid point (up to one step
// in each index) is lower; flat plateaus count as minima.
func (g grid) isMinimum(at int) bool {
	i, j, k := g.point(at)
	for di := -1; di <= 1; di++ {
		for dj := -1; dj <= 1; dj++ {
			for dk := -1; dk <= 1; dk++ {
				a, b, c := i+di, j+dj, k+dk
				if a < 0 || b < 0 || c < 0 || a >= len(g.alphas) || b >= g.nb || c >= g.nl {
					continue
				}
				if g.vals[g.idx(a, b, c)] < g.vals[at] {
					return false
				}
			}
		}
	}
	return true
}

// nearBound is how close (as a fraction of the log β range, or of
// maxLapse) a descent must end to a bound for that face to be tried.
const nearBound = 1e-2

// faceGain bounds what a descent on a face gains over an interior descent
// that ended next to it.
const faceGain = 1e-2

// mle is the maximum-likelihood fit of the levels (see the stages above);
// ok reports that at least one descent converged.
func mle(lv []level, maxLapse float64) (alpha, beta, lapse float64, ok bool) {
	lo, hi := lv[0].tint, lv[len(lv)-1].tint
	r := max(hi-lo, 1)
	p := &likelihood{
		lv: lv, mid: (lo + hi) / 2, scale: r / 4,
		logLo: math.Log(minSpreadFrac * r), logHi: math.Log(maxSpreadFrac * r), maxLapse: maxLapse,
	}
	type result struct {
		m params
		f float64
	}
	var interior []result
	bestF := math.Inf(1)
	for _, start := range p.starts() {
		if m, f, converged := p.descend(start, face{}); converged {
			interior = append(interior, result{m, f})
			bestF = min(bestF, f)
		}
	}
	if len(interior) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), false
	}
	best := params{}
	for _, r := range interior {
		if r.f == bestF {
			best = r.m
		}
	}
	// A descent that ends next to a bound stops short of it by about
	// faceGain at most; only those that close to the best get their faces.
	for _, r := range interior {
		if r.f > bestF+faceGain {
			continue
		}
		for _, held := range p.nearFaces(r.m) {
			if m, f, converged := p.descend(r.m, held); converged && f < bestF {
				best, bestF = m, f
			}
		}
	}
	best = p.centreStep(best)
	return best.alpha, best.beta, best.lapse, true
}

// nearFaces are the faces of the box next to m: β at a bound, λ at a
// bound, and both.
func (p *likelihood) nearFaces(m params) []face {
	betaLo, betaHi, lapseHi := math.Exp(p.logLo), math.Exp(p.logHi), p.maxLapse
	zero := 0.0
	var betas, lapses []*float64
	u := (math.Log(m.beta) - p.logLo) / (p.logHi - p.logLo)
	switch {
	case u < nearBound:
		betas = append(betas, &betaLo)
	case u > 1-nearBound:
		betas = append(betas, &betaHi)
	}
	switch {
	case m.lapse < nearBound*p.maxLapse:
		lapses = append(lapses, &zero)
	case m.lapse > (1-nearBound)*p.maxLapse:
		lapses = append(lapses, &lapseHi)
	}
	var out []face
	for _, b := range betas {
		out = append(out, face{beta: b})
	}
	for _, l := range lapses {
		out = append(out, face{lapse: l})
		for _, b := range betas {
			out = append(out, face{beta: b, lapse: l})
		}
	}
	return out
}

// centreStep handles a step fit: with β at its lower bound and α well
// inside a gap between two tested tints (perfectly separated answers),
// the likelihood is flat in α across the gap and the optimiser stops
// anywhere in it; α is moved to the middle of the gap, provided the
// likelihood does not get worse.
func (p *likelihood) centreStep(m params) params {
	if m.beta > 1.5*math.Exp(p.logLo) {
		return m
	}
	for i := 1; i < len(p.lv); i++ {
		lo, hi := p.lv[i-1].tint, p.lv[i].tint
		if m.alpha-lo > 10*m.beta && hi-m.alpha > 10*m.beta {
			centred := m
			centred.alpha = (lo + hi) / 2
			if p.nll(centred) <= p.nll(m)+1e-9 {
				return centred
			}
			return m
		}
	}
	return m
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

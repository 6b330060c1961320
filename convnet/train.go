package convnet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// TrainConfig is how a model is pretrained. It is saved with the weights,
// so a weights file says exactly how it was made, and a saved model is
// reused only for the same config.
type TrainConfig struct {
	Arch  Arch         `json:"arch"`
	Data  Distribution `json:"data"`
	Seed  uint64       `json:"seed"`
	Steps int          `json:"steps"`
	Batch int          `json:"batch"`
	// Adam's learning rate rises linearly from 0 to LR over Warmup steps,
	// then falls to LRFinal along a cosine: large steps early, small ones
	// at the end so the neutral point settles (a noisy last step moves
	// every PSE).
	LR      float64 `json:"lr"`
	LRFinal float64 `json:"lr_final"`
	Warmup  int     `json:"warmup"`
	// TintLabelWidth makes the tint targets soft: an image with light
	// parts at a* is labelled red with probability σ(a*/TintLabelWidth)
	// (0: hard 0/1 labels). See DefaultTrainConfig for why.
	TintLabelWidth float64 `json:"tint_label_width"`
	// TintLabelMax bounds the target log-odds: σ(clamp(a*/width, ±max)).
	// 0: no bound.
	TintLabelMax float64 `json:"tint_label_max"`
	// EvalN held-out images measure the accuracies, and EvalN more the
	// feature statistics the decorrelation layer is centred on.
	EvalN int `json:"eval_n"`
}

// DefaultTrainConfig is the reference pretraining: 1,500 steps of 32
// images (DESIGN.md §6: ≈600 steps left the neutral point
// orientation-dependent; ≈1,500 gave tint accuracy ≥ 0.94), about a
// minute on two cores.
//
// The tint labels are soft, σ(a*/1.5), with the target log-odds bounded at
// ±4. The width gives the observer a psychometric function like a
// participant's (P(red) ≈ 0.66 at +1 a*, 0.94 at +4) instead of a step,
// and the bound a lapse rate (at most 98% "red" however red): with hard
// 0/1 labels nothing limits the log-odds of vivid colours, and the network
// read the saturated induction green as 1.4 times as strong as the red and
// as stronger on vertical than on horizontal stripes, asymmetries that the
// decorrelation layer turned into non-contingent drifts.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Arch:  DefaultArch(),
		Data:  DefaultDistribution(),
		Seed:  1,
		Steps: 1500, Batch: 32,
		LR: 2e-3, LRFinal: 5e-5, Warmup: 100,
		TintLabelWidth: 1.5, TintLabelMax: 4,
		EvalN: 2048,
	}
}

// Validate reports an unusable config.
func (c TrainConfig) Validate() error {
	if err := c.Arch.Validate(); err != nil {
		return err
	}
	switch {
	case c.Steps < 0 || c.Batch < 1:
		return fmt.Errorf("convnet: steps %d and batch %d must be ≥ 0 and ≥ 1", c.Steps, c.Batch)
	case !(c.LR > 0) || c.LRFinal < 0 || c.Warmup < 0:
		return fmt.Errorf("convnet: learning rates %g → %g must be positive", c.LR, c.LRFinal)
	case c.EvalN < 1:
		return fmt.Errorf("convnet: eval_n %d must be positive", c.EvalN)
	case c.TintLabelWidth < 0:
		return fmt.Errorf("convnet: tint_label_width %g must be ≥ 0", c.TintLabelWidth)
	case c.TintLabelWidth == 0 && c.Data.NeutralFrac > 0:
		return errors.New("convnet: neutral images (data.neutral_frac > 0) need soft tint labels (tint_label_width > 0)")
	case c.Data.RefSizePx < 1:
		return errors.New("convnet: data.ref_size_px must be positive")
	}
	return nil
}

// Progress receives, after every training step, the step number (1-based),
// the batch loss and the batch tint accuracy.
type Progress func(step int, loss, acc float64)

// Metrics are measured on held-out images after training.
type Metrics struct {
	// TintAccuracy is the fraction of held-out images with |a*| ≥ 4 whose
	// tint the network calls right (P(red) > 0.5 exactly when a* > 0).
	TintAccuracy    float64 `json:"tint_accuracy"`
	PatternAccuracy float64 `json:"pattern_accuracy"`
	HeldOut         int     `json:"held_out"`
	FinalLoss       float64 `json:"final_loss"` // mean batch loss of the last 50 steps
	Seconds         float64 `json:"seconds"`    // wall time of training (not reproducible)
	// Kernels are the convolution kernels that trained the weights
	// (CPUKernels): the same config gives the same weights, bit for bit,
	// on any machine that uses the same kernels.
	Kernels string `json:"kernels"`
}

// Stream labels of the seeded random sources, so that training batches,
// held-out images and feature statistics never share draws.
const (
	streamTrain = iota + 1
	streamEval
	streamStats
)

// heldOutMinTint is the |a*| below which held-out images are not scored.
const heldOutMinTint = 4

// Train pretrains a model ("a lifetime of experience") and measures it.
// The result is a pure function of cfg: weights start from cfg.Seed, the
// batches come from a PCG stream of cfg.Seed, and every floating-point
// reduction runs in a fixed order. progress may be nil. Cancelling ctx
// stops training with ctx's error.
func Train(ctx context.Context, cfg TrainConfig, progress Progress) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	tr, err := newTrainer(cfg)
	if err != nil {
		return nil, err
	}
	defer tr.close()
	// The batch producer stops when training does, for whatever reason,
	// and Train returns only after it has.
	prodCtx, stop := context.WithCancel(ctx)
	batches, produced := tr.batches(prodCtx, cfg.Steps)
	defer produced.Wait()
	defer stop()
	var recent []float64
	for step := 1; step <= cfg.Steps; step++ {
		b, ok := <-batches
		if !ok { // the producer stopped: ctx was cancelled
			return nil, ctx.Err()
		}
		loss, acc, err := tr.step(step, b)
		if err != nil {
			return nil, err
		}
		recent = append(recent, loss)
		if len(recent) > 50 {
			recent = recent[1:]
		}
		if progress != nil {
			progress(step, loss, acc)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	m := &Model{Train: cfg, Weights: tr.gr.weights()}
	for _, l := range recent {
		m.Metrics.FinalLoss += l / float64(len(recent))
	}
	if err := m.measure(ctx); err != nil {
		return nil, err
	}
	m.Metrics.Seconds = time.Since(start).Seconds()
	m.Metrics.Kernels = CPUKernels()
	return m, nil
}

// trainer is the training graph, its optimiser and its data stream.
type trainer struct {
	cfg  TrainConfig
	gr   *graph
	adam *adam
	rng  *rand.Rand
	rr   *renderer
	free chan *batch
}

// batch is one rendered training batch and its labels.
type batch struct {
	x, tint, pattern []float32
	err              error
}

func newTrainer(cfg TrainConfig) (*trainer, error) {
	a := cfg.Arch
	gr, err := newGraph(a, initWeights(a, cfg.Seed), cfg.Batch, true)
	if err != nil {
		return nil, err
	}
	tr := &trainer{
		cfg: cfg, gr: gr, adam: newAdam(gr),
		rng:  rand.New(rand.NewPCG(cfg.Seed, streamTrain)),
		rr:   newRenderer(a.Size),
		free: make(chan *batch, 2),
	}
	for range 2 {
		tr.free <- &batch{
			x:       make([]float32, cfg.Batch*a.inputLen()),
			tint:    make([]float32, cfg.Batch),
			pattern: make([]float32, cfg.Batch*a.Classes),
		}
	}
	return tr, nil
}

func (tr *trainer) close() { tr.gr.close() }

// fill renders the next batch of the data stream into b.
func (tr *trainer) fill(b *batch) {
	a, n := tr.cfg.Arch, tr.cfg.Arch.inputLen()
	clear(b.pattern)
	for i := range tr.cfg.Batch {
		s := tr.cfg.Data.Draw(tr.rng)
		if err := tr.rr.render(s.Stimulus, s.ShiftX, s.ShiftY, b.x[i*n:(i+1)*n]); err != nil {
			b.err = fmt.Errorf("convnet: rendering a training image: %w", err)
			return
		}
		b.tint[i] = float32(tr.cfg.tintTarget(s.AStar))
		b.pattern[i*a.Classes+s.Class] = 1
	}
}

// batches renders the next n batches in a goroutine, one ahead of the
// training steps (two buffers), so that rendering overlaps the graph's
// serial parts. The stream is the same as rendering in line: one
// goroutine draws from the seeded source, in order. The channel is closed
// when the n batches are sent or ctx is cancelled, whichever comes first,
// so a consumer never waits on a producer that has gone; the WaitGroup
// is done once the goroutine has returned.
func (tr *trainer) batches(ctx context.Context, n int) (<-chan *batch, *sync.WaitGroup) {
	ready := make(chan *batch, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ready)
		for range n {
			var b *batch
			select {
			case b = <-tr.free:
			case <-ctx.Done():
				return
			}
			tr.fill(b)
			select {
			case ready <- b:
			case <-ctx.Done():
				return
			}
		}
	})
	return ready, &wg
}

// step trains on batch b (then returns it to the free list) and reports
// the batch loss and tint accuracy.
func (tr *trainer) step(step int, b *batch) (loss, acc float64, err error) {
	if b.err != nil {
		return 0, 0, b.err
	}
	gr := tr.gr
	copy(gr.xData, b.x)
	copy(gr.tintYData, b.tint)
	copy(gr.patYData, b.pattern)
	tr.free <- b
	if err := gr.run(); err != nil {
		return 0, 0, fmt.Errorf("convnet: training step %d: %w", step, err)
	}
	loss = float64(gr.lossV.Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("convnet: training diverged at step %d (loss %g)", step, loss)
	}
	right := 0
	for i, z := range gr.tintV.Data().([]float32) {
		if (z > 0) == (gr.tintYData[i] > 0.5) {
			right++
		}
	}
	if err := tr.adam.step(tr.cfg.learningRate(step)); err != nil {
		return 0, 0, err
	}
	return loss, float64(right) / float64(tr.cfg.Batch), nil
}

// measure computes the held-out accuracies and the feature statistics.
func (m *Model) measure(ctx context.Context) error {
	cfg := m.Train
	held := cfg.Data
	held.MinAbsTint = heldOutMinTint
	samples := drawSamples(held, rand.New(rand.NewPCG(cfg.Seed, streamEval)), cfg.EvalN)
	tintRight, patRight := 0, 0
	err := m.forwardSamples(ctx, samples, func(i int, feat []float32, tint float32, pattern []float32) {
		if (tint > 0) == (samples[i].AStar > 0) {
			tintRight++
		}
		best := 0
		for k, v := range pattern {
			if v > pattern[best] {
				best = k
			}
		}
		if best == samples[i].Class {
			patRight++
		}
	})
	if err != nil {
		return err
	}
	m.Metrics.HeldOut = len(samples)
	m.Metrics.TintAccuracy = float64(tintRight) / float64(len(samples))
	m.Metrics.PatternAccuracy = float64(patRight) / float64(len(samples))

	// Feature statistics over the pretraining distribution itself: the
	// fixed centre μ and scale σ of the decorrelation layer.
	samples = drawSamples(cfg.Data, rand.New(rand.NewPCG(cfg.Seed, streamStats)), cfg.EvalN)
	nf := cfg.Arch.Features
	sum, sum2 := make([]float64, nf), make([]float64, nf)
	err = m.forwardSamples(ctx, samples, func(_ int, feat []float32, _ float32, _ []float32) {
		for j, v := range feat {
			sum[j] += float64(v)
			sum2[j] += float64(v) * float64(v)
		}
	})
	if err != nil {
		return err
	}
	N := float64(len(samples))
	m.Stats = FeatureStats{Mean: make([]float64, nf), SD: make([]float64, nf)}
	for j := range nf {
		mu := sum[j] / N
		m.Stats.Mean[j] = mu
		m.Stats.SD[j] = math.Sqrt(math.Max(sum2[j]/N-mu*mu, 0))
	}
	return nil
}

// tintTarget is the tint label of an image whose light parts have a*.
func (c TrainConfig) tintTarget(a float64) float64 {
	if c.TintLabelWidth == 0 {
		if a > 0 {
			return 1
		}
		return 0
	}
	z := a / c.TintLabelWidth
	if c.TintLabelMax > 0 {
		z = math.Max(-c.TintLabelMax, math.Min(c.TintLabelMax, z))
	}
	return sigmoid(z)
}

// learningRate is the schedule: linear warm-up, then cosine decay.
func (c TrainConfig) learningRate(step int) float64 {
	if step <= c.Warmup {
		return c.LR * float64(step) / float64(c.Warmup)
	}
	frac := float64(step-c.Warmup) / float64(max(c.Steps-c.Warmup, 1))
	return c.LRFinal + (c.LR-c.LRFinal)*0.5*(1+math.Cos(math.Pi*frac))
}

func drawSamples(d Distribution, r *rand.Rand, n int) []Sample {
	s := make([]Sample, n)
	for i := range s {
		s[i] = d.Draw(r)
	}
	return s
}

// adam is the Adam optimiser over the graph's parameters, updating their
// values in place after each run. (gorgonia's AdamSolver allocates
// temporaries per step and per parameter; this is the same update rule on
// the raw slices.)
type adam struct {
	gr    *graph
	m, v  [][]float32
	scale []float64 // per-parameter learning-rate multiplier, see lrScale
	mask  [][]bool  // per-parameter trainable entries (nil: all), see connMask
	t     int
}

// lrScale is the learning-rate multiplier of a parameter of the given
// shape: √(75/fan-in), at most 1 (75 is the first layer's fan-in). Adam
// moves every weight by about the learning rate whatever its gradient's
// size, so a unit with 4,096 non-negative inputs (the feature layer) would
// see its input shift by thousands of times the learning rate per step,
// and ReLU units pushed below zero for every image never come back: with
// one rate for all layers about half the feature units died in the first
// 100 steps. Scaling by fan-in (and a short warm-up, see Train) keeps
// nearly all 32 alive.
func lrScale(shape []int) float64 {
	fanIn := 1
	switch {
	case len(shape) == 4:
		fanIn = shape[1] * shape[2] * shape[3]
	case len(shape) == 2 && shape[0] > 1:
		fanIn = shape[0]
	}
	return math.Min(1, math.Sqrt(75/float64(fanIn)))
}

const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

func newAdam(gr *graph) *adam {
	a := &adam{gr: gr}
	for _, p := range gr.params {
		n := p.Shape().TotalSize()
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
		a.scale = append(a.scale, lrScale(p.Shape()))
		a.mask = append(a.mask, connMask(gr.arch, p.Name()))
	}
	return a
}

func (a *adam) step(lr float64) error {
	a.t++
	c1 := 1 - math.Pow(adamBeta1, float64(a.t))
	c2 := 1 - math.Pow(adamBeta2, float64(a.t))
	for i, p := range a.gr.params {
		step := float32(lr * a.scale[i] * math.Sqrt(c2) / c1)
		gv, err := p.Grad()
		if err != nil {
			return fmt.Errorf("convnet: gradient of %s: %w", p.Name(), err)
		}
		g := gv.Data().([]float32)
		w := p.Value().Data().([]float32)
		m, v := a.m[i], a.v[i]
		if mask := a.mask[i]; mask != nil {
			for j, on := range mask {
				if !on {
					g[j] = 0
				}
			}
		}
		for j, gj := range g {
			m[j] = adamBeta1*m[j] + (1-adamBeta1)*gj
			v[j] = adamBeta2*v[j] + (1-adamBeta2)*gj*gj
			w[j] -= step * m[j] / (float32(math.Sqrt(float64(v[j]))) + adamEps)
		}
		// The tape machine adds each run's gradient into the parameter's
		// dual value; the solver must zero it (as gorgonia's solvers do).
		clear(g)
	}
	return nil
}

package convnet

import (
	"context"
	"math"
	"sync"

	"github.com/mccollough/mccollough/stimuli"
)

// FeatureStats are the mean and standard deviation of each feature unit
// over the pretraining distribution.
type FeatureStats struct {
	Mean []float64 `json:"mean"`
	SD   []float64 `json:"sd"`
}

// Model is a pretrained network: its weights, how they were trained, how
// well it does, and the feature statistics the adaptation layer needs. A
// Model is read-only once built and safe for concurrent use; observers
// (NewObserver) share it and carry their own adaptation state.
type Model struct {
	Train   TrainConfig
	Weights Weights
	Stats   FeatureStats
	Metrics Metrics

	mu     sync.Mutex
	single *graph // batch 1, built on first use
	multi  *graph // batch evalBatch
	rr     *renderer
	cache  map[featureKey][]float64
	digest string
}

// evalBatch is the batch size of bulk inference (measurements).
const evalBatch = 64

// maxCache bounds the feature cache (32 float64s per entry, ~300 bytes).
const maxCache = 1 << 16

type featureKey struct {
	stim   string // stimuli.Key at the input size
	dx, dy int
}

// graphFor returns the inference graph for batch 1 or evalBatch; m.mu
// must be held.
func (m *Model) graphFor(n int) (*graph, error) {
	var err error
	if n == 1 {
		if m.single == nil {
			m.single, err = newGraph(m.Train.Arch, m.Weights, 1, false)
		}
		return m.single, err
	}
	if m.multi == nil {
		m.multi, err = newGraph(m.Train.Arch, m.Weights, evalBatch, false)
	}
	return m.multi, err
}

// forwardSamples runs the network over samples in batches and calls out
// for each with its features, tint logit and pattern logits (valid during
// the call only).
func (m *Model) forwardSamples(ctx context.Context, samples []Sample, out func(i int, feat []float32, tint float32, pattern []float32)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	gr, err := m.graphFor(evalBatch)
	if err != nil {
		return err
	}
	if m.rr == nil {
		m.rr = newRenderer(m.Train.Arch.Size)
	}
	a := m.Train.Arch
	n := a.inputLen()
	for lo := 0; lo < len(samples); lo += evalBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+evalBatch, len(samples))
		for i := lo; i < hi; i++ {
			s := samples[i]
			if err := m.rr.render(s.Stimulus, s.ShiftX, s.ShiftY, gr.xData[(i-lo)*n:(i-lo+1)*n]); err != nil {
				return err
			}
		}
		if err := gr.run(); err != nil {
			return err
		}
		feat := gr.featV.Data().([]float32)
		tint := gr.tintV.Data().([]float32)
		pat := gr.patV.Data().([]float32)
		for i := lo; i < hi; i++ {
			j := i - lo
			out(i, feat[j*a.Features:(j+1)*a.Features], tint[j], pat[j*a.Classes:(j+1)*a.Classes])
		}
	}
	return nil
}

// Features returns the feature layer's response to stimulus s translated
// by (dx, dy) input pixels (right, down). Responses are cached: the
// network before the adaptation layer never changes, so each distinct
// image is computed once per model. The returned slice must not be
// modified.
func (m *Model) Features(s stimuli.Stimulus, dx, dy int) ([]float64, error) {
	a := m.Train.Arch
	key := featureKey{stimuli.Key(s, a.Size), dx, dy}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.cache[key]; ok {
		return f, nil
	}
	gr, err := m.graphFor(1)
	if err != nil {
		return nil, err
	}
	if m.rr == nil {
		m.rr = newRenderer(a.Size)
	}
	if err := m.rr.render(s, dx, dy, gr.xData); err != nil {
		return nil, err
	}
	if err := gr.run(); err != nil {
		return nil, err
	}
	f := make([]float64, a.Features)
	for j, v := range gr.featV.Data().([]float32) {
		f[j] = float64(v)
	}
	if m.cache == nil || len(m.cache) >= maxCache {
		m.cache = map[featureKey][]float64{}
	}
	m.cache[key] = f
	return f, nil
}

// TintLogit is the tint head on a (possibly adapted) feature vector: the
// log-odds that the light parts are red. The heads are a 32→1 and a
// 32→K affine map, evaluated in plain Go from the trained weights (faster
// than a gorgonia run for one vector, and the adaptation layer sits
// between the features and the heads).
func (m *Model) TintLogit(feat []float64) float64 {
	w, b := m.Weights.get("tint.w"), m.Weights.get("tint.b")
	z := float64(b[0])
	for j, v := range feat {
		z += float64(w[j]) * v
	}
	return z
}

// PRed is the probability the model reports "red" for a feature vector.
func (m *Model) PRed(feat []float64) float64 { return sigmoid(m.TintLogit(feat)) }

// neutralColour is the colour units' response to any achromatic image:
// their input, the colour-opponent channels (toOpponent), is exactly 0
// for a grey, and the convolutions have no bias, so each colour unit
// gives relu(its bias).
func (m *Model) neutralColour() []float64 {
	b := m.Weights.get("fc.b")
	c := make([]float64, m.Train.Arch.Features/2)
	for i := range c {
		c[i] = math.Max(float64(b[i]), 0)
	}
	return c
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

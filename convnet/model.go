package convnet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mccollough/mccollough/stimuli"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Arch is the shape of the network. The reference shape (DefaultArch) is
// small on purpose: the observer must train in about a minute on a laptop
// CPU, and a feature layer of 32 units keeps the adaptation layer's 32×32
// lateral matrix easy to inspect.
type Arch struct {
	Size     int `json:"size"`     // input side in pixels (images are Size×Size×3)
	Kernel   int `json:"kernel"`   // convolution kernel side
	Conv1    int `json:"conv1"`    // filters of the first convolution
	Conv2    int `json:"conv2"`    // filters of the second convolution
	Features int `json:"features"` // units of the feature layer
	Classes  int `json:"classes"`  // pattern classes (see PatternClasses)
	// Streams splits every layer into a colour half and a form half (see
	// DefaultArch). False: every layer is fully connected to the last.
	Streams bool `json:"streams"`
}

// DefaultArch is conv 5×5×8 → ReLU → maxpool 2 → conv 5×5×16 → ReLU →
// maxpool 2 → fully connected 32 (ReLU, the feature layer) → heads, on
// 64×64 inputs, in two streams.
//
// With Streams, each layer's first half is a colour stream and its second
// half a form stream, connected only within the stream: conv1 filters 0–3
// see the two colour-opponent input channels, 4–7 the luminance channel;
// conv2 filters 0–7 see conv1's colour maps, 8–15 its form maps; feature
// units 0–15 see conv2's colour maps, 16–31 its form maps; the tint head
// reads the colour units and the pattern head the form units. The layer
// sizes are the reference shape; only connections across streams are
// absent (their weights are held at 0). Why, from what fully connected
// networks did:
//   - calibration: in a fully connected network the tint read-out picks
//     up luminance-driven units, and the neutral point of a neutral grating
//     (whose red−green input is exactly 0) wandered by ±1–3 a* with its
//     orientation, period and phase, a different pattern for every
//     training seed (one seed in three left |PSE(B)| at 1.7–3.8);
//   - contingency: a decorrelating layer on features where colour and form
//     are entangled also learns non-contingent shifts. With colour and
//     pattern balanced over the induction (the shuffled control), units
//     that code "horizontal" and "red" together still made the horizontal
//     grating greener, so the shuffled control's contingent effect reached
//     20–28% of the paired one. With separate streams the lateral
//     weights the induction teaches are between colour and form units,
//     which is Barlow's account of the McCollough effect.
func DefaultArch() Arch {
	return Arch{Size: 64, Kernel: 5, Conv1: 8, Conv2: 16, Features: 32, Classes: len(PatternClasses), Streams: true}
}

// Validate reports whether the shape can be built.
func (a Arch) Validate() error {
	switch {
	case a.Size < 8 || a.Size%4 != 0:
		return fmt.Errorf("convnet: input size %d must be a multiple of 4 and at least 8", a.Size)
	case a.Kernel < 1 || a.Kernel%2 == 0:
		return fmt.Errorf("convnet: kernel %d must be odd", a.Kernel)
	case a.Conv1 < 1 || a.Conv2 < 1 || a.Features < 1:
		return fmt.Errorf("convnet: layer widths must be positive (conv1 %d, conv2 %d, features %d)", a.Conv1, a.Conv2, a.Features)
	case a.Streams && (a.Conv1%2 != 0 || a.Conv2%2 != 0 || a.Features%2 != 0):
		return fmt.Errorf("convnet: two streams need even layer widths (conv1 %d, conv2 %d, features %d)", a.Conv1, a.Conv2, a.Features)
	case a.Classes != len(PatternClasses):
		return fmt.Errorf("convnet: %d pattern classes, this build knows %d", a.Classes, len(PatternClasses))
	}
	return nil
}

// flat is the length of the flattened second pooling layer.
func (a Arch) flat() int { return a.Conv2 * (a.Size / 4) * (a.Size / 4) }

// inputLen is the length of one image tensor.
func (a Arch) inputLen() int { return 3 * a.Size * a.Size }

// Param is one named weight tensor.
type Param struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float32 `json:"-"`
}

// Weights are the trained parameters in a fixed order (see paramShapes).
type Weights []Param

// paramShapes lists the parameters of a: their names, shapes and fan-in
// (for initialisation). The order is the file order.
func paramShapes(a Arch) []Param {
	k := a.Kernel
	return []Param{
		{Name: "conv1.w", Shape: []int{a.Conv1, 3, k, k}},
		{Name: "conv2.w", Shape: []int{a.Conv2, a.Conv1, k, k}},
		{Name: "fc.w", Shape: []int{a.flat(), a.Features}},
		{Name: "fc.b", Shape: []int{1, a.Features}},
		{Name: "tint.w", Shape: []int{a.Features, 1}},
		{Name: "tint.b", Shape: []int{1, 1}},
		{Name: "pattern.w", Shape: []int{a.Features, a.Classes}},
		{Name: "pattern.b", Shape: []int{1, a.Classes}},
	}
}

const featureBiasInit = 1.0

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// initWeights draws He-uniform weights from a seeded PCG, so a training
// seed fixes the initial network exactly (gorgonia's own initialisers seed
// from the clock). The limit of each output's weights uses its actual
// fan-in (connections within its stream). Head biases start at 0; the
// feature layer's at featureBiasInit, so that every feature unit starts
// active for most images (with 0.1, a third of them died in the first
// hundred steps).
func initWeights(a Arch, seed uint64) Weights {
	r := rand.New(rand.NewPCG(seed, 0x5eed_1417))
	w := paramShapes(a)
	for i := range w {
		p := &w[i]
		p.Data = make([]float32, numel(p.Shape))
		if len(p.Shape) == 2 && p.Shape[0] == 1 { // bias
			if p.Name == "fc.b" {
				for j := range p.Data {
					p.Data[j] = featureBiasInit
				}
			}
			continue
		}
		mask := connMask(a, p.Name)
		fanIn := fanIns(p.Shape, mask)
		for j := range p.Data {
			v := (2*r.Float64() - 1) * math.Sqrt(6/float64(fanIn(j)))
			if mask != nil && !mask[j] {
				v = 0
			}
			p.Data[j] = float32(v)
		}
	}
	return w
}

// fanIns returns, for a weight tensor of shape (O, …) (convolution) or
// (in, out) (fully connected) and its connection mask, the fan-in of the
// output that weight j feeds.
func fanIns(shape []int, mask []bool) func(j int) int {
	n := numel(shape)
	var outOf func(j int) int
	var outs int
	if len(shape) == 4 {
		per := n / shape[0]
		outs, outOf = shape[0], func(j int) int { return j / per }
	} else {
		outs, outOf = shape[1], func(j int) int { return j % shape[1] }
	}
	count := make([]int, outs)
	for j := range n {
		if mask == nil || mask[j] {
			count[outOf(j)]++
		}
	}
	return func(j int) int { return max(count[outOf(j)], 1) }
}

// connMask says which entries of a weight tensor exist in the two-stream
// architecture (Arch.Streams): nil when all do (no streams, or a bias).
// Masked-out weights are initialised to 0 and never trained.
func connMask(a Arch, name string) []bool {
	if !a.Streams {
		return nil
	}
	// colourIn/colourOut say whether input i / output o belong to the
	// colour stream.
	var in, out int
	var colourIn, colourOut func(int) bool
	conv := false
	switch name {
	case "conv1.w":
		conv, in, out = true, 3, a.Conv1
		colourIn = func(c int) bool { return c != 0 } // channel 0 is luminance
		colourOut = func(o int) bool { return o < a.Conv1/2 }
	case "conv2.w":
		conv, in, out = true, a.Conv1, a.Conv2
		colourIn = func(c int) bool { return c < a.Conv1/2 }
		colourOut = func(o int) bool { return o < a.Conv2/2 }
	case "fc.w":
		in, out = a.flat(), a.Features
		per := a.flat() / a.Conv2 // flattened (channel, y, x)
		colourIn = func(i int) bool { return i/per < a.Conv2/2 }
		colourOut = func(j int) bool { return j < a.Features/2 }
	case "tint.w", "pattern.w":
		in, out = a.Features, 1
		if name == "pattern.w" {
			out = a.Classes
		}
		colourIn = func(j int) bool { return j < a.Features/2 }
		colourOut = func(int) bool { return name == "tint.w" }
	default:
		return nil
	}
	if conv {
		kk := a.Kernel * a.Kernel
		m := make([]bool, out*in*kk)
		for o := range out {
			for c := range in {
				on := colourIn(c) == colourOut(o)
				for k := range kk {
					m[(o*in+c)*kk+k] = on
				}
			}
		}
		return m
	}
	m := make([]bool, in*out)
	for i := range in {
		for o := range out {
			m[i*out+o] = colourIn(i) == colourOut(o)
		}
	}
	return m
}

// channelConn reduces a convolution's connMask to (output, input)
// channel pairs, for the grouped convolution Op (nil: all connected).
func channelConn(a Arch, name string) []bool {
	m := connMask(a, name)
	if m == nil {
		return nil
	}
	kk := a.Kernel * a.Kernel
	conn := make([]bool, len(m)/kk)
	for i := range conn {
		conn[i] = m[i*kk]
	}
	return conn
}

// get returns the parameter called name.
func (w Weights) get(name string) []float32 {
	for _, p := range w {
		if p.Name == name {
			return p.Data
		}
	}
	panic("convnet: no parameter " + name)
}

// graph is one compiled gorgonia program over a fixed batch size: the
// expression graph and its tape machine are built once and reused for every
// batch. Inputs are written in place into the backing arrays of the input
// tensors (xData, labels) rather than bound anew with gorgonia.Let.
type graph struct {
	arch  Arch
	batch int
	g     *G.ExprGraph
	vm    G.VM

	x     *G.Node
	xData []float32

	params []*G.Node // in paramShapes order

	feat, tint, pattern *G.Node
	featV, tintV, patV  G.Value

	// Training only.
	train               bool
	tintY, patY         *G.Node
	tintYData, patYData []float32
	loss                *G.Node
	lossV               G.Value
}

// newGraph builds the network for batch images. With train, it adds the
// loss (tint binary cross-entropy against the soft targets, in the stable
// softplus form, plus pattern cross-entropy) and its gradient; the
// weights' values are copies of w.
func newGraph(a Arch, w Weights, batch int, train bool) (*graph, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	gr := &graph{arch: a, batch: batch, g: G.NewGraph(), train: train}
	g := gr.g
	gr.xData = make([]float32, batch*a.inputLen())
	gr.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 3, a.Size, a.Size), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 3, a.Size, a.Size), tensor.WithBacking(gr.xData))))
	for _, p := range w {
		data := append([]float32(nil), p.Data...)
		t := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(data))
		n := G.NewTensor(g, tensor.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(t))
		gr.params = append(gr.params, n)
	}
	P := func(name string) *G.Node {
		for i, p := range w {
			if p.Name == name {
				return gr.params[i]
			}
		}
		panic("convnet: no parameter " + name)
	}
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return n
	}
	// conv 5×5 → ReLU → maxpool 2, twice (one fused Op each, see conv.go).
	h := must(convBlock(gr.x, P("conv1.w"), false, channelConn(a, "conv1.w")))
	h = must(convBlock(h, P("conv2.w"), true, channelConn(a, "conv2.w")))
	h = must(G.Reshape(h, tensor.Shape{batch, a.flat()}))
	h = must(G.Mul(h, P("fc.w")))
	h = must(G.BroadcastAdd(h, P("fc.b"), nil, []byte{0}))
	gr.feat = must(G.Rectify(h))
	t := must(G.Mul(gr.feat, P("tint.w")))
	t = must(G.BroadcastAdd(t, P("tint.b"), nil, []byte{0}))
	gr.tint = must(G.Reshape(t, tensor.Shape{batch}))
	pl := must(G.Mul(gr.feat, P("pattern.w")))
	gr.pattern = must(G.BroadcastAdd(pl, P("pattern.b"), nil, []byte{0}))
	if err != nil {
		return nil, fmt.Errorf("convnet: building the graph: %w", err)
	}
	G.Read(gr.feat, &gr.featV)
	G.Read(gr.tint, &gr.tintV)
	G.Read(gr.pattern, &gr.patV)
	if !train {
		gr.vm = G.NewTapeMachine(g)
		return gr, nil
	}
	gr.tintYData = make([]float32, batch)
	gr.tintY = G.NewTensor(g, tensor.Float32, 1, G.WithShape(batch), G.WithName("tintY"),
		G.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(gr.tintYData))))
	gr.patYData = make([]float32, batch*a.Classes)
	gr.patY = G.NewTensor(g, tensor.Float32, 2, G.WithShape(batch, a.Classes), G.WithName("patternY"),
		G.WithValue(tensor.New(tensor.WithShape(batch, a.Classes), tensor.WithBacking(gr.patYData))))
	// Tint: mean(softplus(z) − y·z), the binary cross-entropy of a
	// logistic output without computing a sigmoid or log(0).
	lt := must(G.Sub(must(G.Softplus(gr.tint)), must(G.HadamardProd(gr.tintY, gr.tint))))
	lt = must(G.Mean(lt))
	// Pattern: −mean over the batch of Σ_k y_k log softmax(z)_k.
	lp := must(G.LogSoftMax(gr.pattern, 1))
	lp = must(G.Sum(must(G.HadamardProd(lp, gr.patY))))
	lp = must(G.Div(lp, G.NewConstant(float32(-batch))))
	gr.loss = must(G.Add(lt, lp))
	if err != nil {
		return nil, fmt.Errorf("convnet: building the loss: %w", err)
	}
	G.Read(gr.loss, &gr.lossV)
	if _, err := G.Grad(gr.loss, gr.params...); err != nil {
		return nil, fmt.Errorf("convnet: gradient: %w", err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(gr.params...))
	return gr, nil
}

// run executes the program once over the current inputs.
func (gr *graph) run() error {
	defer gr.vm.Reset()
	return gr.vm.RunAll()
}

// weights copies the graph's current parameter values out.
func (gr *graph) weights() Weights {
	w := paramShapes(gr.arch)
	for i := range w {
		w[i].Data = append([]float32(nil), gr.params[i].Value().Data().([]float32)...)
	}
	return w
}

func (gr *graph) close() {
	if c, ok := gr.vm.(interface{ Close() error }); ok {
		c.Close()
	}
}

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

// PatternLogits is the pattern head on a feature vector, one logit per
// PatternClasses entry.
func (m *Model) PatternLogits(feat []float64) []float64 {
	a := m.Train.Arch
	w, b := m.Weights.get("pattern.w"), m.Weights.get("pattern.b")
	out := make([]float64, a.Classes)
	for k := range out {
		z := float64(b[k])
		for j, v := range feat {
			z += float64(w[j*a.Classes+k]) * v
		}
		out[k] = z
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

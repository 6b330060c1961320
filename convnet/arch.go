package convnet

import (
	"fmt"
	"math"
	"math/rand/v2"
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

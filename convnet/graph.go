package convnet

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

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

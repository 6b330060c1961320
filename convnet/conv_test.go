package convnet

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvMatchesGorgonia checks the fused convolution block Op against
// gorgonia's own Conv2d, Rectify and MaxPool2D: the same outputs and the
// same gradients with respect to the filter and the input, with the
// portable kernels and (where the CPU has them) the AVX2/FMA ones, on a
// small odd shape (kernel tails) and a larger one (the vector loops).
func TestConvMatchesGorgonia(t *testing.T) {
	kernels := []bool{false}
	if fmaKernels {
		kernels = append(kernels, true)
	}
	defer func(v bool) { fmaKernels = v }(fmaKernels)
	for _, fma := range kernels {
		fmaKernels = fma
		t.Run(CPUKernels(), func(t *testing.T) {
			testConvMatchesGorgonia(t, 3, 3, 10, 8, 4, 5)
			testConvMatchesGorgonia(t, 2, 4, 32, 32, 6, 5)
		})
	}
}

func testConvMatchesGorgonia(t *testing.T, b, c, h, w, o, k int) {
	r := rand.New(rand.NewPCG(7, 7))
	rnd := func(n int) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		return d
	}
	xd, wd, rd := rnd(b*c*h*w), rnd(o*c*k*k), rnd(b*o*(h/2)*(w/2))

	type result struct{ out, dx, dw []float32 }
	run := func(mine bool) result {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(b, c, h, w), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(b, c, h, w), tensor.WithBacking(append([]float32(nil), xd...)))))
		f := G.NewTensor(g, tensor.Float32, 4, G.WithShape(o, c, k, k), G.WithName("w"),
			G.WithValue(tensor.New(tensor.WithShape(o, c, k, k), tensor.WithBacking(append([]float32(nil), wd...)))))
		rr := G.NewTensor(g, tensor.Float32, 4, G.WithShape(b, o, h/2, w/2), G.WithName("r"),
			G.WithValue(tensor.New(tensor.WithShape(b, o, h/2, w/2), tensor.WithBacking(append([]float32(nil), rd...)))))
		var y *G.Node
		var err error
		if mine {
			y, err = convBlock(x, f, true, nil)
		} else {
			y, err = G.Conv2d(x, f, tensor.Shape{k, k}, []int{k / 2, k / 2}, []int{1, 1}, []int{1, 1})
			if err == nil {
				y, err = G.Rectify(y)
			}
			if err == nil {
				y, err = G.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rr))))
		var yv G.Value
		G.Read(y, &yv)
		if _, err := G.Grad(loss, x, f); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(x, f))
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gx, _ := x.Grad()
		gw, _ := f.Grad()
		return result{
			out: append([]float32(nil), yv.Data().([]float32)...),
			dx:  append([]float32(nil), gx.Data().([]float32)...),
			dw:  append([]float32(nil), gw.Data().([]float32)...),
		}
	}
	want, got := run(false), run(true)
	cmp := func(name string, a, b []float32) {
		t.Helper()
		if len(a) != len(b) {
			t.Fatalf("%s: len %d, want %d", name, len(b), len(a))
		}
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4*(1+math.Abs(float64(a[i]))) {
				t.Fatalf("%s[%d] = %g, gorgonia.Conv2d gives %g", name, i, b[i], a[i])
			}
		}
	}
	cmp("output", want.out, got.out)
	cmp("dL/dx", want.dx, got.dx)
	cmp("dL/dw", want.dw, got.dw)
}

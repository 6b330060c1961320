package convnet

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	gblas "gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file is a gorgonia Op for the network's convolution blocks: a 2-D
// convolution (stride 1, "same" zero padding, no bias) fused with the ReLU
// and the 2×2 max-pooling that follow it, with its two gradients as Ops of
// their own so that gorgonia's symbolic differentiation builds the
// backward pass.
//
// Why not gorgonia.Conv2d: profiling a training step (batch 32, 64×64)
// showed Conv2d's im2col buffers (39 MB and 26 MB per step, allocated and
// zeroed anew each run because the tape machine's Reset drops its
// registers), the NHWC→NCHW transpose after the matrix product, col2im, and
// a (B·H·W × 75)·(75 × 8) matrix product whose rows are too short for
// gonum's SIMD kernels, taking about 60% of the step. Here each image is
// convolved directly: the zero-padded input plane is kept as one flat
// vector of row stride W+K−1, so every kernel tap (o, c, ky, kx) is a single
// SIMD axpy of length H·(W+K−1) (the K−1 extra columns per row are ignored
// garbage), the filter gradient a single dot product of the same length,
// and the input gradient the transposed axpy. ReLU and pooling are applied
// while the result is still in cache, and pooling remembers where each
// maximum was, so the backward pass scatters the gradient without another
// pass over the full-resolution map. Channel pairs that the two-stream
// architecture leaves unconnected are skipped (a grouped convolution).
// Images are spread over the CPUs; every buffer is allocated once per
// graph; each image's filter gradient is kept apart and the images are
// summed in order, so results do not depend on the number of workers
// (training is bit-for-bit reproducible). After this, about 80% of a
// training step is spent inside gonum's SIMD kernels.

var blas32 gblas.Implementation

// convState is the geometry and the buffers of one convolution layer, shared
// by its forward Op and its two gradient Ops.
type convState struct {
	id                    uint64
	b, c, h, w, o, k, pad int
	wp, plane, L          int // padded row stride, padded plane length (with slack), extended output length
	needDX                bool
	conn                  []bool // conn[o*C+c]: output o reads input c (grouped convolution)

	pin    []float32 // B × C × plane: zero-padded inputs of the last forward pass
	out    []float32 // B × O × H/2 × W/2: pool(ReLU(conv)) of the last forward pass
	outT   *tensor.Dense
	argmax []int32   // per output: the position (in the extended layout) of its maximum
	dw     []float32 // O × C × K × K
	dwT    *tensor.Dense
	dwImg  []float32 // B × O·C·K·K, per-image filter gradients
	dx     []float32 // B × C × H × W
	dxT    *tensor.Dense
	ext    [][]float32 // per worker, O × L scratch
	dpin   [][]float32 // per worker, C × plane scratch
	worker int

	// offs[t] is tap t's offset in a padded plane (ky·(W+K−1) + kx).
	// For the input gradient with the FMA kernels, gpad holds each
	// output gradient behind gpadLead zeros (per worker, O × gpadLen) and
	// offsT are the mirrored taps' offsets into it (see dataGrad).
	offs, offsT       []int
	gpad              [][]float32
	gpadLead, gpadLen int
}

var convIDs atomic.Uint64

func newConvState(b, c, h, w, o, k int, needDX bool, conn []bool) *convState {
	s := &convState{id: convIDs.Add(1), b: b, c: c, h: h, w: w, o: o, k: k, pad: k / 2, needDX: needDX, conn: conn}
	if s.conn == nil {
		s.conn = make([]bool, o*c)
		for i := range s.conn {
			s.conn[i] = true
		}
	}
	s.wp = w + k - 1
	s.plane = (h+k-1)*s.wp + k // slack: the last taps read up to K−2 past the padded plane
	s.L = h * s.wp
	s.pin = make([]float32, b*c*s.plane)
	s.out = make([]float32, b*o*(h/2)*(w/2))
	s.outT = tensor.New(tensor.WithShape(b, o, h/2, w/2), tensor.WithBacking(s.out))
	s.argmax = make([]int32, len(s.out))
	s.dw = make([]float32, o*c*k*k)
	s.dwT = tensor.New(tensor.WithShape(o, c, k, k), tensor.WithBacking(s.dw))
	s.dwImg = make([]float32, b*len(s.dw))
	if needDX {
		s.dx = make([]float32, b*c*h*w)
		s.dxT = tensor.New(tensor.WithShape(b, c, h, w), tensor.WithBacking(s.dx))
	}
	s.worker = max(1, min(runtime.GOMAXPROCS(0), b))
	for range s.worker {
		s.ext = append(s.ext, make([]float32, o*s.L))
		s.dpin = append(s.dpin, make([]float32, c*s.plane))
	}
	for ky := range k {
		for kx := range k {
			s.offs = append(s.offs, ky*s.wp+kx)
		}
	}
	if needDX && fmaKernels {
		// dpin[c][pad·wp + i] += Σ_t w[t]·g[pad·wp + i − offs[t]]: with g
		// stored at gpad[gpadLead + j], tap t reads gpad at
		// i + gpadLead + pad·wp − offs[t] ≥ 0.
		s.gpadLead = (k-1)*s.wp + (k - 1)
		for _, off := range s.offs {
			s.offsT = append(s.offsT, s.gpadLead+s.pad*s.wp-off)
		}
		s.gpadLen = s.gpadLead + s.pad*s.wp + s.L + 32
		for range s.worker {
			s.gpad = append(s.gpad, make([]float32, o*s.gpadLen))
		}
	}
	return s
}

// parallel runs f(worker, image) for every image of the batch, images
// dealt out to the workers in contiguous chunks.
func (s *convState) parallel(f func(wk, i int)) {
	if s.worker == 1 {
		for i := range s.b {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (s.b + s.worker - 1) / s.worker
	for wk := range s.worker {
		lo, hi := wk*per, min((wk+1)*per, s.b)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(wk, i)
			}
		}()
	}
	wg.Wait()
}

// forward computes out = maxpool(ReLU(conv(x, w))) and keeps the padded
// inputs.
func (s *convState) forward(x, w []float32) {
	kk := s.k * s.k
	s.parallel(func(wk, i int) {
		pin := s.pin[i*s.c*s.plane : (i+1)*s.c*s.plane]
		for c := range s.c {
			src := x[(i*s.c+c)*s.h*s.w:]
			dst := pin[c*s.plane:]
			for y := range s.h {
				copy(dst[(y+s.pad)*s.wp+s.pad:(y+s.pad)*s.wp+s.pad+s.w], src[y*s.w:(y+1)*s.w])
			}
		}
		ext := s.ext[wk]
		clear(ext)
		for o := range s.o {
			for c := range s.c {
				if s.conn[o*s.c+c] {
					tapsAxpy(ext[o*s.L:(o+1)*s.L], pin[c*s.plane:], s.offs, w[(o*s.c+c)*kk:(o*s.c+c+1)*kk])
				}
			}
		}
		s.pool(i, ext)
	})
}

// pool writes image i's 2×2 max-pooled ReLU of the extended conv output
// ext, remembering each maximum's position.
func (s *convState) pool(i int, ext []float32) {
	ph, pw := s.h/2, s.w/2
	base := i * s.o * ph * pw
	out := s.out[base : base+s.o*ph*pw]
	am := s.argmax[base : base+s.o*ph*pw]
	for o := range s.o {
		e := ext[o*s.L : (o+1)*s.L]
		for py := range ph {
			r0 := 2 * py * s.wp
			r1 := r0 + s.wp
			k := (o*ph + py) * pw
			for px := range pw {
				c := r0 + 2*px
				best, at := e[c], c
				if v := e[c+1]; v > best {
					best, at = v, c+1
				}
				if v := e[r1+2*px]; v > best {
					best, at = v, r1+2*px
				}
				if v := e[r1+2*px+1]; v > best {
					best, at = v, r1+2*px+1
				}
				out[k+px] = max(best, 0)
				am[k+px] = int32(at)
			}
		}
	}
}

// maskedGrad writes image i's gradient with respect to the conv output,
// in the extended layout, into dst (output o's at o·stride + lead): the
// pooled output's gradient at the position of each maximum that passed
// the ReLU, zero elsewhere (dst is scratch, so it is cleared first).
func (s *convState) maskedGrad(i int, y, grad []float32, dst []float32, stride, lead int) {
	clear(dst)
	n := s.o * (s.h / 2) * (s.w / 2)
	base := i * n
	out, g, am := y[base:base+n], grad[base:base+n], s.argmax[base:base+n]
	per := (s.h / 2) * (s.w / 2)
	for k, v := range out {
		if v > 0 {
			dst[(k/per)*stride+lead+int(am[k])] = g[k]
		}
	}
}

// filterGrad computes dL/dw from the output gradient.
func (s *convState) filterGrad(y, grad []float32) {
	n := len(s.dw)
	kk := s.k * s.k
	s.parallel(func(wk, i int) {
		ext := s.ext[wk]
		s.maskedGrad(i, y, grad, ext, s.L, 0)
		pin := s.pin[i*s.c*s.plane:]
		dw := s.dwImg[i*n : (i+1)*n]
		for o := range s.o {
			g := ext[o*s.L : (o+1)*s.L]
			for c := range s.c {
				if s.conn[o*s.c+c] { // else stays 0
					tapsDot(dw[(o*s.c+c)*kk:(o*s.c+c+1)*kk], g, pin[c*s.plane:], s.offs)
				}
			}
		}
	})
	copy(s.dw, s.dwImg[:n])
	for i := 1; i < s.b; i++ {
		blas32.Saxpy(n, 1, s.dwImg[i*n:(i+1)*n], 1, s.dw, 1)
	}
}

// dataGrad computes dL/dx from the output gradient.
func (s *convState) dataGrad(w, y, grad []float32) {
	kk := s.k * s.k
	s.parallel(func(wk, i int) {
		dpin := s.dpin[wk]
		clear(dpin)
		if fmaKernels {
			// Each input plane gathers every output gradient through the
			// mirrored taps: one tapsAxpy per channel pair.
			gpad := s.gpad[wk]
			s.maskedGrad(i, y, grad, gpad, s.gpadLen, s.gpadLead)
			for c := range s.c {
				dst := dpin[c*s.plane+s.pad*s.wp:][:s.L]
				for o := range s.o {
					if s.conn[o*s.c+c] {
						tapsAxpy(dst, gpad[o*s.gpadLen:(o+1)*s.gpadLen], s.offsT, w[(o*s.c+c)*kk:(o*s.c+c+1)*kk])
					}
				}
			}
		} else {
			ext := s.ext[wk]
			s.maskedGrad(i, y, grad, ext, s.L, 0)
			for o := range s.o {
				g := ext[o*s.L : (o+1)*s.L]
				for c := range s.c {
					if !s.conn[o*s.c+c] {
						continue
					}
					for ky := range s.k {
						for kx := range s.k {
							blas32.Saxpy(s.L, w[(o*s.c+c)*kk+ky*s.k+kx], g, 1, dpin[c*s.plane+ky*s.wp+kx:][:s.L], 1)
						}
					}
				}
			}
		}
		dx := s.dx[i*s.c*s.h*s.w:]
		for c := range s.c {
			for y := range s.h {
				src := dpin[c*s.plane+(y+s.pad)*s.wp+s.pad:][:s.w]
				copy(dx[(c*s.h+y)*s.w:(c*s.h+y+1)*s.w], src)
			}
		}
	})
}

// convBlock applies the fused convolution + ReLU + 2×2 max-pooling to im
// (B, C, H, W) with filter (O, C, K, K), giving (B, O, H/2, W/2). needDX
// says whether the gradient with respect to im is wanted (not for the
// first layer, whose input is the image). conn, when not nil, makes it a
// grouped convolution: output o reads input channel c only if
// conn[o*C+c]; the other filter weights must be (and stay) 0, and neither
// they nor their gradients are computed.
func convBlock(im, filter *G.Node, needDX bool, conn []bool) (*G.Node, error) {
	is, fs := im.Shape(), filter.Shape()
	if len(is) != 4 || len(fs) != 4 || is[1] != fs[1] || fs[2] != fs[3] || fs[2]%2 == 0 || is[2]%2 != 0 || is[3]%2 != 0 {
		return nil, fmt.Errorf("convnet: conv block of %v with filter %v", is, fs)
	}
	if conn != nil && len(conn) != fs[0]*fs[1] {
		return nil, fmt.Errorf("convnet: conv block connections %d, want %d", len(conn), fs[0]*fs[1])
	}
	st := newConvState(is[0], is[1], is[2], is[3], fs[0], fs[2], needDX, conn)
	return G.ApplyOp(convOp{st}, im, filter)
}

func tensor4() hm.Type { return G.TensorType{Dims: 4, Of: hm.TypeVariable('a')} }

func f32s(v G.Value) ([]float32, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("convnet: conv input %T is not a tensor", v)
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("convnet: conv input of type %T, want []float32", t.Data())
	}
	return d, nil
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	h.Write([]byte(op.String()))
	return h.Sum32()
}

// convOp: (x, w) → maxpool(ReLU(conv(x, w))).
type convOp struct{ st *convState }

func (op convOp) Arity() int    { return 2 }
func (op convOp) Type() hm.Type { return hm.NewFnType(tensor4(), tensor4(), tensor4()) }
func (op convOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	s := op.st
	return tensor.Shape{s.b, s.o, s.h / 2, s.w / 2}, nil
}
func (op convOp) ReturnsPtr() bool      { return false }
func (op convOp) CallsExtern() bool     { return false }
func (op convOp) OverwritesInput() int  { return -1 }
func (op convOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op convOp) Hashcode() uint32      { return hashOf(op) }
func (op convOp) String() string        { return fmt.Sprintf("ConvBlock#%d", op.st.id) }

func (op convOp) Do(in ...G.Value) (G.Value, error) {
	x, err := f32s(in[0])
	if err != nil {
		return nil, err
	}
	w, err := f32s(in[1])
	if err != nil {
		return nil, err
	}
	op.st.forward(x, w)
	return op.st.outT, nil
}

func (op convOp) DiffWRT(int) []bool { return []bool{op.st.needDX, true} }

// SymDiff builds the gradient Ops. They take the forward output (for the
// ReLU mask; the pooling positions are the Op's own state) as an input, not from convState, so that gorgonia keeps that
// value alive until they have run: a value no later Op reads may be
// overwritten in place by the Op that consumes it.
func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dw, err := G.ApplyOp(convFilterGradOp(op), inputs[0], output, grad)
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if op.st.needDX {
		if dx, err = G.ApplyOp(convDataGradOp(op), inputs[1], output, grad); err != nil {
			return nil, err
		}
	}
	return G.Nodes{dx, dw}, nil
}

// convFilterGradOp: (x, y, dy) → dL/dw, using the padded x kept by the
// forward pass (x is an input only to order the Ops) and the output y for
// the ReLU mask.
type convFilterGradOp struct{ st *convState }

func (op convFilterGradOp) Arity() int { return 3 }
func (op convFilterGradOp) Type() hm.Type {
	return hm.NewFnType(tensor4(), tensor4(), tensor4(), tensor4())
}
func (op convFilterGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	s := op.st
	return tensor.Shape{s.o, s.c, s.k, s.k}, nil
}
func (op convFilterGradOp) ReturnsPtr() bool      { return false }
func (op convFilterGradOp) CallsExtern() bool     { return false }
func (op convFilterGradOp) OverwritesInput() int  { return -1 }
func (op convFilterGradOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op convFilterGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convFilterGradOp) String() string        { return fmt.Sprintf("ConvBlockFilterGrad#%d", op.st.id) }

func (op convFilterGradOp) Do(in ...G.Value) (G.Value, error) {
	y, err := f32s(in[1])
	if err != nil {
		return nil, err
	}
	g, err := f32s(in[2])
	if err != nil {
		return nil, err
	}
	op.st.filterGrad(y, g)
	return op.st.dwT, nil
}

// convDataGradOp: (w, y, dy) → dL/dx.
type convDataGradOp struct{ st *convState }

func (op convDataGradOp) Arity() int { return 3 }
func (op convDataGradOp) Type() hm.Type {
	return hm.NewFnType(tensor4(), tensor4(), tensor4(), tensor4())
}
func (op convDataGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	s := op.st
	return tensor.Shape{s.b, s.c, s.h, s.w}, nil
}
func (op convDataGradOp) ReturnsPtr() bool      { return false }
func (op convDataGradOp) CallsExtern() bool     { return false }
func (op convDataGradOp) OverwritesInput() int  { return -1 }
func (op convDataGradOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op convDataGradOp) Hashcode() uint32      { return hashOf(op) }
func (op convDataGradOp) String() string        { return fmt.Sprintf("ConvBlockDataGrad#%d", op.st.id) }

func (op convDataGradOp) Do(in ...G.Value) (G.Value, error) {
	w, err := f32s(in[0])
	if err != nil {
		return nil, err
	}
	y, err := f32s(in[1])
	if err != nil {
		return nil, err
	}
	g, err := f32s(in[2])
	if err != nil {
		return nil, err
	}
	op.st.dataGrad(w, y, g)
	return op.st.dxT, nil
}

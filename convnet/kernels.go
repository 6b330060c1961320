package convnet

// The convolution's two inner loops, each as one call per (output,
// input) channel pair: tapsAxpy accumulates all K×K shifted copies of an
// input plane into an output plane (the forward pass, and the input
// gradient with the taps mirrored), tapsDot computes the K×K dot
// products of an output gradient with the shifted input planes (the
// filter gradient). With AVX2 and FMA (kernels_amd64.s) each output
// stays in registers across all taps, so a multiply-add costs one load
// instead of the three of a gonum axpy per tap; elsewhere they are loops
// of gonum's kernels.

// CPUKernels names the convolution kernels this process uses: training
// is bit-for-bit reproducible between machines that use the same ones.
func CPUKernels() string {
	if fmaKernels {
		return "avx2-fma"
	}
	return "portable"
}

// tapsAxpy adds Σ_t w[t]·x[offs[t]+i] to y[i] for every i < len(y).
func tapsAxpy(y, x []float32, offs []int, w []float32) {
	n := len(y)
	if fmaKernels && n >= 32 {
		m := n &^ 31
		_ = x[offs[len(offs)-1]+m-1] // bounds: the kernel reads x up to the largest offset + m
		maxOff := 0
		for _, o := range offs {
			maxOff = max(maxOff, o)
		}
		_ = x[maxOff+m-1]
		tapsAxpyAVX2(&y[0], m, &x[0], &offs[0], &w[0], len(offs))
		y = y[m:]
		x = x[m:]
	}
	for t, o := range offs {
		blas32.Saxpy(len(y), w[t], x[o:o+len(y)], 1, y, 1)
	}
}

// tapsDot sets out[t] = Σ_i g[i]·x[offs[t]+i] over i < len(g).
func tapsDot(out, g, x []float32, offs []int) {
	n := len(g)
	if !fmaKernels || n < 16 {
		for t, o := range offs {
			out[t] = blas32.Sdot(n, g, 1, x[o:], 1)
		}
		return
	}
	m := n &^ 15
	var four [4]float32
	for t := 0; t < len(offs); t += 4 {
		var o [4]int
		for k := range o {
			o[k] = offs[min(t+k, len(offs)-1)]
			_ = x[o[k]+n-1]
		}
		tapsDot4AVX2(&four[0], &g[0], m, &x[0], o[0], o[1], o[2], o[3])
		for k := 0; k < 4 && t+k < len(offs); k++ {
			s := four[k]
			for i := m; i < n; i++ {
				s += g[i] * x[o[k]+i]
			}
			out[t+k] = s
		}
	}
}

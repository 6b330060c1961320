//go:build amd64 && !purego

package convnet

import "golang.org/x/sys/cpu"

// fmaKernels says whether the convolution uses the AVX2/FMA kernels of
// kernels_amd64.s. They compute the same sums as the portable path in
// another order (and with fused multiply-adds), so weights trained with
// them differ in the last bits from weights trained without: training is
// reproducible on a given machine, bit for bit, not across the two paths.
var fmaKernels = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func tapsAxpyAVX2(y *float32, n int, x *float32, offs *int, w *float32, taps int)

//go:noescape
func tapsDot4AVX2(out *float32, grad *float32, n int, x *float32, o0, o1, o2, o3 int)

//go:build !amd64 || purego

package convnet

// fmaKernels is false off amd64 and with the purego build tag: the
// convolution uses gonum's portable kernels.
var fmaKernels = false

func tapsAxpyAVX2(*float32, int, *float32, *int, *float32, int) { panic("convnet: no AVX2 kernels") }

func tapsDot4AVX2(*float32, *float32, int, *float32, int, int, int, int) {
	panic("convnet: no AVX2 kernels")
}

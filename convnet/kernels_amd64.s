//go:build amd64 && !purego

#include "textflag.h"

// func tapsAxpyAVX2(y *float32, n int, x *float32, offs *int, w *float32, taps int)
//
// y[i] += Σ_t w[t]·x[offs[t]+i] for i in [0, n), n a multiple of 32: the
// 32 outputs of an iteration stay in four registers across all taps.
TEXT ·tapsAxpyAVX2(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ x+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ taps+40(FP), R10

axpyLoop:
	CMPQ CX, $32
	JL   axpyDone
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	XORQ R11, R11

axpyTap:
	VBROADCASTSS (R9)(R11*4), Y4
	MOVQ         (R8)(R11*8), R12
	LEAQ         (SI)(R12*4), R13
	VFMADD231PS  0(R13), Y4, Y0
	VFMADD231PS  32(R13), Y4, Y1
	VFMADD231PS  64(R13), Y4, Y2
	VFMADD231PS  96(R13), Y4, Y3
	INCQ         R11
	CMPQ         R11, R10
	JL           axpyTap

	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     axpyLoop

axpyDone:
	VZEROUPPER
	RET

// func tapsDot4AVX2(out *float32, grad *float32, n int, x *float32, o0, o1, o2, o3 int)
//
// out[k] = Σ_i g[i]·x[o_k+i] for k = 0..3 and i in [0, n), n a multiple
// of 16: four dot products that share the loads of g.
TEXT ·tapsDot4AVX2(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ x+24(FP), DX
	MOVQ o0+32(FP), R8
	MOVQ o1+40(FP), R9
	MOVQ o2+48(FP), R10
	MOVQ o3+56(FP), R11
	LEAQ (DX)(R8*4), R8
	LEAQ (DX)(R9*4), R9
	LEAQ (DX)(R10*4), R10
	LEAQ (DX)(R11*4), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

dotLoop:
	CMPQ CX, $16
	JL   dotSum
	VMOVUPS     0(SI), Y8
	VMOVUPS     32(SI), Y9
	VFMADD231PS 0(R8), Y8, Y0
	VFMADD231PS 32(R8), Y9, Y4
	VFMADD231PS 0(R9), Y8, Y1
	VFMADD231PS 32(R9), Y9, Y5
	VFMADD231PS 0(R10), Y8, Y2
	VFMADD231PS 32(R10), Y9, Y6
	VFMADD231PS 0(R11), Y8, Y3
	VFMADD231PS 32(R11), Y9, Y7
	ADDQ        $64, SI
	ADDQ        $64, R8
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	SUBQ        $16, CX
	JMP         dotLoop

dotSum:
	VADDPS       Y4, Y0, Y0
	VADDPS       Y5, Y1, Y1
	VADDPS       Y6, Y2, Y2
	VADDPS       Y7, Y3, Y3
	VEXTRACTF128 $1, Y0, X8
	VADDPS       X8, X0, X0
	VEXTRACTF128 $1, Y1, X9
	VADDPS       X9, X1, X1
	VEXTRACTF128 $1, Y2, X10
	VADDPS       X10, X2, X2
	VEXTRACTF128 $1, Y3, X11
	VADDPS       X11, X3, X3
	VHADDPS      X1, X0, X0
	VHADDPS      X3, X2, X2
	VHADDPS      X2, X0, X0
	VMOVUPS      X0, 0(DI)
	VZEROUPPER
	RET

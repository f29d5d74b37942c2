//go:build amd64 && !purego

#include "textflag.h"

// func forward4x32(k int, w, src *float32, start *int, y *float32, ldy int)
//
// y[o*ldy+q] = sum_r w[4r+o] * src[start[r]+q], o < 4, q < 32.
//
// Registers:
//   CX        runs left
//   AX        w, 16 bytes per run
//   SI        src
//   BX        start, 8 bytes per run
//   R9        the run's start
//   DX, R8    y and ldy in bytes, when storing
//   Z0..Z7    accumulators: output o is Z(2o) (positions 0-15) and Z(2o+1) (16-31)
//   Z8, Z9    the run's 32 values
//   Z10..Z13  the four weights of the run, broadcast
TEXT ·forward4x32(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ w+8(FP), AX
	MOVQ src+16(FP), SI
	MOVQ start+24(FP), BX
	MOVQ y+32(FP), DX
	MOVQ ldy+40(FP), R8
	SHLQ $2, R8

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	TESTQ CX, CX
	JLE   store

loop:
	MOVQ         (BX), R9
	VMOVUPS      (SI)(R9*4), Z8
	VMOVUPS      64(SI)(R9*4), Z9
	VBROADCASTSS 0(AX), Z10
	VBROADCASTSS 4(AX), Z11
	VBROADCASTSS 8(AX), Z12
	VBROADCASTSS 12(AX), Z13
	VFMADD231PS  Z8, Z10, Z0
	VFMADD231PS  Z9, Z10, Z1
	VFMADD231PS  Z8, Z11, Z2
	VFMADD231PS  Z9, Z11, Z3
	VFMADD231PS  Z8, Z12, Z4
	VFMADD231PS  Z9, Z12, Z5
	VFMADD231PS  Z8, Z13, Z6
	VFMADD231PS  Z9, Z13, Z7
	ADDQ         $16, AX
	ADDQ         $8, BX
	DECQ         CX
	JNZ          loop

store:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	VZEROUPPER
	RET

// func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, part *float32)
//
// part[(4r+o)*16+l] += sum_c g[o*ldg+16c+l] * src[start[r]+16c+l], r, o < 4, l < 16.
//
// Registers:
//   CX          chunks left
//   AX, DX, DI, R8   rows 0-3 of g
//   R9..R12     runs 0-3 in src
//   R13         the chunk's offset in bytes
//   BX          part
//   Z0..Z15     partial sums: entry (r, o) is Z(4r+o)
//   Z16..Z19    the chunk of runs 0-3
//   Z20..Z23    the chunk of rows 0-3 of g
TEXT ·dot4x4(SB), NOSPLIT, $0-48
	MOVQ chunks+0(FP), CX
	MOVQ grad+8(FP), AX
	MOVQ ldg+16(FP), R13
	SHLQ $2, R13
	LEAQ (AX)(R13*1), DX
	LEAQ (DX)(R13*1), DI
	LEAQ (DI)(R13*1), R8
	MOVQ src+24(FP), SI
	MOVQ start+32(FP), BX
	MOVQ 0(BX), R9
	LEAQ (SI)(R9*4), R9
	MOVQ 8(BX), R10
	LEAQ (SI)(R10*4), R10
	MOVQ 16(BX), R11
	LEAQ (SI)(R11*4), R11
	MOVQ 24(BX), R12
	LEAQ (SI)(R12*4), R12
	MOVQ part+40(FP), BX

	VMOVUPS 0(BX), Z0
	VMOVUPS 64(BX), Z1
	VMOVUPS 128(BX), Z2
	VMOVUPS 192(BX), Z3
	VMOVUPS 256(BX), Z4
	VMOVUPS 320(BX), Z5
	VMOVUPS 384(BX), Z6
	VMOVUPS 448(BX), Z7
	VMOVUPS 512(BX), Z8
	VMOVUPS 576(BX), Z9
	VMOVUPS 640(BX), Z10
	VMOVUPS 704(BX), Z11
	VMOVUPS 768(BX), Z12
	VMOVUPS 832(BX), Z13
	VMOVUPS 896(BX), Z14
	VMOVUPS 960(BX), Z15

	XORQ R13, R13

loop:
	VMOVUPS     (R9)(R13*1), Z16
	VMOVUPS     (R10)(R13*1), Z17
	VMOVUPS     (R11)(R13*1), Z18
	VMOVUPS     (R12)(R13*1), Z19
	VMOVUPS     (AX)(R13*1), Z20
	VMOVUPS     (DX)(R13*1), Z21
	VMOVUPS     (DI)(R13*1), Z22
	VMOVUPS     (R8)(R13*1), Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z16, Z21, Z1
	VFMADD231PS Z16, Z22, Z2
	VFMADD231PS Z16, Z23, Z3
	VFMADD231PS Z17, Z20, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z17, Z22, Z6
	VFMADD231PS Z17, Z23, Z7
	VFMADD231PS Z18, Z20, Z8
	VFMADD231PS Z18, Z21, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z18, Z23, Z11
	VFMADD231PS Z19, Z20, Z12
	VFMADD231PS Z19, Z21, Z13
	VFMADD231PS Z19, Z22, Z14
	VFMADD231PS Z19, Z23, Z15
	ADDQ        $64, R13
	DECQ        CX
	JNZ         loop

	VMOVUPS Z0, 0(BX)
	VMOVUPS Z1, 64(BX)
	VMOVUPS Z2, 128(BX)
	VMOVUPS Z3, 192(BX)
	VMOVUPS Z4, 256(BX)
	VMOVUPS Z5, 320(BX)
	VMOVUPS Z6, 384(BX)
	VMOVUPS Z7, 448(BX)
	VMOVUPS Z8, 512(BX)
	VMOVUPS Z9, 576(BX)
	VMOVUPS Z10, 640(BX)
	VMOVUPS Z11, 704(BX)
	VMOVUPS Z12, 768(BX)
	VMOVUPS Z13, 832(BX)
	VMOVUPS Z14, 896(BX)
	VMOVUPS Z15, 960(BX)
	VZEROUPPER
	RET

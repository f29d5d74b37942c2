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

// func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int)
//
// dw[o*ldw+r] += sum_q grad[o*ldg+q] * src[start[r]+q], r, o < 4, q < 16*chunks.
//
// Registers:
//   CX          chunks left
//   AX, DX, DI, R8   rows 0-3 of grad
//   R9..R12     runs 0-3 in src
//   R13         the chunk's offset in bytes
//   BX, R10     dw and ldw in bytes, when adding (after the loop)
//   Z0..Z15     lane-wise partial sums: entry (r, o) is Z(4r+o)
//   Z16..Z19    the chunk of runs 0-3
//   Z20..Z23    the chunk of rows 0-3 of grad
TEXT ·dot4x4(SB), NOSPLIT, $0-56
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

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

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

	// Sum each register's 16 lanes. Pairs of registers first trade halves (256 bits), then
	// pairs of those quarters (128 bits), then lanes within the quarters, so that quarter c of
	// the result holds entries (r, c) for r = 0..3: row c of dw's 4x4 block.
	// Halves: W(i) = (Z(2i) + its upper half) | (Z(2i+1) + its upper half), into Z16..Z23.
	VSHUFF32X4 $0x44, Z1, Z0, Z24
	VSHUFF32X4 $0xEE, Z1, Z0, Z25
	VADDPS     Z25, Z24, Z16
	VSHUFF32X4 $0x44, Z3, Z2, Z24
	VSHUFF32X4 $0xEE, Z3, Z2, Z25
	VADDPS     Z25, Z24, Z17
	VSHUFF32X4 $0x44, Z5, Z4, Z24
	VSHUFF32X4 $0xEE, Z5, Z4, Z25
	VADDPS     Z25, Z24, Z18
	VSHUFF32X4 $0x44, Z7, Z6, Z24
	VSHUFF32X4 $0xEE, Z7, Z6, Z25
	VADDPS     Z25, Z24, Z19
	VSHUFF32X4 $0x44, Z9, Z8, Z24
	VSHUFF32X4 $0xEE, Z9, Z8, Z25
	VADDPS     Z25, Z24, Z20
	VSHUFF32X4 $0x44, Z11, Z10, Z24
	VSHUFF32X4 $0xEE, Z11, Z10, Z25
	VADDPS     Z25, Z24, Z21
	VSHUFF32X4 $0x44, Z13, Z12, Z24
	VSHUFF32X4 $0xEE, Z13, Z12, Z25
	VADDPS     Z25, Z24, Z22
	VSHUFF32X4 $0x44, Z15, Z14, Z24
	VSHUFF32X4 $0xEE, Z15, Z14, Z25
	VADDPS     Z25, Z24, Z23

	// Quarters: X(j) holds in quarter c four partial sums of Z(4j+c), into Z0..Z3.
	VSHUFF32X4 $0x88, Z17, Z16, Z24
	VSHUFF32X4 $0xDD, Z17, Z16, Z25
	VADDPS     Z25, Z24, Z0
	VSHUFF32X4 $0x88, Z19, Z18, Z24
	VSHUFF32X4 $0xDD, Z19, Z18, Z25
	VADDPS     Z25, Z24, Z1
	VSHUFF32X4 $0x88, Z21, Z20, Z24
	VSHUFF32X4 $0xDD, Z21, Z20, Z25
	VADDPS     Z25, Z24, Z2
	VSHUFF32X4 $0x88, Z23, Z22, Z24
	VSHUFF32X4 $0xDD, Z23, Z22, Z25
	VADDPS     Z25, Z24, Z3

	// Lanes: quarter c, lane m of Z4 becomes the sum of Z(4m+c), entry (m, c).
	VUNPCKLPS Z1, Z0, Z24
	VUNPCKHPS Z1, Z0, Z25
	VADDPS    Z25, Z24, Z5
	VUNPCKLPS Z3, Z2, Z24
	VUNPCKHPS Z3, Z2, Z25
	VADDPS    Z25, Z24, Z6
	VUNPCKLPD Z6, Z5, Z24
	VUNPCKHPD Z6, Z5, Z25
	VADDPS    Z25, Z24, Z4

	// Add quarter o to row o of dw.
	MOVQ          dw+40(FP), BX
	MOVQ          ldw+48(FP), R10
	SHLQ          $2, R10
	VEXTRACTF32X4 $0, Z4, X0
	VADDPS        (BX), X0, X0
	VMOVUPS       X0, (BX)
	ADDQ          R10, BX
	VEXTRACTF32X4 $1, Z4, X0
	VADDPS        (BX), X0, X0
	VMOVUPS       X0, (BX)
	ADDQ          R10, BX
	VEXTRACTF32X4 $2, Z4, X0
	VADDPS        (BX), X0, X0
	VMOVUPS       X0, (BX)
	ADDQ          R10, BX
	VEXTRACTF32X4 $3, Z4, X0
	VADDPS        (BX), X0, X0
	VMOVUPS       X0, (BX)
	VZEROUPPER
	RET

// func forward4x16AVX2(k int, w, src *float32, start *int, y *float32, ldy int)
//
// forward4x32 for 16 positions in AVX2 and FMA: y[o*ldy+q] = sum_r w[4r+o] * src[start[r]+q],
// o < 4, q < 16.
//
// Registers:
//   CX, AX, SI, BX, R9, DX, R8   as in forward4x32
//   Y0..Y7    accumulators: output o is Y(2o) (positions 0-7) and Y(2o+1) (8-15)
//   Y8, Y9    the run's 16 values
//   Y10..Y13  the four weights of the run, broadcast
TEXT ·forward4x16AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ w+8(FP), AX
	MOVQ src+16(FP), SI
	MOVQ start+24(FP), BX
	MOVQ y+32(FP), DX
	MOVQ ldy+40(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	TESTQ CX, CX
	JLE   store2

loop2:
	MOVQ         (BX), R9
	VMOVUPS      (SI)(R9*4), Y8
	VMOVUPS      32(SI)(R9*4), Y9
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $16, AX
	ADDQ         $8, BX
	DECQ         CX
	JNZ          loop2

store2:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// DOTZERO clears the eight accumulators of a pass of dot4x4AVX2 and sets R13 to its first
// position.
#define DOTZERO \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	XORQ   R13, R13

// DOTSTEP multiplies 8 positions of the four runs (R9..R12) by those of two rows of grad (ga,
// gb): Y(r) accumulates run r against row a, Y(4+r) against row b.
#define DOTSTEP(ga, gb) \
	VMOVUPS     (R9)(R13*1), Y8 \
	VMOVUPS     (R10)(R13*1), Y9 \
	VMOVUPS     (R11)(R13*1), Y10 \
	VMOVUPS     (R12)(R13*1), Y11 \
	VMOVUPS     (ga)(R13*1), Y12 \
	VMOVUPS     (gb)(R13*1), Y13 \
	VFMADD231PS Y8, Y12, Y0 \
	VFMADD231PS Y9, Y12, Y1 \
	VFMADD231PS Y10, Y12, Y2 \
	VFMADD231PS Y11, Y12, Y3 \
	VFMADD231PS Y8, Y13, Y4 \
	VFMADD231PS Y9, Y13, Y5 \
	VFMADD231PS Y10, Y13, Y6 \
	VFMADD231PS Y11, Y13, Y7 \
	ADDQ        $32, R13

// DOTADD sums the lanes of a pass's accumulators and adds them to two rows of dw (BX, then
// BX+R8), moving BX two rows on: row a gets Y0..Y3 (runs 0-3), row b Y4..Y7.
#define DOTADD \
	VHADDPS      Y1, Y0, Y0 \
	VHADDPS      Y3, Y2, Y2 \
	VHADDPS      Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VADDPS       (BX), X0, X0 \
	VMOVUPS      X0, (BX) \
	ADDQ         R8, BX \
	VHADDPS      Y5, Y4, Y4 \
	VHADDPS      Y7, Y6, Y6 \
	VHADDPS      Y6, Y4, Y4 \
	VEXTRACTF128 $1, Y4, X5 \
	VADDPS       X5, X4, X4 \
	VADDPS       (BX), X4, X4 \
	VMOVUPS      X4, (BX) \
	ADDQ         R8, BX

// func dot4x4AVX2(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int)
//
// dot4x4 in AVX2 and FMA, two rows of grad at a time: rows 0 and 1 (AX, DX), then 2 and 3
// (DI, SI).
TEXT ·dot4x4AVX2(SB), NOSPLIT, $0-56
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
	MOVQ grad+8(FP), AX
	MOVQ ldg+16(FP), R13
	SHLQ $2, R13
	LEAQ (AX)(R13*1), DX
	LEAQ (DX)(R13*1), DI
	LEAQ (DI)(R13*1), SI
	MOVQ dw+40(FP), BX
	MOVQ ldw+48(FP), R8
	SHLQ $2, R8

	DOTZERO
	MOVQ chunks+0(FP), CX
	SHLQ $1, CX

first:
	DOTSTEP(AX, DX)
	DECQ CX
	JNZ  first
	DOTADD

	DOTZERO
	MOVQ chunks+0(FP), CX
	SHLQ $1, CX

second:
	DOTSTEP(DI, SI)
	DECQ CX
	JNZ  second
	DOTADD

	VZEROUPPER
	RET

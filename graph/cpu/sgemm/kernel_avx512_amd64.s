//go:build amd64 && !purego

#include "textflag.h"

// func kernel12x32AVX512(k int, a, b, c *float32, ldc int, acc bool)
//
// C[12x32] (+)= A-strip[12xk] * B-strip[kx32], the strips packed k-major (12 and 32 values per k).
//
// Registers:
//   CX        k, counting down
//   SI        a, 48 bytes per k
//   DI        b, 128 bytes per k
//   DX        c, one row of C at a time when storing
//   R8        ldc in bytes
//   Z0..Z23   accumulators: row r of the tile is Z(2r) (columns 0-15) and Z(2r+1) (columns 16-31)
//   Z24, Z25  the 32 values of B at this k
//   Z26, Z27  A's value of a row broadcast to 16 lanes (alternating, to overlap the loads)

// ROW multiplies row r of the tile: broadcast a[r] into bc and accumulate into lo and hi.
#define ROW(off, bc, lo, hi) \
	VBROADCASTSS off(SI), bc \
	VFMADD231PS  Z24, bc, lo \
	VFMADD231PS  Z25, bc, hi

// ADDROW adds row lo|hi of the tile into C at DX and stores it, then steps DX a row.
#define ADDROW(lo, hi) \
	VADDPS  (DX), lo, lo \
	VADDPS  64(DX), hi, hi \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 64(DX) \
	ADDQ    R8, DX

// PUTROW stores row lo|hi of the tile into C at DX, then steps DX a row.
#define PUTROW(lo, hi) \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 64(DX) \
	ADDQ    R8, DX

TEXT ·kernel12x32AVX512(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

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
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	TESTQ CX, CX
	JLE   store

loop:
	VMOVUPS (DI), Z24
	VMOVUPS 64(DI), Z25
	ROW(0, Z26, Z0, Z1)
	ROW(4, Z27, Z2, Z3)
	ROW(8, Z26, Z4, Z5)
	ROW(12, Z27, Z6, Z7)
	ROW(16, Z26, Z8, Z9)
	ROW(20, Z27, Z10, Z11)
	ROW(24, Z26, Z12, Z13)
	ROW(28, Z27, Z14, Z15)
	ROW(32, Z26, Z16, Z17)
	ROW(36, Z27, Z18, Z19)
	ROW(40, Z26, Z20, Z21)
	ROW(44, Z27, Z22, Z23)
	ADDQ $48, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop

store:
	CMPB acc+40(FP), $0
	JEQ  overwrite
	ADDROW(Z0, Z1)
	ADDROW(Z2, Z3)
	ADDROW(Z4, Z5)
	ADDROW(Z6, Z7)
	ADDROW(Z8, Z9)
	ADDROW(Z10, Z11)
	ADDROW(Z12, Z13)
	ADDROW(Z14, Z15)
	ADDROW(Z16, Z17)
	ADDROW(Z18, Z19)
	ADDROW(Z20, Z21)
	ADDROW(Z22, Z23)
	VZEROUPPER
	RET

overwrite:
	PUTROW(Z0, Z1)
	PUTROW(Z2, Z3)
	PUTROW(Z4, Z5)
	PUTROW(Z6, Z7)
	PUTROW(Z8, Z9)
	PUTROW(Z10, Z11)
	PUTROW(Z12, Z13)
	PUTROW(Z14, Z15)
	PUTROW(Z16, Z17)
	PUTROW(Z18, Z19)
	PUTROW(Z20, Z21)
	PUTROW(Z22, Z23)
	VZEROUPPER
	RET

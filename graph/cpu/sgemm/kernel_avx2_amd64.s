//go:build amd64 && !purego

#include "textflag.h"

// func kernel6x16AVX2(k int, a, b, c *float32, ldc int, acc bool)
//
// C[6x16] (+)= A-strip[6xk] * B-strip[kx16], the strips packed k-major (6 and 16 values per k).
//
// Registers:
//   CX        k, counting down
//   SI        a, 24 bytes per k
//   DI        b, 64 bytes per k
//   DX        c, one row of C at a time when storing
//   R8        ldc in bytes
//   Y0..Y11   accumulators: row r of the tile is Y(2r) (columns 0-7) and Y(2r+1) (columns 8-15)
//   Y12, Y13  the 16 values of B at this k
//   Y14, Y15  A's value of a row broadcast to 8 lanes (alternating, to overlap the loads)

// ROW multiplies row r of the tile: broadcast a[r] into bc and accumulate into lo and hi.
#define ROW(off, bc, lo, hi) \
	VBROADCASTSS off(SI), bc \
	VFMADD231PS  Y12, bc, lo \
	VFMADD231PS  Y13, bc, hi

// ADDROW adds row lo|hi of the tile into C at DX and stores it, then steps DX a row.
#define ADDROW(lo, hi) \
	VADDPS  (DX), lo, lo \
	VADDPS  32(DX), hi, hi \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 32(DX) \
	ADDQ    R8, DX

// PUTROW stores row lo|hi of the tile into C at DX, then steps DX a row.
#define PUTROW(lo, hi) \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 32(DX) \
	ADDQ    R8, DX

TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	TESTQ CX, CX
	JLE   store

loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	ROW(0, Y14, Y0, Y1)
	ROW(4, Y15, Y2, Y3)
	ROW(8, Y14, Y4, Y5)
	ROW(12, Y15, Y6, Y7)
	ROW(16, Y14, Y8, Y9)
	ROW(20, Y15, Y10, Y11)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

store:
	CMPB acc+40(FP), $0
	JEQ  overwrite
	ADDROW(Y0, Y1)
	ADDROW(Y2, Y3)
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	VZEROUPPER
	RET

overwrite:
	PUTROW(Y0, Y1)
	PUTROW(Y2, Y3)
	PUTROW(Y4, Y5)
	PUTROW(Y6, Y7)
	PUTROW(Y8, Y9)
	PUTROW(Y10, Y11)
	VZEROUPPER
	RET

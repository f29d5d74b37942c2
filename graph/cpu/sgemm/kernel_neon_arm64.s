//go:build arm64 && !purego

#include "textflag.h"

// func kernel8x12NEON(k int, a, b, c *float32, ldc int, acc bool)
//
// C[8x12] (+)= A-strip[8xk] * B-strip[kx12], the strips packed k-major (8 and 12 values per k).
//
// Go's assembler has only the vector form of FMLA (no lane index), so each value of A is
// broadcast as it is loaded (LD1R, load and replicate) and multiplied by the three vectors of B.
// When acc is set the accumulators start from C's tile instead of zero, so the store is the same
// either way.
//
// Registers:
//   R0         k, counting down
//   R1         a, 32 bytes per k (post-incremented by each LD1R)
//   R2         b, 48 bytes per k
//   R3         c, one row of C at a time
//   R4         ldc in bytes
//   R5         c at the tile's first row, kept for the store
//   V0..V23    accumulators: row r of the tile is V(3r) (columns 0-3), V(3r+1) (4-7), V(3r+2) (8-11)
//   V24..V26   the 12 values of B at this k
//   V27..V31   A's value of a row broadcast to 4 lanes (rotating, so that loads overlap FMLAs)

// ROW accumulates row r of the tile: broadcast the next value of A into bc, then
// c0|c1|c2 += bc * B.
#define ROW(bc, c0, c1, c2) \
	VLD1R.P 4(R1), [bc.S4]        \
	VFMLA   V24.S4, bc.S4, c0.S4 \
	VFMLA   V25.S4, bc.S4, c1.S4 \
	VFMLA   V26.S4, bc.S4, c2.S4

// LOADROW loads a row of C at R3 into c0|c1|c2, then steps R3 a row.
#define LOADROW(c0, c1, c2) \
	VLD1 (R3), [c0.S4, c1.S4, c2.S4] \
	ADD  R4, R3, R3

// PUTROW stores c0|c1|c2 into the row of C at R3, then steps R3 a row.
#define PUTROW(c0, c1, c2) \
	VST1 [c0.S4, c1.S4, c2.S4], (R3) \
	ADD  R4, R3, R3

// ZERO clears accumulators c0|c1|c2.
#define ZERO(c0, c1, c2) \
	VEOR c0.B16, c0.B16, c0.B16 \
	VEOR c1.B16, c1.B16, c1.B16 \
	VEOR c2.B16, c2.B16, c2.B16

TEXT ·kernel8x12NEON(SB), NOSPLIT, $0-41
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD c+24(FP), R5
	MOVD ldc+32(FP), R4
	LSL  $2, R4, R4
	MOVD R5, R3

	MOVBU acc+40(FP), R6
	CBZ   R6, zero
	LOADROW(V0, V1, V2)
	LOADROW(V3, V4, V5)
	LOADROW(V6, V7, V8)
	LOADROW(V9, V10, V11)
	LOADROW(V12, V13, V14)
	LOADROW(V15, V16, V17)
	LOADROW(V18, V19, V20)
	LOADROW(V21, V22, V23)
	B     start

zero:
	ZERO(V0, V1, V2)
	ZERO(V3, V4, V5)
	ZERO(V6, V7, V8)
	ZERO(V9, V10, V11)
	ZERO(V12, V13, V14)
	ZERO(V15, V16, V17)
	ZERO(V18, V19, V20)
	ZERO(V21, V22, V23)

start:
	CMP $0, R0
	BLE store

loop:
	VLD1.P 48(R2), [V24.S4, V25.S4, V26.S4]
	ROW(V27, V0, V1, V2)
	ROW(V28, V3, V4, V5)
	ROW(V29, V6, V7, V8)
	ROW(V30, V9, V10, V11)
	ROW(V31, V12, V13, V14)
	ROW(V27, V15, V16, V17)
	ROW(V28, V18, V19, V20)
	ROW(V29, V21, V22, V23)
	SUBS $1, R0, R0
	BNE  loop

store:
	MOVD R5, R3
	PUTROW(V0, V1, V2)
	PUTROW(V3, V4, V5)
	PUTROW(V6, V7, V8)
	PUTROW(V9, V10, V11)
	PUTROW(V12, V13, V14)
	PUTROW(V15, V16, V17)
	PUTROW(V18, V19, V20)
	PUTROW(V21, V22, V23)
	RET

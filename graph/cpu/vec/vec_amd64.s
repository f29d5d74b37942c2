//go:build amd64 && !purego

#include "textflag.h"

// Element-wise float32 loops with AVX2: 32 elements an iteration in four YMM registers, then
// 8 at a time, then one at a time with the scalar forms of the same instructions, so that
// every element is rounded exactly as the pure-Go loops in vec.go round it.

// func addVV(y, a, b []float32)
TEXT ·addVV(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS 0(DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VADDPS 64(DX), Y2, Y2
	VADDPS 96(DX), Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VADDSS (DX), X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func subVV(y, a, b []float32)
TEXT ·subVV(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VSUBPS 0(DX), Y0, Y0
	VSUBPS 32(DX), Y1, Y1
	VSUBPS 64(DX), Y2, Y2
	VSUBPS 96(DX), Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VSUBPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VSUBSS (DX), X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func mulVV(y, a, b []float32)
TEXT ·mulVV(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS 0(DX), Y0, Y0
	VMULPS 32(DX), Y1, Y1
	VMULPS 64(DX), Y2, Y2
	VMULPS 96(DX), Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMULSS (DX), X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func divVV(y, a, b []float32)
TEXT ·divVV(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VDIVPS 0(DX), Y0, Y0
	VDIVPS 32(DX), Y1, Y1
	VDIVPS 64(DX), Y2, Y2
	VDIVPS 96(DX), Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VDIVPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VDIVSS (DX), X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func addVS(y, a []float32, c float32)
TEXT ·addVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS Y8, Y0, Y0
	VADDPS Y8, Y1, Y1
	VADDPS Y8, Y2, Y2
	VADDPS Y8, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VADDPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VADDSS X8, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func subVS(y, a []float32, c float32)
TEXT ·subVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VSUBPS Y8, Y0, Y0
	VSUBPS Y8, Y1, Y1
	VSUBPS Y8, Y2, Y2
	VSUBPS Y8, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VSUBSS X8, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func mulVS(y, a []float32, c float32)
TEXT ·mulVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS Y8, Y0, Y0
	VMULPS Y8, Y1, Y1
	VMULPS Y8, Y2, Y2
	VMULPS Y8, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMULPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMULSS X8, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func divVS(y, a []float32, c float32)
TEXT ·divVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VDIVPS Y8, Y0, Y0
	VDIVPS Y8, Y1, Y1
	VDIVPS Y8, Y2, Y2
	VDIVPS Y8, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VDIVPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VDIVSS X8, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func rsubVS(y, a []float32, c float32)
TEXT ·rsubVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VSUBPS Y0, Y8, Y0
	VSUBPS Y1, Y8, Y1
	VSUBPS Y2, Y8, Y2
	VSUBPS Y3, Y8, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VSUBSS X0, X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func rdivVS(y, a []float32, c float32)
TEXT ·rdivVS(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS c+48(FP), Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VDIVPS Y0, Y8, Y0
	VDIVPS Y1, Y8, Y1
	VDIVPS Y2, Y8, Y2
	VDIVPS Y3, Y8, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VDIVPS Y0, Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VDIVSS X0, X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func affineV(y, a []float32, scale, shift float32)
TEXT ·affineV(SB), NOSPLIT, $0-56
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y8
	VBROADCASTSS shift+52(FP), Y9
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS Y8, Y0, Y0
	VMULPS Y8, Y1, Y1
	VMULPS Y8, Y2, Y2
	VMULPS Y8, Y3, Y3
	VADDPS Y9, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y9, Y2, Y2
	VADDPS Y9, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMULPS Y8, Y0, Y0
	VADDPS Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMULSS X8, X0, X0
	VADDSS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func reluV(y, a []float32)
TEXT ·reluV(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VXORPS Y8, Y8, Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMAXPS Y0, Y8, Y0
	VMAXPS Y1, Y8, Y1
	VMAXPS Y2, Y8, Y2
	VMAXPS Y3, Y8, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMAXPS Y0, Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMAXSS X0, X8, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func stepV(y, a []float32)
TEXT ·stepV(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVL $0x3f800000, AX
	MOVQ AX, X9
	VBROADCASTSS X9, Y9
	VXORPS Y8, Y8, Y8
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VCMPPS $0x1e, Y8, Y0, Y0
	VANDPS Y9, Y0, Y0
	VCMPPS $0x1e, Y8, Y1, Y1
	VANDPS Y9, Y1, Y1
	VCMPPS $0x1e, Y8, Y2, Y2
	VANDPS Y9, Y2, Y2
	VCMPPS $0x1e, Y8, Y3, Y3
	VANDPS Y9, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VCMPPS $0x1e, Y8, Y0, Y0
	VANDPS Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VCMPSS $0x1e, X8, X0, X0
	VANDPS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func negV(y, a []float32)
TEXT ·negV(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVL $0x80000000, AX
	MOVQ AX, X9
	VBROADCASTSS X9, Y9
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VXORPS Y9, Y0, Y0
	VXORPS Y9, Y1, Y1
	VXORPS Y9, Y2, Y2
	VXORPS Y9, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VXORPS Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VXORPS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func squareV(y, a []float32)
TEXT ·squareV(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS Y0, Y0, Y0
	VMULPS Y1, Y1, Y1
	VMULPS Y2, Y2, Y2
	VMULPS Y3, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMULPS Y0, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMULSS X0, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func sum64(x []float32) float64
TEXT ·sum64(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
loop16:
	CMPQ CX, $16
	JL   reduce
	VCVTPS2PD 0(SI), Y0
	VADDPD Y0, Y8, Y8
	VCVTPS2PD 16(SI), Y1
	VADDPD Y1, Y9, Y9
	VCVTPS2PD 32(SI), Y2
	VADDPD Y2, Y10, Y10
	VCVTPS2PD 48(SI), Y3
	VADDPD Y3, Y11, Y11
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  loop16
reduce:
	VADDPD Y9, Y8, Y8
	VADDPD Y11, Y10, Y10
	VADDPD Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPD X9, X8, X8
	VHADDPD X8, X8, X8
tail:
	TESTQ CX, CX
	JE   done
	VCVTSS2SD (SI), X0, X0
	VADDSD X0, X8, X8
	ADDQ $4, SI
	DECQ CX
	JMP  tail
done:
	VMOVSD X8, ret+24(FP)
	VZEROUPPER
	RET

// func sumSquares64(x []float32) float64
TEXT ·sumSquares64(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
loop16:
	CMPQ CX, $16
	JL   reduce
	VCVTPS2PD 0(SI), Y0
	VMULPD Y0, Y0, Y0
	VADDPD Y0, Y8, Y8
	VCVTPS2PD 16(SI), Y1
	VMULPD Y1, Y1, Y1
	VADDPD Y1, Y9, Y9
	VCVTPS2PD 32(SI), Y2
	VMULPD Y2, Y2, Y2
	VADDPD Y2, Y10, Y10
	VCVTPS2PD 48(SI), Y3
	VMULPD Y3, Y3, Y3
	VADDPD Y3, Y11, Y11
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  loop16
reduce:
	VADDPD Y9, Y8, Y8
	VADDPD Y11, Y10, Y10
	VADDPD Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPD X9, X8, X8
	VHADDPD X8, X8, X8
tail:
	TESTQ CX, CX
	JE   done
	VCVTSS2SD (SI), X0, X0
	VMULSD X0, X0, X0
	VADDSD X0, X8, X8
	ADDQ $4, SI
	DECQ CX
	JMP  tail
done:
	VMOVSD X8, ret+24(FP)
	VZEROUPPER
	RET

// func dot32(a, b []float32) float32
// 32 lanes (four YMM of eight floats), element i of the body in lane i%32, each product rounded
// before it is added (no fused multiply-add); lanes combined as the pure-Go loop combines them.
TEXT ·dot32(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
loop32:
	CMPQ CX, $32
	JL   reduce
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS 0(DX), Y0, Y0
	VMULPS 32(DX), Y1, Y1
	VMULPS 64(DX), Y2, Y2
	VMULPS 96(DX), Y3, Y3
	VADDPS Y0, Y8, Y8
	VADDPS Y1, Y9, Y9
	VADDPS Y2, Y10, Y10
	VADDPS Y3, Y11, Y11
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  loop32
reduce:
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VADDPS Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS X9, X8, X8
	VMOVHLPS X8, X8, X9
	VADDPS X9, X8, X8
	VMOVSHDUP X8, X9
	VADDSS X9, X8, X8
tail:
	TESTQ CX, CX
	JE   done
	VMOVSS (SI), X0
	VMULSS (DX), X0, X0
	VADDSS X0, X8, X8
	ADDQ $4, SI
	ADDQ $4, DX
	DECQ CX
	JMP  tail
done:
	VMOVSS X8, ret+48(FP)
	VZEROUPPER
	RET

// Constants of expV (see exp32 in exp.go): the clamp, log2(e), ln(2) in two parts, the
// polynomial's coefficients from the highest, 1, and the exponent bias.
DATA expc<>+0(SB)/4, $0xc2d00000  // -104
DATA expc<>+4(SB)/4, $0x42b20000  // 89
DATA expc<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+12(SB)/4, $0x3f318000 // ln2Hi
DATA expc<>+16(SB)/4, $0xb95e8083 // ln2Lo
DATA expc<>+20(SB)/4, $0x39506967 // 1.9875691500e-4
DATA expc<>+24(SB)/4, $0x3ab743ce // 1.3981999507e-3
DATA expc<>+28(SB)/4, $0x3c088908 // 8.3334519073e-3
DATA expc<>+32(SB)/4, $0x3d2aa9c1 // 4.1665795894e-2
DATA expc<>+36(SB)/4, $0x3e2aaaaa // 1.6666665459e-1
DATA expc<>+40(SB)/4, $0x3f000000 // 5.0000001201e-1
DATA expc<>+44(SB)/4, $0x3f800000 // 1
DATA expc<>+48(SB)/4, $127
GLOBL expc<>(SB), RODATA|NOPTR, $52

// func expV(y, a []float32)
//
// y[i] = exp32(a[i]) for the first len(y) rounded down to a multiple of 8 elements, 8 at a
// time, with exp32's operations in exp32's order (no fused multiply-adds).
TEXT ·expV(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS expc<>+0(SB), Y8
	VBROADCASTSS expc<>+4(SB), Y9
	VBROADCASTSS expc<>+8(SB), Y10
	VBROADCASTSS expc<>+12(SB), Y11
	VBROADCASTSS expc<>+16(SB), Y12
	VBROADCASTSS expc<>+20(SB), Y13
	VBROADCASTSS expc<>+44(SB), Y7
	VPBROADCASTD expc<>+48(SB), Y14
loop8:
	CMPQ CX, $8
	JL   done
	VMOVUPS   (SI), Y0
	VCMPPS    $3, Y0, Y0, Y15 // NaN lanes
	VMAXPS    Y8, Y0, Y1      // x = min(max(x, -104), 89)
	VMINPS    Y9, Y1, Y1
	VMULPS    Y10, Y1, Y2     // n = round(x * log2e)
	VROUNDPS  $0, Y2, Y2
	VMULPS    Y11, Y2, Y3     // r = x - n*ln2Hi - n*ln2Lo
	VSUBPS    Y3, Y1, Y3
	VMULPS    Y12, Y2, Y4
	VSUBPS    Y4, Y3, Y3
	VMULPS    Y3, Y3, Y4      // z = r*r
	VMULPS    Y3, Y13, Y5     // p = ((((c0 r + c1) r + c2) r + c3) r + c4) r + c5
	VBROADCASTSS expc<>+24(SB), Y6
	VADDPS    Y6, Y5, Y5
	VMULPS    Y3, Y5, Y5
	VBROADCASTSS expc<>+28(SB), Y6
	VADDPS    Y6, Y5, Y5
	VMULPS    Y3, Y5, Y5
	VBROADCASTSS expc<>+32(SB), Y6
	VADDPS    Y6, Y5, Y5
	VMULPS    Y3, Y5, Y5
	VBROADCASTSS expc<>+36(SB), Y6
	VADDPS    Y6, Y5, Y5
	VMULPS    Y3, Y5, Y5
	VBROADCASTSS expc<>+40(SB), Y6
	VADDPS    Y6, Y5, Y5
	VMULPS    Y4, Y5, Y5      // e = p*z + r + 1
	VADDPS    Y3, Y5, Y5
	VADDPS    Y7, Y5, Y5
	VCVTPS2DQ Y2, Y2          // k = n, times 2^(k>>1) then 2^(k - k>>1)
	VPSRAD    $1, Y2, Y6
	VPSUBD    Y6, Y2, Y2
	VPADDD    Y14, Y6, Y6
	VPSLLD    $23, Y6, Y6
	VMULPS    Y6, Y5, Y5
	VPADDD    Y14, Y2, Y2
	VPSLLD    $23, Y2, Y2
	VMULPS    Y2, Y5, Y5
	VBLENDVPS Y15, Y0, Y5, Y5 // NaN stays NaN
	VMOVUPS   Y5, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
done:
	VZEROUPPER
	RET

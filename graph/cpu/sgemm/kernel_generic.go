package sgemm

import "unsafe"

// generic is the pure-Go micro-kernel: the reference the assembly kernels are tested against,
// and the kernel of architectures without one (GOOS=js, riscv64...) and of purego builds.
var generic = &kernel{name: "generic", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, fn: kernel4x4}

// kernel4x4 computes a 4x4 tile from packed strips (see kernel) with its sixteen sums in
// locals: registers (and fused multiply-adds) on arm64; amd64's sixteen XMM registers spill
// some, which only the purego build sees.
func kernel4x4(k int, ap, bp, cp *float32, ldc int, acc bool) {
	a := unsafe.Slice(ap, 4*k)
	b := unsafe.Slice(bp, 4*k)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for len(a) >= 4 && len(b) >= 4 {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0 := a[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := a[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := a[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		a, b = a[4:], b[4:]
	}
	c := unsafe.Slice(cp, 3*ldc+4)
	sums := [4][4]float32{
		{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33},
	}
	for i, row := range sums {
		dst := c[i*ldc : i*ldc+4 : i*ldc+4]
		if !acc {
			copy(dst, row[:])
			continue
		}
		for j, v := range row {
			dst[j] += v
		}
	}
}

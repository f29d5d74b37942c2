//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

// kernel6x16AVX2 is the AVX2+FMA micro-kernel (kernel_avx2_amd64.s), a 6x16 tile.
//
//go:noescape
func kernel6x16AVX2(k int, a, b, c *float32, ldc int, acc bool)

// kernel12x32AVX512 is the AVX-512F micro-kernel (kernel_avx512_amd64.s), a 12x32 tile.
//
//go:noescape
func kernel12x32AVX512(k int, a, b, c *float32, ldc int, acc bool)

var (
	avx2   = &kernel{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 2048, fn: kernel6x16AVX2}
	avx512 = &kernel{name: "avx512", mr: 12, nr: 32, mc: 144, kc: 256, nc: 2048, fn: kernel12x32AVX512}
)

// kernels lists the micro-kernels this CPU runs, the generic one first and the fastest last.
var kernels = available()

// best is the kernel Gemm uses.
var best = kernels[len(kernels)-1]

func available() []*kernel {
	ks := []*kernel{generic}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2)
	}
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512)
	}
	return ks
}

// missing names the kernels of this architecture the CPU cannot run, with the reason.
func missing() map[string]string {
	m := map[string]string{}
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		m["avx2"] = "the CPU lacks AVX2 or FMA"
	}
	if !cpu.X86.HasAVX512F {
		m["avx512"] = "the CPU lacks AVX-512F"
	}
	return m
}

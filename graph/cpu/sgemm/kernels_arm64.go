//go:build arm64 && !purego

package sgemm

// kernel8x12NEON is the NEON (ASIMD) micro-kernel (kernel_neon_arm64.s), an 8x12 tile.
//
//go:noescape
func kernel8x12NEON(k int, a, b, c *float32, ldc int, acc bool)

// neon is the arm64 kernel: ASIMD is mandatory on arm64, so every CPU runs it.
var neon = &kernel{name: "neon", mr: 8, nr: 12, mc: 144, kc: 256, nc: 2040, fn: kernel8x12NEON}

// kernels lists the micro-kernels this build runs, the generic one first and the fastest last.
var kernels = []*kernel{generic, neon}

// best is the kernel Gemm uses.
var best = neon

// missing names the kernels of this architecture the CPU cannot run: there are none, ASIMD
// being part of every arm64 CPU.
func missing() map[string]string { return nil }

//go:build (!amd64 && !arm64) || purego

package sgemm

// kernels lists the micro-kernels this build runs: the pure-Go one alone.
var kernels = []*kernel{generic}

// best is the kernel Gemm uses.
var best = generic

// missing names the kernels of this architecture the CPU cannot run: there are none.
func missing() map[string]string { return nil }

package peak

import "golang.org/x/sys/cpu"

// chains is the number of independent accumulators each loop iteration updates with one FMA:
// enough to cover the FMA latency on both ports of current cores.
const chains = 12

// fma256 runs n iterations of chains 256-bit FMAs (8 fp32 lanes each); peak_amd64.s.
//
//go:noescape
func fma256(n int)

// fma512 runs n iterations of chains 512-bit FMAs (16 fp32 lanes each); peak_amd64.s.
//
//go:noescape
func fma512(n int)

// kernel picks the widest FMA loop the CPU supports, or nil.
func kernel() *loop {
	switch {
	case cpu.X86.HasAVX512F:
		return &loop{name: "avx512", fn: fma512, flopsPerIter: chains * 16 * 2}
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return &loop{name: "avx2", fn: fma256, flopsPerIter: chains * 8 * 2}
	}
	return nil
}

//go:build amd64 && !purego

package shiftconv

import "golang.org/x/sys/cpu"

// kernels lists the kernel sets this CPU runs, the pure-Go loops first and the fastest last.
var kernels = available()

func available() []kernelSet {
	ks := []kernelSet{pureGo}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2)
	}
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512)
	}
	return ks
}

// forward4x32 is Forward in AVX-512 (kernels_amd64.s); start holds k runs.
//
//go:noescape
func forward4x32(k int, w, src *float32, start *int, y *float32, ldy int)

// forward4x16AVX2 is Forward on 16 positions in AVX2 and FMA (kernels_amd64.s).
//
//go:noescape
func forward4x16AVX2(k int, w, src *float32, start *int, y *float32, ldy int)

// dot4x4 is Dot in AVX-512 (kernels_amd64.s); start holds four runs.
//
//go:noescape
func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int)

// dot4x4AVX2 is Dot in AVX2 and FMA (kernels_amd64.s).
//
//go:noescape
func dot4x4AVX2(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int)

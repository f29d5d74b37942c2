//go:build amd64 && !purego

package shiftconv

import "golang.org/x/sys/cpu"

var hasAVX512 = cpu.X86.HasAVX512F

// forward4x32 is Forward in AVX-512 (kernels_amd64.s); start holds k runs.
//
//go:noescape
func forward4x32(k int, w, src *float32, start *int, y *float32, ldy int)

// dot4x4 is Dot in AVX-512 (kernels_amd64.s); start holds four runs.
//
//go:noescape
func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int)

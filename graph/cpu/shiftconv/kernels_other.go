//go:build !amd64 || purego

package shiftconv

// hasAVX512 is false: this build has no assembly kernels, and the stand-ins below for their
// names are never called.
var hasAVX512 = false

func forward4x32(k int, w, src *float32, start *int, y *float32, ldy int)                       {}
func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int) {}

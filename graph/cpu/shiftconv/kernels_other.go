//go:build !amd64 || purego

package shiftconv

// kernels lists the kernel sets this build runs: the pure-Go loops alone. The stand-ins below
// for the assembly functions' names are never called.
var kernels = []kernelSet{pureGo}

func forward4x32(k int, w, src *float32, start *int, y *float32, ldy int)     {}
func forward4x16AVX2(k int, w, src *float32, start *int, y *float32, ldy int) {}
func dot4x4(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int) {
}
func dot4x4AVX2(chunks int, grad *float32, ldg int, src *float32, start *int, dw *float32, ldw int) {
}

package cpu

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/sgemm"
)

var blasImpl gonum.Implementation

// sgemmAccelerated says whether sgemm has an assembly micro-kernel for this CPU (AVX2+FMA or
// AVX-512 on amd64, NEON on arm64). Without one (GOOS=js, the browser's CPU fallback; purego
// builds) float32 products stay on gonum's Sgemm, whose pure-Go loops are not slower than
// sgemm's generic kernel.
var sgemmAccelerated = sgemm.Kernel() != "generic"

// sgemmFunc is the signature of sgemm.Gemm and sgemm.ParallelGemm.
type sgemmFunc func(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32,
	c []float32, ldc int)

// gemm computes c = op(a) @ op(b) + beta*c for row-major, densely packed matrices, with op(a)
// m x k and op(b) k x n, on the calling goroutine: float32 through sgemm.Gemm (gonum's Sgemm
// where sgemm has no assembly kernel), float64 (the finite-difference reference) through
// gonum's Dgemm.
func gemm[T float](tA, tB bool, m, n, k int, a, b []T, beta T, c []T) {
	gemmWith(sgemm.Gemm, tA, tB, m, n, k, a, b, beta, c)
}

// gemmParallel is gemm for one large product, the float32 one split over the cores by
// sgemm.ParallelGemm; callers already running products in parallel use gemm.
func gemmParallel[T float](tA, tB bool, m, n, k int, a, b []T, beta T, c []T) {
	gemmWith(sgemm.ParallelGemm, tA, tB, m, n, k, a, b, beta, c)
}

// sharedA returns a function computing c = op(a) @ b for many b of n columns, op(a) m x k:
// where sgemm computes the float32 products, a is packed once for all of them.
func sharedA[T float](tA bool, m, k int, a []T) func(n int, b, c []T) {
	if a32, ok := any(a).([]float32); ok && sgemmAccelerated && m > 0 {
		lda := k
		if tA {
			lda = m
		}
		packed := sgemm.PackA(tA, m, k, a32, max(lda, 1))
		return func(n int, b, c []T) {
			if n > 0 {
				packed.Gemm(false, n, any(b).([]float32), n, 0, any(c).([]float32), n)
			}
		}
	}
	return func(n int, b, c []T) { gemm(tA, false, m, n, k, a, b, 0, c) }
}

// gemmWith is gemm with f32 computing the float32 products.
func gemmWith[T float](f32 sgemmFunc, tA, tB bool, m, n, k int, a, b []T, beta T, c []T) {
	if m == 0 || n == 0 {
		return
	}
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	switch av := any(a).(type) {
	case []float32:
		if !sgemmAccelerated {
			blasImpl.Sgemm(trans(tA), trans(tB), m, n, k, 1, av, max(lda, 1), any(b).([]float32), max(ldb, 1),
				float32(beta), any(c).([]float32), n)
			return
		}
		f32(tA, tB, m, n, k, av, max(lda, 1), any(b).([]float32), max(ldb, 1), float32(beta), any(c).([]float32), n)
	case []float64:
		blasImpl.Dgemm(trans(tA), trans(tB), m, n, k, 1, av, max(lda, 1), any(b).([]float64), max(ldb, 1),
			float64(beta), any(c).([]float64), n)
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// matmul runs a batched, broadcasting matrix product.
func matmul[T float](op *graph.Matmul, a []T, as graph.Shape, b []T, bs graph.Shape, y []T, ys graph.Shape) {
	m, k, _, n := op.MatmulDims(as, bs)
	batch := ys[:len(ys)-2]
	nb := prod(batch)
	ast := graph.BroadcastStrides(as[:len(as)-2], graph.Shape(batch))
	bst := graph.BroadcastStrides(bs[:len(bs)-2], graph.Shape(batch))
	yst := contiguous(batch)
	sizeA, sizeB, sizeY := m*k, k*n, m*n
	product := func(i int, f func(tA, tB bool, m, n, k int, a, b []T, beta T, c []T)) {
		ao, bo, rem := 0, 0, i
		for d := range batch {
			q := rem / yst[d]
			rem -= q * yst[d]
			ao += q * ast[d]
			bo += q * bst[d]
		}
		f(op.TransA, op.TransB, m, n, k, a[ao*sizeA:(ao+1)*sizeA], b[bo*sizeB:(bo+1)*sizeB], 0,
			y[i*sizeY:(i+1)*sizeY])
	}
	// Fewer products than cores: one after the other, each split over the cores.
	if nb < runtime.GOMAXPROCS(0) {
		for i := range nb {
			product(i, gemmParallel[T])
		}
		return
	}
	parallelFor(nb, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			product(i, gemm[T])
		}
	})
}

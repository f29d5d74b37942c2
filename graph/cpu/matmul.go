package cpu

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/oodgpu/oodgpu/graph"
)

var blasImpl gonum.Implementation

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemm computes c = op(a) @ op(b) + beta*c for row-major, densely packed matrices, with op(a)
// m x k and op(b) k x n, through gonum's BLAS (Sgemm or Dgemm).
func gemm[T float](tA, tB bool, m, n, k int, a, b []T, beta T, c []T) {
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
		blasImpl.Sgemm(trans(tA), trans(tB), m, n, k, 1, av, max(lda, 1), any(b).([]float32), max(ldb, 1),
			float32(beta), any(c).([]float32), n)
	case []float64:
		blasImpl.Dgemm(trans(tA), trans(tB), m, n, k, 1, av, max(lda, 1), any(b).([]float64), max(ldb, 1),
			float64(beta), any(c).([]float64), n)
	}
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
	parallelFor(nb, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ao, bo, rem := 0, 0, i
			for d := range batch {
				q := rem / yst[d]
				rem -= q * yst[d]
				ao += q * ast[d]
				bo += q * bst[d]
			}
			gemm(op.TransA, op.TransB, m, n, k, a[ao*sizeA:(ao+1)*sizeA], b[bo*sizeB:(bo+1)*sizeB], 0,
				y[i*sizeY:(i+1)*sizeY])
		}
	})
}

package cpu

import (
	"github.com/oodgpu/oodgpu/graph"
)

const elemGrain = 1 << 14

func unary[T float](fn graph.UnaryFn, x, y []T) {
	parallelFor(len(y), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = T(fn.Apply(float64(x[i])))
		}
	})
}

func affine[T float](scale, shift T, x, y []T) {
	parallelFor(len(y), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = x[i]*scale + shift
		}
	})
}

// binary evaluates fn with broadcasting; as, bs are the operands' shapes, out the result's.
func binary[T float](fn graph.BinaryFn, a []T, as graph.Shape, b []T, bs graph.Shape, y []T, out graph.Shape) {
	if as.Equal(out) && bs.Equal(out) {
		parallelFor(len(y), elemGrain, func(lo, hi int) {
			binaryRun(fn, y[lo:hi], a[lo:hi], 1, b[lo:hi], 1)
		})
		return
	}
	st := [][]int{contiguous(out), graph.BroadcastStrides(as, out), graph.BroadcastStrides(bs, out)}
	inner := 1
	if len(out) > 0 {
		inner = out[len(out)-1]
	}
	parallelFor(len(y), max(elemGrain, inner), func(lo, hi int) {
		last := len(out) - 1
		walk(out, st, lo, hi, func(off []int, n int) {
			sa, sb := 0, 0
			if last >= 0 {
				sa, sb = st[1][last], st[2][last]
			}
			binaryRun(fn, y[off[0]:off[0]+n], a[off[1]:], sa, b[off[2]:], sb)
		})
	})
}

// binaryRun computes y[i] = fn(a[i*sa], b[i*sb]) for i < len(y).
func binaryRun[T float](fn graph.BinaryFn, y, a []T, sa int, b []T, sb int) {
	switch fn {
	case graph.Add:
		for i := range y {
			y[i] = a[i*sa] + b[i*sb]
		}
	case graph.Sub:
		for i := range y {
			y[i] = a[i*sa] - b[i*sb]
		}
	case graph.Mul:
		for i := range y {
			y[i] = a[i*sa] * b[i*sb]
		}
	case graph.Div:
		for i := range y {
			y[i] = a[i*sa] / b[i*sb]
		}
	}
}

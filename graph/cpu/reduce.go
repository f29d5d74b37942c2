package cpu

import (
	"math"
	"slices"

	"github.com/oodgpu/oodgpu/graph"
)

// reduce applies op to x of shape xs, writing one value per kept index to y.
func reduce[T float](op *graph.Reduce, x []T, xs graph.Shape, y []T) {
	xst := contiguous(xs)
	var keptShape, keptSt, redShape, redSt []int
	for i, d := range xs {
		if slices.Contains(op.Axes, i) {
			redShape, redSt = append(redShape, d), append(redSt, xst[i])
		} else {
			keptShape, keptSt = append(keptShape, d), append(keptSt, xst[i])
		}
	}
	reduceView(op.Fn, x, y, keptShape, keptSt, redShape, redSt)
}

// reduceView reduces a strided view of x: one output per index of keptShape, each reducing over
// redShape. Sums accumulate in float64, so results do not depend on the number of cores.
func reduceView[T float](fn graph.ReduceFn, x, y []T, keptShape, keptSt, redShape, redSt []int) {
	count := prod(redShape)
	redAll := [][]int{redSt}
	parallelFor(len(y), max(1, elemGrain/max(count, 1)), func(lo, hi int) {
		walk(keptShape, [][]int{keptSt}, lo, hi, func(off []int, n int) {
			inner := 0
			if len(keptSt) > 0 {
				inner = keptSt[len(keptSt)-1]
			}
			start := lo
			lo += n
			for j := 0; j < n; j++ {
				base := off[0] + j*inner
				y[start+j] = T(reduceOne(fn, x[base:], redShape, redAll, count))
			}
		})
	})
}

func reduceOne[T float](fn graph.ReduceFn, x []T, shape []int, st [][]int, count int) float64 {
	var acc float64
	last := len(shape) - 1
	step := func() int {
		if last < 0 {
			return 0
		}
		return st[0][last]
	}()
	switch fn {
	case graph.Sum, graph.Mean:
		walk(shape, st, 0, count, func(off []int, n int) {
			if step == 1 {
				for _, v := range x[off[0] : off[0]+n] {
					acc += float64(v)
				}
				return
			}
			for i := 0; i < n; i++ {
				acc += float64(x[off[0]+i*step])
			}
		})
		if fn == graph.Mean {
			acc /= float64(count)
		}
	case graph.SumSquares:
		walk(shape, st, 0, count, func(off []int, n int) {
			if step == 1 {
				for _, v := range x[off[0] : off[0]+n] {
					acc += float64(v) * float64(v)
				}
				return
			}
			for i := 0; i < n; i++ {
				v := float64(x[off[0]+i*step])
				acc += v * v
			}
		})
	case graph.LogSumExp:
		m := math.Inf(-1)
		walk(shape, st, 0, count, func(off []int, n int) {
			for i := 0; i < n; i++ {
				m = math.Max(m, float64(x[off[0]+i*step]))
			}
		})
		if math.IsInf(m, 0) {
			return m
		}
		walk(shape, st, 0, count, func(off []int, n int) {
			for i := 0; i < n; i++ {
				acc += math.Exp(float64(x[off[0]+i*step]) - m)
			}
		})
		acc = m + math.Log(acc)
	}
	return acc
}

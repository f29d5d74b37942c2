package cpu

import (
	"math"

	"github.com/oodgpu/oodgpu/graph"
)

// reduce applies op to x of shape xs, writing one value per kept index to y.
func reduce[T float](op *graph.Reduce, x []T, xs graph.Shape, y []T) {
	reduceView(op.Fn, x, y, op.Reduction(xs))
}

// rowBlock is the number of outputs a row reduction accumulates at a time, in float64: small
// enough to stay in the first-level cache, long enough for the inner loop to dominate.
const rowBlock = 512

// reduceView computes reduction r of x into y (graph.Reduction). Every output accumulates its
// elements in float64, one at a time, in the row-major order of r.Reduced, and on one core: results
// depend on neither the number of cores nor the path taken, and equal those of a single loop.
//
// Two paths keep the inner loops at stride 1 or independent of each other. When the kept view's
// innermost axis is contiguous (reducing over leading axes, e.g. the batch), whole rows of outputs
// accumulate together: acc[0:n] += x[row]. Otherwise (the reduced axes innermost, e.g. over the
// pixels and the batch of [N C H W] per channel) four outputs walk their elements side by side,
// each along the reduced view's innermost axis, so that their sums do not wait on each other.
func reduceView[T float](fn graph.ReduceFn, x, y []T, r graph.Reduction) {
	r = r.Collapse()
	kept, red := r.Kept, r.Reduced
	count := red.Size()
	// The reduced view as runs along its innermost axis: starts holds each run's offset.
	last := len(red.Shape) - 1
	run, rs := red.Shape[last], red.Strides[last]
	var starts []int
	if run > 0 {
		outer, ost := red.Shape[:last], red.Strides[:last]
		walk(outer, [][]int{ost}, 0, count/run, func(off []int, n int) {
			starts = append(starts, off[0]) // n is 1 when there is no outer axis
			for i := 1; i < n; i++ {
				starts = append(starts, off[0]+i*ost[len(ost)-1])
			}
		})
	}
	div := 1.0
	if fn == graph.Mean {
		div = float64(count)
	}
	kl := len(kept.Shape) - 1
	if fn != graph.LogSumExp && kept.Strides[kl] == 1 && kept.Shape[kl] > 1 {
		parallelFor(len(y), max(rowBlock, elemGrain/max(count, 1)), func(lo, hi int) {
			acc := make([]float64, rowBlock)
			walk(kept.Shape, [][]int{kept.Strides}, lo, hi, func(off []int, n int) {
				for done := 0; done < n; done += rowBlock {
					b := min(rowBlock, n-done)
					reduceRows(fn == graph.SumSquares, x, kept.Offset+off[0]+done, acc[:b], starts, run, rs)
					for i, a := range acc[:b] {
						y[lo+i] = T(a / div)
					}
					lo += b
				}
			})
		})
		return
	}
	parallelFor(len(y), max(1, elemGrain/max(count, 1)), func(lo, hi int) {
		ks := kept.Strides[kl]
		walk(kept.Shape, [][]int{kept.Strides}, lo, hi, func(off []int, n int) {
			base := kept.Offset + off[0]
			if fn == graph.LogSumExp {
				for i := range n {
					y[lo+i] = T(logSumExp(x, base+i*ks, starts, run, rs))
				}
				lo += n
				return
			}
			for i := 0; i < n; i += 4 {
				// A last group of fewer than four repeats its last output.
				var b [4]int
				for q := range b {
					b[q] = base + min(i+q, n-1)*ks
				}
				a := reduceFour(fn == graph.SumSquares, x, b, starts, run, rs)
				for q := 0; q < 4 && i+q < n; q++ {
					y[lo+i+q] = T(a[q] / div)
				}
			}
			lo += n
		})
	})
}

// reduceRows sets acc[j] to the sum (of squares when sq) of the elements of x at base + j + s +
// k*rs, for each run start s and k < run, accumulated in that order.
func reduceRows[T float](sq bool, x []T, base int, acc []float64, starts []int, run, rs int) {
	clear(acc)
	for _, s := range starts {
		for k := range run {
			row := x[base+s+k*rs:]
			row = row[:len(acc)]
			if sq {
				for j, v := range row {
					acc[j] += float64(v) * float64(v)
				}
			} else {
				for j, v := range row {
					acc[j] += float64(v)
				}
			}
		}
	}
}

// reduceFour returns the sums (of squares when sq) of the elements of x at b[q] + s + k*rs, for
// each run start s and k < run, for four bases b[q] at once.
func reduceFour[T float](sq bool, x []T, b [4]int, starts []int, run, rs int) [4]float64 {
	var a0, a1, a2, a3 float64
	for _, s := range starts {
		if rs == 1 {
			x0 := x[b[0]+s : b[0]+s+run]
			x1 := x[b[1]+s : b[1]+s+run]
			x2 := x[b[2]+s : b[2]+s+run]
			x3 := x[b[3]+s : b[3]+s+run]
			if sq {
				for k, v := range x0 {
					a0 += float64(v) * float64(v)
					a1 += float64(x1[k]) * float64(x1[k])
					a2 += float64(x2[k]) * float64(x2[k])
					a3 += float64(x3[k]) * float64(x3[k])
				}
			} else {
				for k, v := range x0 {
					a0 += float64(v)
					a1 += float64(x1[k])
					a2 += float64(x2[k])
					a3 += float64(x3[k])
				}
			}
			continue
		}
		for k := range run {
			o := s + k*rs
			v0, v1, v2, v3 := float64(x[b[0]+o]), float64(x[b[1]+o]), float64(x[b[2]+o]), float64(x[b[3]+o])
			if sq {
				v0, v1, v2, v3 = v0*v0, v1*v1, v2*v2, v3*v3
			}
			a0, a1, a2, a3 = a0+v0, a1+v1, a2+v2, a3+v3
		}
	}
	return [4]float64{a0, a1, a2, a3}
}

// logSumExp returns log sum exp of the elements of x at base + s + k*rs, for each run start s and
// k < run, computed stably: the maximum first, then the sum of exp(v - max).
func logSumExp[T float](x []T, base int, starts []int, run, rs int) float64 {
	m := math.Inf(-1)
	for _, s := range starts {
		for k := range run {
			m = math.Max(m, float64(x[base+s+k*rs]))
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	var acc float64
	for _, s := range starts {
		for k := range run {
			acc += math.Exp(float64(x[base+s+k*rs]) - m)
		}
	}
	return m + math.Log(acc)
}

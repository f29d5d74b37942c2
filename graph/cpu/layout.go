package cpu

import (
	"slices"

	"github.com/oodgpu/oodgpu/graph"
)

// The data-movement kernels perform the strided copies that graph derives for each op
// (graph.Copies and the ops' Copy methods).

func permute[T float](op *graph.Permute, x []T, xs graph.Shape, y []T, _ graph.Shape) {
	copyView(y, x, op.Copy(xs))
}

func broadcastTo[T float](x []T, xs graph.Shape, y []T, ys graph.Shape) {
	copyView(y, x, (&graph.BroadcastTo{To: ys}).Copy(xs))
}

func slice[T float](op *graph.Slice, x []T, xs graph.Shape, y []T, _ graph.Shape) {
	copyView(y, x, op.Copy(xs))
}

func pad[T float](op *graph.Pad, x []T, xs graph.Shape, y []T, _ graph.Shape) {
	clear(y)
	copyView(y, x, op.Copy(xs))
}

func concat[T float](axis int, xs [][]T, shapes []graph.Shape, y []T, _ graph.Shape) {
	for _, c := range (&graph.Concat{Axis: axis}).Copies(shapes) {
		copyView(y, xs[c.Input], c)
	}
}

func spaceToDepth[T float](b int, x []T, xs graph.Shape, y []T) {
	copyView(y, x, (&graph.SpaceToDepth{Block: b}).Copy(xs))
}

func depthToSpace[T float](b int, x []T, xs graph.Shape, y []T) {
	copyView(y, x, (&graph.DepthToSpace{Block: b}).Copy(xs))
}

func upsample[T float](f int, x []T, xs graph.Shape, y []T) {
	copyView(y, x, (&graph.Upsample{Factor: f}).Copy(xs))
}

func avgPool[T float](k int, x []T, xs graph.Shape, y []T) {
	reduceView(graph.Mean, x, y, (&graph.AvgPool{Size: k}).Reduction(xs))
}

// copyView performs the strided copy c from x into y. Since a copy may visit its elements in any
// order, it walks them with the longest axis along which the source or the destination is
// contiguous innermost (Glow's unsqueeze writes runs of b floats but reads runs of W), and copies
// the two innermost axes as a block per step of the walker, so that short rows cost no call each.
func copyView[T float](y, x []T, c graph.Copy) {
	c = contiguousInside(c.Collapse())
	shape, ss, ds := c.Src.Shape, c.Src.Strides, c.Dst.Strides
	if len(shape) == 1 {
		shape, ss, ds = []int{1, shape[0]}, []int{0, ss[0]}, []int{0, ds[0]}
	}
	r := len(shape)
	outer, n := shape[:r-1], shape[r-1]
	s0, d0, s1, d1 := ss[r-2], ds[r-2], ss[r-1], ds[r-1]
	parallelFor(prod(outer), max(1, elemGrain/max(n, 1)), func(lo, hi int) {
		walk(outer, [][]int{ss[:r-1], ds[:r-1]}, lo, hi, func(off []int, m int) {
			so, do := c.Src.Offset+off[0], c.Dst.Offset+off[1]
			for i := range m {
				copyRow(y[do+i*d0:], d1, x[so+i*s0:], s1, n)
			}
		})
	})
}

// copyRow copies n elements of x at stride xs to y at stride ys.
func copyRow[T float](y []T, ys int, x []T, xs, n int) {
	switch {
	case xs == 1 && ys == 1:
		copy(y[:n], x[:n])
	case ys == 1:
		for i := range y[:n] {
			y[i] = x[i*xs]
		}
	default:
		for i := range n {
			y[i*ys] = x[i*xs]
		}
	}
}

// contiguousInside returns c with its axes reordered so that the innermost one is contiguous on
// both sides if it was, else the longest axis contiguous on either side, and merged again.
func contiguousInside(c graph.Copy) graph.Copy {
	shape, ss, ds := c.Src.Shape, c.Src.Strides, c.Dst.Strides
	last := len(shape) - 1
	if ss[last] == 1 && ds[last] == 1 {
		return c
	}
	unit := func(a int) bool { return ss[a] == 1 || ds[a] == 1 }
	best := last
	for a := range last {
		if unit(a) && (!unit(best) || shape[a] > shape[best]) {
			best = a
		}
	}
	if best == last {
		return c
	}
	toEnd := func(v []int) []int {
		return append(slices.Delete(slices.Clone(v), best, best+1), v[best])
	}
	shape = toEnd(shape)
	c.Src = graph.View{Shape: shape, Strides: toEnd(ss), Offset: c.Src.Offset}
	c.Dst = graph.View{Shape: shape, Strides: toEnd(ds), Offset: c.Dst.Offset}
	return c.Collapse()
}

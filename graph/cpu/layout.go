package cpu

import (
	"github.com/oodgpu/oodgpu/graph"
)

// gather fills y (contiguous, shape) from x read with strides xst starting at offset xoff.
func gather[T float](y []T, shape []int, x []T, xoff int, xst []int) {
	shape, st := graph.CollapseStrides(shape, contiguous(shape), xst)
	yst, xst := st[0], st[1]
	parallelFor(prod(shape), max(elemGrain, shape[len(shape)-1]), func(lo, hi int) {
		walk(shape, [][]int{yst, xst}, lo, hi, func(off []int, n int) {
			s := xst[len(xst)-1]
			dst, src := y[off[0]:off[0]+n], x[xoff+off[1]:]
			if s == 1 {
				copy(dst, src)
				return
			}
			for i := range dst {
				dst[i] = src[i*s]
			}
		})
	})
}

// scatter copies x (contiguous, shape) into y at offset yoff with strides yst.
func scatter[T float](y []T, yoff int, yst []int, x []T, shape []int) {
	shape, st := graph.CollapseStrides(shape, yst, contiguous(shape))
	yst, xst := st[0], st[1]
	parallelFor(prod(shape), max(elemGrain, shape[len(shape)-1]), func(lo, hi int) {
		sy := yst[len(yst)-1] // x is contiguous; y's inner stride is 1 unless a unit axis was dropped
		walk(shape, [][]int{yst, xst}, lo, hi, func(off []int, n int) {
			if sy == 1 {
				copy(y[yoff+off[0]:yoff+off[0]+n], x[off[1]:off[1]+n])
				return
			}
			for i, v := range x[off[1] : off[1]+n] {
				y[yoff+off[0]+i*sy] = v
			}
		})
	})
}

func permute[T float](op *graph.Permute, x []T, xs graph.Shape, y []T, ys graph.Shape) {
	xst := contiguous(xs)
	st := make([]int, len(op.Perm))
	for i, p := range op.Perm {
		st[i] = xst[p]
	}
	gather(y, ys, x, 0, st)
}

func broadcastTo[T float](x []T, xs graph.Shape, y []T, ys graph.Shape) {
	gather(y, ys, x, 0, graph.BroadcastStrides(xs, ys))
}

func slice[T float](op *graph.Slice, x []T, xs graph.Shape, y []T, ys graph.Shape) {
	xst := contiguous(xs)
	off := 0
	for i, s := range op.Start {
		off += s * xst[i]
	}
	gather(y, ys, x, off, xst)
}

func pad[T float](op *graph.Pad, x []T, xs graph.Shape, y []T, ys graph.Shape) {
	clear(y)
	yst := contiguous(ys)
	off := 0
	for i, l := range op.Lo {
		off += l * yst[i]
	}
	scatter(y, off, yst, x, xs)
}

func concat[T float](axis int, xs [][]T, shapes []graph.Shape, y []T, ys graph.Shape) {
	yst := contiguous(ys)
	off := 0
	for i, x := range xs {
		scatter(y, off*yst[axis], yst, x, shapes[i])
		off += shapes[i][axis]
	}
}

// spaceToDepth reads x [N C H W] as [N C H/b b W/b b] in the order (N, C, i, j, H/b, W/b).
func spaceToDepth[T float](b int, x []T, xs graph.Shape, y []T) {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	shape := []int{n, c, b, b, h / b, w / b}
	gather(y, shape, x, 0, []int{c * h * w, h * w, w, 1, b * w, b})
}

// depthToSpace writes y [N C H*b W*b] as [N C H b W b] from x [N C*b*b H W].
func depthToSpace[T float](b int, x []T, xs graph.Shape, y []T) {
	n, c, h, w := xs[0], xs[1]/(b*b), xs[2], xs[3]
	shape := []int{n, c, h, b, w, b}
	gather(y, shape, x, 0, []int{c * b * b * h * w, b * b * h * w, w, b * h * w, 1, h * w})
}

// upsample repeats pixels: y viewed as [N C H f W f] reads x [N C H W] with zero strides.
func upsample[T float](f int, x []T, xs graph.Shape, y []T) {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	gather(y, []int{n, c, h, f, w, f}, x, 0, []int{c * h * w, h * w, w, 0, 1, 0})
}

// avgPool averages x viewed as [N C H/k k W/k k] over the two window axes.
func avgPool[T float](k int, x []T, xs graph.Shape, y []T) {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	reduceView(graph.Mean, x, y, []int{n, c, h / k, w / k}, []int{c * h * w, h * w, k * w, k},
		[]int{k, k}, []int{w, 1})
}

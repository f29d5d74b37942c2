package cpu

import (
	"slices"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/vec"
)

// fusedBlock is the number of elements a chain evaluates at a time: its intermediate values
// for one block stay in the first-level cache.
const fusedBlock = 512

// shortRun is the longest run of the innermost axis a block spans several of: on short runs the
// calls a block makes cost more than its elements, while on longer ones gathering an operand
// that is one value per run (a per-channel scale over 8x8 pixels and more) costs more than the
// calls saved (BenchmarkTrainStep in models/glow).
const shortRun = 64

// operand is a block of a chain's value or input: a slice, or one value broadcast along the block.
type operand[T float] struct {
	v      []T
	scalar bool
}

// chainRun evaluates a fused chain one block at a time. Members read only inside the chain live
// in registers; stored ones are written to their storage; inputs are read in place where they
// are contiguous along the block. A run's strided operands are, in order: the result, the
// chain's inputs, its stored element-wise members.
type chainRun[T float] struct {
	f     *graph.Fused
	vals  [][]T
	args  [][2]int // per member, the ops indices of its arguments
	store []int    // per member, its operand index when stored, else -1
	ops   []operand[T]
	regs  [][]T
	gathr [][]T
}

// elementwiseMembers are the members a block evaluates: all but a final reduction.
func elementwiseMembers(f *graph.Fused) []*graph.Node {
	if f.Reduce != nil {
		return f.Nodes[:len(f.Nodes)-1]
	}
	return f.Nodes
}

// chainOperands returns the nodes whose strides a run of f walks after the result's: the
// inputs, then the stored element-wise members.
func chainOperands(f *graph.Fused) []*graph.Node {
	nodes := append([]*graph.Node(nil), f.Inputs...)
	for i, m := range elementwiseMembers(f) {
		if f.Stored[i] {
			nodes = append(nodes, m)
		}
	}
	return nodes
}

func newChainRun[T float](f *graph.Fused, vals [][]T) *chainRun[T] {
	ni := len(f.Inputs)
	c := &chainRun[T]{f: f, vals: vals, args: make([][2]int, len(f.Nodes)), store: make([]int, len(f.Nodes))}
	slot := make(map[int]int, ni+len(f.Nodes))
	for i, in := range f.Inputs {
		slot[in.ID()] = i
	}
	stored := 0
	for i, m := range f.Nodes {
		slot[m.ID()] = ni + i
		for j, in := range m.Inputs() {
			c.args[i][j] = slot[in.ID()]
		}
		c.store[i] = -1
		if f.Stored[i] && i < len(elementwiseMembers(f)) {
			c.store[i] = 1 + ni + stored
			stored++
		}
	}
	c.ops = make([]operand[T], ni+len(f.Nodes))
	c.regs = make([][]T, len(f.Nodes))
	c.gathr = make([][]T, ni)
	return c
}

// block evaluates rows x n0 elements of the chain's domain: rows runs of n0 along the innermost
// axis, from operand offsets off, operand k stepping inner[k] within a run and outer[k] from
// one run to the next. It stores the stored members and returns the block of the value a final
// reduction reads (or of the last member).
func (c *chainRun[T]) block(off, inner, outer []int, rows, n0 int) []T {
	n := rows * n0
	for i, in := range c.f.Inputs {
		x, o, s := c.vals[in.ID()], off[1+i], inner[1+i]
		switch {
		case !flat(s, outer[1+i], rows, n0):
			c.ops[i] = operand[T]{v: c.gather(i, x, o, s, outer[1+i], rows, n0)}
		case s == 0:
			c.ops[i] = operand[T]{v: x[o : o+1], scalar: true}
		case s == 1:
			c.ops[i] = operand[T]{v: x[o : o+n]}
		default:
			c.ops[i] = operand[T]{v: c.gather(i, x, o, s, s*n0, rows, n0)}
		}
	}
	ni := len(c.f.Inputs)
	for i, m := range elementwiseMembers(c.f) {
		k := c.store[i]
		direct := k >= 0 && inner[k] == 1 && flat(1, outer[k], rows, n0)
		var y []T
		if direct {
			y = c.vals[m.ID()][off[k] : off[k]+n]
		} else {
			if c.regs[i] == nil {
				c.regs[i] = make([]T, fusedBlock)
			}
			y = c.regs[i][:n]
		}
		c.eval(m, c.args[i], y)
		if k >= 0 && !direct {
			dst, o, s, so := c.vals[m.ID()], off[k], inner[k], outer[k]
			for r := range rows {
				for j, v := range y[r*n0 : (r+1)*n0] {
					dst[o+r*so+j*s] = v
				}
			}
		}
		c.ops[ni+i] = operand[T]{v: y}
	}
	last := len(c.f.Nodes) - 1
	if c.f.Reduce != nil {
		return c.ops[c.args[last][0]].v[:n]
	}
	return c.ops[ni+last].v
}

// flat reports whether rows runs of n0 elements, s apart within a run and so from one run to
// the next, are one run of rows*n0 elements s apart.
func flat(s, so, rows, n0 int) bool { return rows == 1 || so == s*n0 }

// gather copies input i's rows x n0 elements at offset o (s apart within a run, so between
// runs) into its gather buffer, and returns them.
func (c *chainRun[T]) gather(i int, x []T, o, s, so, rows, n0 int) []T {
	if c.gathr[i] == nil {
		c.gathr[i] = make([]T, fusedBlock)
	}
	g := c.gathr[i][:rows*n0]
	for r := range rows {
		row, base := g[r*n0:(r+1)*n0], o+r*so
		switch s {
		case 0:
			fill(row, x[base])
		case 1:
			copy(row, x[base:base+n0])
		default:
			for j := range row {
				row[j] = x[base+j*s]
			}
		}
	}
	return g
}

// eval computes member m into y from its operands.
func (c *chainRun[T]) eval(m *graph.Node, args [2]int, y []T) {
	n := len(y)
	a := c.ops[args[0]]
	switch o := m.Op().(type) {
	case *graph.Unary:
		if a.scalar {
			fill(y, T(o.Fn.Apply(float64(a.v[0]))))
		} else {
			unaryRun(o.Fn, a.v, y)
		}
	case *graph.Affine:
		if a.scalar {
			fill(y, a.v[0]*T(o.Scale)+T(o.Shift))
			return
		}
		affineRun(T(o.Scale), T(o.Shift), a.v[:n], y)
	case *graph.Binary:
		b := c.ops[args[1]]
		switch {
		case !a.scalar && !b.scalar:
			binaryContiguous(o.Fn, y, a.v[:n], b.v[:n])
		case !a.scalar:
			binaryScalar(o.Fn, y, a.v[:n], b.v[0], false)
		case !b.scalar:
			binaryScalar(o.Fn, y, b.v[:n], a.v[0], true)
		default:
			fill(y, T(o.Fn.Apply(float64(a.v[0]), float64(b.v[0]))))
		}
	}
}

func fill[T float](y []T, v T) {
	for i := range y {
		y[i] = v
	}
}

// chainWalk is a strided walk over a chain's domain, possibly with its axes permuted: the
// result's strides first, then those of the chain's operands (chainOperands), axes merged where
// every operand allows.
type chainWalk struct {
	shape []int
	st    [][]int
	inner []int // each operand's stride along the innermost axis
	outer []int // each operand's stride along the next axis (the innermost's on one axis)
	// rowLen is the innermost axis's extent when a block may span several of its runs (there
	// is a next axis and the runs are at most shortRun long), else 0.
	rowLen int
}

// newChainWalk walks f's domain in the order of axes perm (nil: memory order), the result
// having strides yst over the domain.
func newChainWalk(f *graph.Fused, yst, perm []int) chainWalk {
	permute := func(v []int) []int {
		if perm == nil {
			return v
		}
		out := make([]int, len(v))
		for i, p := range perm {
			out[i] = v[p]
		}
		return out
	}
	st := [][]int{permute(yst)}
	for _, in := range chainOperands(f) {
		st = append(st, permute(graph.BroadcastStrides(in.Shape(), f.Shape)))
	}
	var w chainWalk
	w.shape, w.st = graph.CollapseStrides(permute(f.Shape), st...)
	last := len(w.shape) - 1
	w.inner = make([]int, len(w.st))
	for k := range w.st {
		w.inner[k] = w.st[k][last]
	}
	w.outer = w.inner
	if n0 := w.shape[last]; last > 0 {
		w.outer = make([]int, len(w.st))
		for k := range w.st {
			w.outer[k] = w.st[k][last-1]
		}
		if n0 <= shortRun {
			w.rowLen = n0
		}
	}
	return w
}

// unit is the length of the pieces a walk's index range is best cut into: whole runs of the
// innermost axis when blocks span several.
func (w chainWalk) unit() int { return max(1, w.rowLen) }

// walkBlocks evaluates c's chain on the walk's linear indices [lo, hi), a block at a time, and
// calls fn with the operands' offsets at each block's start (the result's first), the block of
// the value a final reduction reads (or of the last member) and the number of runs it holds. A
// block is one piece of a run of the innermost axis, or, on a walk with rowLen over a range of
// whole runs, several runs, operand k stepping outer[k] from one to the next.
func walkBlocks[T float](w chainWalk, c *chainRun[T], lo, hi int, fn func(off []int, v []T, rows int)) {
	offs := make([]int, len(w.st))
	if n0 := w.rowLen; n0 > 0 && lo%n0 == 0 && hi%n0 == 0 {
		last := len(w.shape) - 1
		rowSt := make([][]int, len(w.st))
		for k := range w.st {
			rowSt[k] = w.st[k][:last]
		}
		walk(w.shape[:last], rowSt, lo/n0, hi/n0, func(off []int, rows int) {
			copy(offs, off)
			for done := 0; done < rows; {
				r := min(fusedBlock/n0, rows-done)
				fn(offs, c.block(offs, w.inner, w.outer, r, n0), r)
				for k := range offs {
					offs[k] += r * w.outer[k]
				}
				done += r
			}
		})
		return
	}
	walk(w.shape, w.st, lo, hi, func(off []int, n int) {
		copy(offs, off)
		for done := 0; done < n; {
			b := min(fusedBlock, n-done)
			fn(offs, c.block(offs, w.inner, w.outer, 1, b), 1)
			for k := range offs {
				offs[k] += b * w.inner[k]
			}
			done += b
		}
	})
}

// runChain computes fused chain f: its last member into y and its stored members into their
// values in vals, which the caller has bound to their storage.
func runChain[T float](f *graph.Fused, vals [][]T, y []T) {
	if f.Reduce != nil {
		runReduceChain(f, vals, y)
		return
	}
	w := newChainWalk(f, contiguous(f.Shape), nil)
	u := w.unit()
	parallelFor(len(y)/u, max(elemGrain, w.shape[len(w.shape)-1])/u, func(lo, hi int) {
		walkBlocks(w, newChainRun(f, vals), lo*u, hi*u, func([]int, []T, int) {})
	})
}

// reduceChunks is the most pieces a chain's reduction over leading axes is cut into: a number fixed
// by the shape, not by the cores, so that the order of the sums is too.
const reduceChunks = 16

// runReduceChain computes a chain ending in a reduction, accumulating in float64 in an order
// fixed by the shapes alone. When the reduction covers the leading axes and keeps some others
// (per-channel sums over the batch and the pixels), the domain is walked in memory order in at
// most reduceChunks pieces along the leading axes, each into partial sums that are then added
// in piece order; otherwise the domain is walked with the kept axes outside and the reduced ones
// inside, each result's elements by one core.
func runReduceChain[T float](f *graph.Fused, vals [][]T, y []T) {
	dom := f.Shape
	lead := 1 // the extent of the leading reduced axes
	for d := 0; d < len(dom) && slices.Contains(f.Reduce.Axes, d); d++ {
		lead *= dom[d]
	}
	if chunks := min(lead, reduceChunks); chunks > 1 && lead < dom.Size() && chunks*len(y) <= dom.Size()/4 {
		runLeadingReduceChain(f, vals, y, lead, chunks)
		return
	}
	runKeptOuterReduceChain(f, vals, y)
}

// reduceStrides returns the result's strides over the domain: its kept axes in order, zero on
// the reduced ones.
func reduceStrides(dom graph.Shape, axes []int) []int {
	yst := make([]int, len(dom))
	stride := 1
	for d := len(dom) - 1; d >= 0; d-- {
		if !slices.Contains(axes, d) {
			yst[d] = stride
			stride *= dom[d]
		}
	}
	return yst
}

// finishReduce writes the reduction's results from their float64 sums.
func finishReduce[T float](f *graph.Fused, sums []float64, y []T) {
	count := float64(f.Shape.Size() / max(len(y), 1))
	for i, s := range sums {
		if f.Reduce.Fn == graph.Mean {
			s /= count
		}
		y[i] = T(s)
	}
}

// runLeadingReduceChain walks the domain in memory order, cut into chunks pieces along its
// leading lead elements (all reduced), each piece into its own partial sums.
func runLeadingReduceChain[T float](f *graph.Fused, vals [][]T, y []T, lead, chunks int) {
	w := newChainWalk(f, reduceStrides(f.Shape, f.Reduce.Axes), nil)
	rest := f.Shape.Size() / lead
	partial := make([]float64, chunks*len(y))
	squares := f.Reduce.Fn == graph.SumSquares
	parallelFor(chunks, 1, func(lo, hi int) {
		c := newChainRun(f, vals)
		for k := lo; k < hi; k++ {
			acc := partial[k*len(y) : (k+1)*len(y)]
			walkBlocks(w, c, k*lead/chunks*rest, (k+1)*lead/chunks*rest, func(off []int, v []T, rows int) {
				addRows(acc, v, rows, off[0], w.inner[0], w.outer[0], squares)
			})
		}
	})
	sums := partial[:len(y)]
	for k := 1; k < chunks; k++ {
		for i, v := range partial[k*len(y) : (k+1)*len(y)] {
			sums[i] += v
		}
	}
	finishReduce(f, sums, y)
}

// runKeptOuterReduceChain walks the domain with the kept axes outside and the reduced ones
// inside, so that each result's elements are visited in the order an unfused reduction visits
// them, and by one core.
func runKeptOuterReduceChain[T float](f *graph.Fused, vals [][]T, y []T) {
	var perm []int
	for d := range f.Shape {
		if !slices.Contains(f.Reduce.Axes, d) {
			perm = append(perm, d)
		}
	}
	w := newChainWalk(f, reduceStrides(f.Shape, f.Reduce.Axes), append(perm, f.Reduce.Axes...))
	count := f.Shape.Size() / max(len(y), 1)
	sums := make([]float64, len(y))
	squares := f.Reduce.Fn == graph.SumSquares
	parallelFor(len(y), max(1, elemGrain/max(count, 1)), func(lo, hi int) {
		// The innermost axis is reduced: each run of a block is of one result.
		walkBlocks(w, newChainRun(f, vals), lo*count, hi*count, func(off []int, v []T, rows int) {
			addRows(sums, v, rows, off[0], 0, w.outer[0], squares)
		})
	})
	finishReduce(f, sums, y)
}

// addRows adds block v, rows runs of equal length, to the float64 sums acc of the results it
// reduces into: the first at index off, then stepping inner within a run (0: the run is of one
// result) and outer from one run to the next.
func addRows[T float](acc []float64, v []T, rows, off, inner, outer int, squares bool) {
	n0 := len(v) / rows
	for r := range rows {
		run, o := v[r*n0:(r+1)*n0], off+r*outer
		if inner == 0 {
			acc[o] += blockSum(run, squares)
			continue
		}
		for j, x := range run {
			if squares {
				acc[o+j*inner] += float64(x) * float64(x)
			} else {
				acc[o+j*inner] += float64(x)
			}
		}
	}
}

// blockSum returns the sum of v, or of its squares, in float64 (through package vec for float32).
func blockSum[T float](v []T, squares bool) float64 {
	if v32, ok := any(v).([]float32); ok {
		if squares {
			return vec.SumSquares(v32)
		}
		return vec.Sum(v32)
	}
	var s float64
	for _, x := range v {
		if squares {
			s += float64(x) * float64(x)
		} else {
			s += float64(x)
		}
	}
	return s
}

package cpu

import (
	"slices"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/vec"
)

// fusedBlock is the number of elements a chain evaluates at a time: its intermediate values
// for one block stay in the first-level cache.
const fusedBlock = 512

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

// block evaluates n elements of the chain's domain at operand offsets off with inner strides
// inner, storing the stored members, and returns the block of the value a final reduction
// reads (or of the last member).
func (c *chainRun[T]) block(off, inner []int, n int) []T {
	for i, in := range c.f.Inputs {
		x, o, s := c.vals[in.ID()], off[1+i], inner[1+i]
		switch s {
		case 0:
			c.ops[i] = operand[T]{v: x[o : o+1], scalar: true}
		case 1:
			c.ops[i] = operand[T]{v: x[o : o+n]}
		default:
			if c.gathr[i] == nil {
				c.gathr[i] = make([]T, fusedBlock)
			}
			g := c.gathr[i][:n]
			for j := range g {
				g[j] = x[o+j*s]
			}
			c.ops[i] = operand[T]{v: g}
		}
	}
	ni := len(c.f.Inputs)
	for i, m := range elementwiseMembers(c.f) {
		k := c.store[i]
		var y []T
		if k >= 0 && inner[k] == 1 {
			y = c.vals[m.ID()][off[k] : off[k]+n]
		} else {
			if c.regs[i] == nil {
				c.regs[i] = make([]T, fusedBlock)
			}
			y = c.regs[i][:n]
		}
		c.eval(m, c.args[i], y)
		if k >= 0 && inner[k] != 1 {
			dst, o, s := c.vals[m.ID()], off[k], inner[k]
			for j, v := range y {
				dst[o+j*s] = v
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

// runChain computes fused chain f: its last member into y and its stored members into their
// values in vals, which the caller has bound to their storage.
func runChain[T float](f *graph.Fused, vals [][]T, y []T) {
	if f.Reduce != nil {
		runReduceChain(f, vals, y)
		return
	}
	dom := f.Shape
	st := [][]int{contiguous(dom)}
	for _, in := range chainOperands(f) {
		st = append(st, graph.BroadcastStrides(in.Shape(), dom))
	}
	shape, st := graph.CollapseStrides(dom, st...)
	last := len(shape) - 1
	inner := make([]int, len(st))
	for k := range st {
		inner[k] = st[k][last]
	}
	parallelFor(len(y), max(elemGrain, shape[last]), func(lo, hi int) {
		c := newChainRun(f, vals)
		offs := make([]int, len(st))
		walk(shape, st, lo, hi, func(off []int, n int) {
			copy(offs, off)
			for done := 0; done < n; {
				b := min(fusedBlock, n-done)
				c.block(offs, inner, b)
				for k := range offs {
					offs[k] += b * inner[k]
				}
				done += b
			}
		})
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

// runLeadingReduceChain walks the domain in memory order, cut into chunks pieces along its
// leading lead elements (all reduced), each piece into its own partial sums.
func runLeadingReduceChain[T float](f *graph.Fused, vals [][]T, y []T, lead, chunks int) {
	dom := f.Shape
	st := [][]int{reduceStrides(dom, f.Reduce.Axes)}
	for _, in := range chainOperands(f) {
		st = append(st, graph.BroadcastStrides(in.Shape(), dom))
	}
	shape, st := graph.CollapseStrides(dom, st...)
	last := len(shape) - 1
	inner := make([]int, len(st))
	for k := range st {
		inner[k] = st[k][last]
	}
	rest := dom.Size() / lead
	partial := make([]float64, chunks*len(y))
	squares := f.Reduce.Fn == graph.SumSquares
	parallelFor(chunks, 1, func(lo, hi int) {
		c := newChainRun(f, vals)
		offs := make([]int, len(st))
		for k := lo; k < hi; k++ {
			acc := partial[k*len(y) : (k+1)*len(y)]
			walk(shape, st, k*lead/chunks*rest, (k+1)*lead/chunks*rest, func(off []int, n int) {
				copy(offs, off)
				for done := 0; done < n; {
					b := min(fusedBlock, n-done)
					v := c.block(offs, inner, b)
					if inner[0] == 0 {
						acc[offs[0]] += blockSum(v, squares)
					} else {
						a := acc[offs[0] : offs[0]+b]
						for j, x := range v {
							if squares {
								a[j] += float64(x) * float64(x)
							} else {
								a[j] += float64(x)
							}
						}
					}
					for k := range offs {
						offs[k] += b * inner[k]
					}
					done += b
				}
			})
		}
	})
	count := float64(dom.Size() / max(len(y), 1))
	for i := range y {
		var s float64
		for k := range chunks {
			s += partial[k*len(y)+i]
		}
		if f.Reduce.Fn == graph.Mean {
			s /= count
		}
		y[i] = T(s)
	}
}

// runKeptOuterReduceChain walks the domain with the kept axes outside and the reduced ones
// inside, so that each result's elements are visited in the order an unfused reduction visits
// them, and by one core.
func runKeptOuterReduceChain[T float](f *graph.Fused, vals [][]T, y []T) {
	dom := f.Shape
	var perm []int
	for d := range dom {
		if !slices.Contains(f.Reduce.Axes, d) {
			perm = append(perm, d)
		}
	}
	perm = append(perm, f.Reduce.Axes...)
	permute := func(v []int) []int {
		out := make([]int, len(v))
		for i, p := range perm {
			out[i] = v[p]
		}
		return out
	}
	st := [][]int{permute(reduceStrides(dom, f.Reduce.Axes))}
	for _, in := range chainOperands(f) {
		st = append(st, permute(graph.BroadcastStrides(in.Shape(), dom)))
	}
	shape, st := graph.CollapseStrides(permute(dom), st...)
	last := len(shape) - 1
	inner := make([]int, len(st))
	for k := range st {
		inner[k] = st[k][last]
	}
	count := dom.Size() / max(len(y), 1)
	fn := f.Reduce.Fn
	parallelFor(len(y), max(1, elemGrain/max(count, 1)), func(lo, hi int) {
		c := newChainRun(f, vals)
		acc := make([]float64, hi-lo)
		offs := make([]int, len(st))
		walk(shape, st, lo*count, hi*count, func(off []int, n int) {
			copy(offs, off)
			a := &acc[off[0]-lo]
			for done := 0; done < n; {
				b := min(fusedBlock, n-done)
				*a += blockSum(c.block(offs, inner, b), fn == graph.SumSquares)
				for k := range offs {
					offs[k] += b * inner[k]
				}
				done += b
			}
		})
		for i, a := range acc {
			if fn == graph.Mean {
				a /= float64(count)
			}
			y[lo+i] = T(a)
		}
	})
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

//go:build cgo || js

package gpu

import (
	"fmt"

	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/graph"
)

// command is one step of a program: a dispatch, or a buffer clear between compute passes.
type command struct {
	pipeline *wgpu.ComputePipeline
	bind     *wgpu.BindGroup
	x, y, z  uint32
	clear    *wgpu.Buffer
	label    string // family.entry of a dispatch, "clear" of a clear
}

// program is a plan lowered to device buffers and dispatches, reused across runs.
type program struct {
	plan   *graph.Plan
	buffer []*wgpu.Buffer // by node id: the buffer holding the node's value
	owned  []*wgpu.Buffer
	cmds   []command
	// setup computes the constant steps (constantSteps): run before cmds at the first run, and
	// again whenever a run's parameters are not the bound ones.
	setup     []command
	setupDone bool
	staging   []*wgpu.Buffer
	// residents are the bound parameters the program reads in place, by feed (nil: uploaded
	// into a buffer of its own at each run).
	residents []*resident
	feedFrom  map[*graph.Node]*resident
	// places are the reductions that write in place in a concatenated output, skipCopy the
	// copies of those concatenations that are therefore not needed (placeConcats).
	places   map[*graph.Node]place
	skipCopy map[*graph.Node][]bool
	// chainScratch holds chain members written for a later segment only (scratchMembers).
	chainScratch     []scratchBuf
	chainScratchUsed int // by the chain being lowered
}

func (p *program) destroy() {
	for _, b := range p.owned {
		b.Destroy()
	}
}

const storageUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst

// maxRank is the largest rank of a strided view the kernels take (after merging axes).
const maxRank = 6

// compile allocates a plan's buffers and lowers each step to commands.
func (e *Executor) compile(p *graph.Plan) (*program, error) {
	prog := &program{plan: p, buffer: make([]*wgpu.Buffer, len(p.Graph.Nodes()))}
	fail := func(err error) (*program, error) {
		e.release(prog)
		return nil, err
	}
	newBuffer := func(label string, floats int) (*wgpu.Buffer, error) {
		size := uint64(4 * max(floats, 1))
		if size > e.d.limits.MaxStorageBufferBindingSize {
			return nil, fmt.Errorf("gpu: %s needs %d bytes, over the adapter's storage binding limit of %d",
				label, size, e.d.limits.MaxStorageBufferBindingSize)
		}
		b, err := e.d.dev.TryCreateBuffer(&wgpu.BufferDescriptor{Label: label, Size: size, Usage: storageUsage})
		if err != nil {
			return nil, fmt.Errorf("gpu: allocating %s: %w", label, err)
		}
		prog.owned = append(prog.owned, b)
		return b, nil
	}
	slots := make([]*wgpu.Buffer, len(p.SlotSize))
	for i, size := range p.SlotSize {
		b, err := newBuffer(fmt.Sprintf("slot %d", i), size)
		if err != nil {
			return fail(err)
		}
		slots[i] = b
	}
	prog.feedFrom = map[*graph.Node]*resident{}
	for _, n := range p.Feeds {
		if r := e.residentFor(n); r != nil {
			r.programs++
			prog.residents = append(prog.residents, r)
			prog.feedFrom[n] = r
			prog.buffer[n.ID()] = r.buf
			continue
		}
		b, err := newBuffer(n.LeafName(), n.Shape().Size())
		if err != nil {
			return fail(err)
		}
		prog.buffer[n.ID()] = b
	}
	for _, n := range p.Steps {
		for _, in := range n.Inputs() {
			c, ok := in.Op().(*graph.ConstOp)
			if !ok || prog.buffer[in.ID()] != nil {
				continue
			}
			b, err := e.d.dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Label: "const",
				Contents: floatBytes(c.Value.Data), Usage: storageUsage})
			if err != nil {
				return fail(fmt.Errorf("gpu: const: %w", err))
			}
			prog.owned = append(prog.owned, b)
			prog.buffer[in.ID()] = b
		}
	}
	prog.places = map[*graph.Node]place{}
	concats, skip, err := placeConcats(prog, p, newBuffer)
	if err != nil {
		return fail(err)
	}
	prog.skipCopy = skip
	constant := constantSteps(p, prog)
	for i, n := range p.Steps {
		if _, ok := n.Op().(*graph.Reshape); ok {
			prog.buffer[n.ID()] = prog.buffer[n.Inputs()[0].ID()]
			continue
		}
		prog.buffer[n.ID()] = slots[p.Slot[n.ID()]]
		if b := concats[n]; b != nil {
			prog.buffer[n.ID()] = b
		}
		if constant[i] {
			// Computed once and read by every later run: a buffer no other value shares.
			b, err := newBuffer("constant "+n.String(), n.Shape().Size())
			if err != nil {
				return fail(err)
			}
			prog.buffer[n.ID()] = b
		}
		first := len(prog.cmds)
		var err error
		switch chain := p.Chains[i]; {
		case chain == nil:
			err = e.lower(prog, n)
		case n == chain.Last(): // a chain runs at its last member, when all its inputs exist
			err = e.lowerChain(prog, chain)
		}
		if err != nil {
			return fail(fmt.Errorf("gpu: %v: %w", n, err))
		}
		if constant[i] {
			prog.setup = append(prog.setup, prog.cmds[first:]...)
			prog.cmds = prog.cmds[:first]
		}
	}
	for _, o := range p.Outputs {
		b, err := e.d.dev.TryCreateBuffer(&wgpu.BufferDescriptor{Label: "readback",
			Size: uint64(4 * o.Shape().Size()), Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
		if err != nil {
			return fail(fmt.Errorf("gpu: readback buffer: %w", err))
		}
		prog.owned = append(prog.owned, b)
		prog.staging = append(prog.staging, b)
	}
	return prog, nil
}

// dispatch appends a dispatch of family.entry with params, the family's parameter struct
// (params.go), binding bufs[i] at bindings[i] (binding 0 is the parameters' buffer).
func (e *Executor) dispatch(prog *program, family, entry string, params any, bindings []uint32,
	bufs []*wgpu.Buffer, x, y, z uint32) error {
	pipe, err := e.pipeline(family, entry)
	if err != nil {
		return err
	}
	return e.bindDispatch(prog, pipe, family+"."+entry, params, bindings, bufs, x, y, z)
}

// bindDispatch appends a dispatch of pipe (named label in errors and profiles) with params, its
// parameter struct, binding bufs[i] at bindings[i].
func (e *Executor) bindDispatch(prog *program, pipe *wgpu.ComputePipeline, label string, params any,
	bindings []uint32, bufs []*wgpu.Buffer, x, y, z uint32) error {
	maxGroups := e.d.limits.MaxComputeWorkgroupsPerDimension
	if x > maxGroups || y > maxGroups || z > maxGroups {
		return fmt.Errorf("%s: grid %dx%dx%d exceeds %d workgroups per dimension", label, x, y, z, maxGroups)
	}
	pb, err := e.d.dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Label: label + " params",
		Contents: u32Bytes(words(params)), Usage: wgpu.BufferUsageStorage})
	if err != nil {
		return fmt.Errorf("parameter buffer: %w", err)
	}
	prog.owned = append(prog.owned, pb)
	entries := []wgpu.BindGroupEntry{{Binding: 0, Buffer: pb, Size: wgpu.WholeSize}}
	for i, b := range bufs {
		entries = append(entries, wgpu.BindGroupEntry{Binding: bindings[i], Buffer: b, Size: wgpu.WholeSize})
	}
	bg, err := e.d.dev.TryCreateBindGroup(&wgpu.BindGroupDescriptor{Layout: bindGroupLayout(pipe), Entries: entries})
	if err != nil {
		return fmt.Errorf("%s bind group: %w", label, err)
	}
	prog.cmds = append(prog.cmds, command{pipeline: pipe, bind: bg, x: x, y: y, z: z, label: label})
	return nil
}

// grid spreads groups workgroups over a 2-D grid.
func (e *Executor) grid(groups int) (uint32, uint32) {
	maxX := int(e.d.limits.MaxComputeWorkgroupsPerDimension)
	x := min(max(groups, 1), maxX)
	return uint32(x), uint32((groups + x - 1) / x)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func (e *Executor) lower(prog *program, n *graph.Node) error {
	ins := n.Inputs()
	buf := func(i int) *wgpu.Buffer { return prog.buffer[ins[i].ID()] }
	y := prog.buffer[n.ID()]
	ys := n.Shape()
	xs := ins[0].Shape()
	size := ys.Size()
	gx, gy := e.grid(ceilDiv(size, 256))
	switch o := n.Op().(type) {
	case *graph.Unary:
		return e.dispatch(prog, "elementwise", "unary", elementwiseParams{N: uint32(size), Op: uint32(o.Fn)},
			[]uint32{1, 3}, []*wgpu.Buffer{buf(0), y}, gx, gy, 1)
	case *graph.Affine:
		return e.dispatch(prog, "elementwise", "affine", elementwiseParams{N: uint32(size), Scale: o.Scale, Shift: o.Shift},
			[]uint32{1, 3}, []*wgpu.Buffer{buf(0), y}, gx, gy, 1)
	case *graph.Binary:
		shape, st, err := collapse(ys, contiguous(ys), graph.BroadcastStrides(xs, ys), graph.BroadcastStrides(ins[1].Shape(), ys))
		if err != nil {
			return err
		}
		params := elementwiseParams{N: uint32(size), Op: uint32(o.Fn), Rank: uint32(len(shape)),
			Shape: pad6(shape), AStrides: pad6(st[1]), BStrides: pad6(st[2])}
		return e.dispatch(prog, "elementwise", "binary", params, []uint32{1, 2, 3},
			[]*wgpu.Buffer{buf(0), buf(1), y}, gx, gy, 1)
	case *graph.Reduce:
		return e.reduce(prog, o.Fn, buf(0), prog.placeOf(n), o.Reduction(xs))
	case *graph.AvgPool:
		return e.reduce(prog, graph.Mean, buf(0), prog.placeOf(n), o.Reduction(xs))
	case *graph.Matmul:
		return e.matmul(prog, o, n, buf(0), buf(1), y)
	case *graph.Conv2D:
		w := ins[1].Shape()
		c := convDims{nb: xs[0], ci: xs[1], h: xs[2], w: xs[3], co: w[0], kh: w[2], kw: w[3], oh: ys[2], ow: ys[3],
			geom: o.ConvGeom, group: 1}
		return e.convDispatch(prog, "conv_forward", true, c, c.co, c.nb*c.oh*c.ow, 1, buf(0), buf(1), y)
	case *graph.ConvTranspose2D:
		// The data gradient of the convolution that maps y back to x.
		w := ins[1].Shape()
		c := convDims{nb: ys[0], ci: ys[1], h: ys[2], w: ys[3], co: w[0], kh: w[2], kw: w[3], oh: xs[2], ow: xs[3],
			geom: o.ConvGeom, group: 1}
		// The direct kernel takes stride 1 only.
		return e.convDispatch(prog, "conv_backward_data", c.geom.Stride == 1, c, c.ci, c.nb*c.h*c.w, 1, buf(0), buf(1), y)
	case *graph.ConvWeightGrad:
		c := weightGradDims(o, xs, ins[1].Shape())
		return e.convDispatch(prog, "conv_weight_grad", true, c, c.co, c.ci*c.kh*c.kw, c.nb/c.group, buf(0), buf(1), y)
	case *graph.ConvWeightGradSqNorm:
		c := weightGradDims(&o.ConvWeightGrad, xs, ins[1].Shape())
		groups := c.nb / c.group
		var tiles int
		if o.Form(xs, ins[1].Shape()) == graph.NormGram {
			// The planner's choice: a workgroup per 256 pairs of the group's positions.
			positions := c.group * c.oh * c.ow
			tiles = ceilDiv(positions*positions, 256)
			partials, err := e.scratch(prog, groups*tiles)
			if err != nil {
				return err
			}
			if err := e.dispatch(prog, "normgram", "gram_sqnorm", c.geometry(), []uint32{1, 2, 3},
				[]*wgpu.Buffer{buf(0), buf(1), partials}, uint32(tiles), 1, uint32(groups)); err != nil {
				return err
			}
			return e.reduce(prog, graph.Sum, partials, prog.placeOf(n), (&graph.Reduce{Axes: []int{1}}).Reduction(graph.Shape{groups, tiles}))
		}
		tx, ty, _ := e.convLayout(c.co, c.ci*c.kh*c.kw, true)
		tiles = tx * ty
		partials, err := e.scratch(prog, groups*tiles)
		if err != nil {
			return err
		}
		if err := e.convDispatch(prog, "conv_weight_grad_sqnorm", true, c, c.co, c.ci*c.kh*c.kw, groups,
			buf(0), buf(1), partials); err != nil {
			return err
		}
		return e.reduce(prog, graph.Sum, partials, prog.placeOf(n), (&graph.Reduce{Axes: []int{1}}).Reduction(graph.Shape{groups, tiles}))
	}
	shapes := make([]graph.Shape, len(ins))
	for i, in := range ins {
		shapes[i] = in.Shape()
	}
	if copies, ok := graph.Copies(n.Op(), shapes); ok {
		written := 0
		for _, c := range copies {
			written += c.Src.Size()
		}
		if written < size {
			prog.cmds = append(prog.cmds, command{clear: y}) // Pad: zero where no copy writes
		}
		for k, c := range copies {
			if skip := prog.skipCopy[n]; skip != nil && skip[k] {
				continue // the piece's reduction wrote it in place
			}
			if err := e.copyView(prog, buf(c.Input), y, c); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("no WebGPU kernel for %s", n.Op().Kind())
}

// scratch allocates a program-owned buffer of n floats.
func (e *Executor) scratch(prog *program, n int) (*wgpu.Buffer, error) {
	b, err := e.d.dev.TryCreateBuffer(&wgpu.BufferDescriptor{Label: "scratch", Size: uint64(4 * max(n, 1)), Usage: storageUsage})
	if err != nil {
		return nil, fmt.Errorf("scratch buffer: %w", err)
	}
	prog.owned = append(prog.owned, b)
	return b, nil
}

// rowsFrom is the row length from which a reduction takes a workgroup per output rather than an
// invocation: below it, one invocation summing the row costs less than a workgroup's barriers,
// which software adapters pay dearly for (natively on SwiftShader, a 128-element row took about
// 4 ms as a workgroup and 0.2 ms as one invocation: `oodgpu perf --device gpu --kernels`).
const rowsFrom = 1024

// reduce dispatches reduction r of x into y: one workgroup per output for long rows, one
// invocation per output for short ones.
func (e *Executor) reduce(prog *program, fn graph.ReduceFn, x *wgpu.Buffer, y place, r graph.Reduction) error {
	r = r.Collapse()
	if r.Kept.Offset != 0 {
		return fmt.Errorf("reduction of a view at offset %d (the kernel reads from 0)", r.Kept.Offset)
	}
	if err := fits(r.Kept, r.Reduced); err != nil {
		return err
	}
	outs, count := r.Kept.Size(), r.Reduced.Size()
	params := reduceParams{N: uint32(outs), Op: uint32(fn), Red: reductionOf(r, y)}
	if count >= rowsFrom {
		entry := "reduce_rows"
		if fn == graph.LogSumExp {
			entry = "reduce_rows_lse"
		}
		gx, gy := e.grid(outs)
		return e.dispatch(prog, "reduce", entry, params, []uint32{1, 2}, []*wgpu.Buffer{x, y.buf}, gx, gy, 1)
	}
	gx, gy := e.grid(ceilDiv(outs, 256))
	return e.dispatch(prog, "reduce", "reduce_small", params, []uint32{1, 2}, []*wgpu.Buffer{x, y.buf}, gx, gy, 1)
}

// reductionOf is the Reduction parameters of r, a collapsed reduction that fits the kernels,
// writing to dst.
func reductionOf(r graph.Reduction, dst place) reductionParams {
	return reductionParams{
		KeptRank: uint32(len(r.Kept.Shape)), KeptShape: pad6(r.Kept.Shape), KeptStrides: pad6(r.Kept.Strides),
		ReducedRank: uint32(len(r.Reduced.Shape)), ReducedShape: pad6(r.Reduced.Shape), ReducedStrides: pad6(r.Reduced.Strides),
		Count: uint32(r.Reduced.Size()), OutOffset: uint32(dst.offset), OutStride: uint32(dst.stride),
	}
}

// copyView performs the strided copy c from x to y.
func (e *Executor) copyView(prog *program, x, y *wgpu.Buffer, c graph.Copy) error {
	c = c.Collapse()
	if err := fits(c.Src); err != nil {
		return err
	}
	n := c.Src.Size()
	params := layoutParams{N: uint32(n), Rank: uint32(len(c.Src.Shape)), Shape: pad6(c.Src.Shape),
		SrcStrides: pad6(c.Src.Strides), DstStrides: pad6(c.Dst.Strides),
		SrcOffset: uint32(c.Src.Offset), DstOffset: uint32(c.Dst.Offset)}
	gx, gy := e.grid(ceilDiv(n, 256))
	return e.dispatch(prog, "layout", "copy", params, []uint32{1, 2}, []*wgpu.Buffer{x, y}, gx, gy, 1)
}

func (e *Executor) matmul(prog *program, o *graph.Matmul, n *graph.Node, a, b, y *wgpu.Buffer) error {
	as, bs, ys := n.Inputs()[0].Shape(), n.Inputs()[1].Shape(), n.Shape()
	m, k, _, nn := o.MatmulDims(as, bs)
	batch := ys[:len(ys)-2]
	shape, st, err := collapse(batch, graph.BroadcastStrides(as[:len(as)-2], batch),
		graph.BroadcastStrides(bs[:len(bs)-2], batch), contiguous(batch))
	if err != nil {
		return err
	}
	if len(shape) > maxBatchRank {
		return fmt.Errorf("matmul with %d independent batch axes (at most %d)", len(shape), maxBatchRank)
	}
	params := matmulParams{M: uint32(m), N: uint32(nn), K: uint32(k), TransA: boolWord(o.TransA), TransB: boolWord(o.TransB),
		BatchRank: uint32(len(shape)), BatchShape: pad4(shape), AStrides: pad4(st[0]), BStrides: pad4(st[1])}
	return e.dispatch(prog, "matmul", "matmul", params, []uint32{1, 2, 3}, []*wgpu.Buffer{a, b, y},
		uint32(ceilDiv(nn, 64)), uint32(ceilDiv(m, 64)), uint32(prod(batch)))
}

// convDispatch dispatches conv.entry (its direct variant where the executor uses those and
// direct allows) for a product of m rows and n columns per group, groups groups.
func (e *Executor) convDispatch(prog *program, entry string, direct bool, c convDims, m, n, groups int,
	x, w, y *wgpu.Buffer) error {
	direct = direct && e.convSuffix != ""
	if direct {
		entry += e.convSuffix
	}
	tx, ty, cols := e.convLayout(m, n, direct)
	return e.dispatch(prog, "conv", entry, c.params(cols), []uint32{1, 2, 3},
		[]*wgpu.Buffer{x, w, y}, uint32(tx), uint32(ty), uint32(groups))
}

// convLayout is the grid of a convolution's product of m rows and n columns and the columns of
// 4x4 blocks in a workgroup: 64x64 tiles (16 columns) for the tiled kernels; for the direct ones,
// as many columns as n needs, up to all 256 invocations, so that few rows do not leave most of
// each workgroup idle.
func (e *Executor) convLayout(m, n int, direct bool) (tx, ty, cols int) {
	cols = 16
	if direct && e.convSuffix != "" {
		cols = 1
		for cols < 256 && 4*cols < n {
			cols *= 2
		}
	}
	return ceilDiv(n, 4*cols), ceilDiv(m, 4*(256/cols)), cols
}

func boolWord(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// convDims is the geometry of a convolution kernel (conv.wgsl): input [nb, ci, h, w], weight
// [co, ci, kh, kw], output [nb, co, oh, ow], and the weight gradient's group size.
type convDims struct {
	nb, ci, h, w, co, kh, kw, oh, ow int
	geom                             graph.ConvGeom
	group                            int
}

// geometry is c as kernel parameters (normgram.wgsl's Params).
func (c convDims) geometry() convGeometry {
	return convGeometry{NB: uint32(c.nb), CI: uint32(c.ci), H: uint32(c.h), W: uint32(c.w), CO: uint32(c.co),
		KH: uint32(c.kh), KW: uint32(c.kw), OH: uint32(c.oh), OW: uint32(c.ow),
		Stride: uint32(c.geom.Stride), Pad: uint32(c.geom.Pad), Group: uint32(c.group)}
}

// params is conv.wgsl's Params for c, with cols columns of blocks per workgroup (convLayout).
func (c convDims) params(cols int) convParams {
	return convParams{convGeometry: c.geometry(), Cols: uint32(cols)}
}

func weightGradDims(o *graph.ConvWeightGrad, xs, gys graph.Shape) convDims {
	return convDims{nb: xs[0], ci: xs[1], h: xs[2], w: xs[3], co: gys[1], kh: o.KH, kw: o.KW, oh: gys[2], ow: gys[3],
		geom: o.ConvGeom, group: o.GroupSize}
}

//go:build cgo || js

package gpu

import (
	"fmt"
	"slices"

	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/shaders"
)

// lowerChain lowers an element-wise chain (graph.Fused) to as few dispatches as the adapter's
// storage-buffer limit allows: consecutive members are cut into segments that each fit one
// kernel (shaders.Fused), a final reduction joining the last one. A segment writes the members
// read after it (outside the chain, or by a later segment); the others live in registers only.
func (e *Executor) lowerChain(prog *program, f *graph.Fused) error {
	member := map[*graph.Node]int{}
	for k, m := range f.Nodes {
		member[m] = k
	}
	lastReader := make([]int, len(f.Nodes))
	for j, m := range f.Nodes {
		lastReader[j] = -1
		for _, in := range m.Inputs() {
			if k, ok := member[in]; ok {
				lastReader[k] = max(lastReader[k], j)
			}
		}
	}
	prog.chainScratchUsed = 0
	// Eight storage buffers, WebGPU's default and what browsers grant, even where the adapter
	// allows more: the same chains then make the same kernels natively and in browsers, and
	// the native tests cover the cuts.
	limit := min(int(e.d.limits.MaxStorageBuffersPerShaderStage), webgpuStorageBuffers)
	for lo := 0; lo < len(f.Nodes); {
		hi := lo + 1
		for hi < len(f.Nodes) && newSegment(f, member, lastReader, lo, hi+1).chain.Bindings() <= limit {
			hi++
		}
		if err := e.lowerSegment(prog, newSegment(f, member, lastReader, lo, hi)); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// webgpuStorageBuffers is WebGPU's default limit of storage buffers per shader stage.
const webgpuStorageBuffers = 8

// segment is members [lo, hi) of a chain as one kernel.
type segment struct {
	f       *graph.Fused
	lo, hi  int
	chain   shaders.Chain
	inputs  []*graph.Node // by input binding
	outputs []*graph.Node // by output binding
	reduce  *graph.Node   // the final reduction, when the segment holds it
}

func newSegment(f *graph.Fused, member map[*graph.Node]int, lastReader []int, lo, hi int) segment {
	s := segment{f: f, lo: lo, hi: hi}
	inputIndex := map[*graph.Node]int{}
	for k := lo; k < hi; k++ {
		n := f.Nodes[k]
		if r, ok := n.Op().(*graph.Reduce); ok {
			s.reduce = n
			s.chain.Reduce, s.chain.ReduceOf, s.chain.ReduceFn = true, member[n.Inputs()[0]]-lo, uint32(r.Fn)
			continue
		}
		m := shaders.Member{Store: -1}
		switch o := n.Op().(type) {
		case *graph.Unary:
			m.Kind, m.Fn = shaders.MemberUnary, uint32(o.Fn)
		case *graph.Binary:
			m.Kind, m.Fn = shaders.MemberBinary, uint32(o.Fn)
		case *graph.Affine:
			m.Kind = shaders.MemberAffine
		}
		for _, in := range n.Inputs() {
			if j, ok := member[in]; ok && j >= lo {
				m.Args = append(m.Args, shaders.Operand{Index: j - lo})
				continue
			}
			idx, ok := inputIndex[in]
			if !ok {
				idx = len(s.inputs)
				inputIndex[in] = idx
				s.inputs = append(s.inputs, in)
			}
			m.Args = append(m.Args, shaders.Operand{Input: true, Index: idx})
		}
		if f.Stored[k] || lastReader[k] >= hi {
			m.Store = len(s.outputs)
			s.outputs = append(s.outputs, n)
		}
		s.chain.Members = append(s.chain.Members, m)
	}
	s.chain.Outputs = len(s.outputs)
	s.chain.Dense = make([]bool, len(s.inputs))
	return s
}

// lowerSegment dispatches segment s: one kernel for two or more members, the member's own kernel
// for one, and each member on its own where an output would share a buffer with an input.
func (e *Executor) lowerSegment(prog *program, s segment) error {
	members := s.f.Nodes[s.lo:s.hi]
	if len(members) == 1 || !s.distinctBuffers(prog) {
		if err := e.scratchMembers(prog, s.f, s.lo, s.hi, nil); err != nil {
			return err
		}
		for _, n := range members {
			if err := e.lower(prog, n); err != nil {
				return err
			}
		}
		return nil
	}
	domain := s.f.Shape
	strides := [][]int{contiguous(domain)}
	for _, in := range s.inputs {
		strides = append(strides, graph.BroadcastStrides(in.Shape(), domain))
	}
	shape, st, err := collapse(domain, strides...)
	if err != nil {
		return err
	}
	params := fusedParams{N: uint32(domain.Size()), Rank: uint32(len(shape)), Shape: pad6(shape)}
	for k := range s.inputs {
		s.chain.Dense[k] = slices.Equal(st[1+k], st[0])
		if !s.chain.Dense[k] { // read from offset 0 like the dense ones
			params.Views = append(params.Views, fusedView{Strides: pad6(st[1+k])})
		}
	}
	for _, n := range members {
		if a, ok := n.Op().(*graph.Affine); ok {
			params.Affine = append(params.Affine, fusedAffine{Scale: a.Scale, Shift: a.Shift})
		}
	}
	if err := e.scratchMembers(prog, s.f, s.lo, s.hi, s.outputs); err != nil {
		return err
	}
	bufs := make([]*wgpu.Buffer, 0, len(s.inputs)+len(s.outputs)+1)
	for _, n := range s.inputs {
		bufs = append(bufs, prog.buffer[n.ID()])
	}
	for _, n := range s.outputs {
		bufs = append(bufs, prog.buffer[n.ID()])
	}
	src, err := shaders.Fused(s.chain, e.tiles)
	if err != nil {
		return err
	}
	entry := "fused"
	gx, gy := e.grid(ceilDiv(domain.Size(), 256))
	if s.reduce != nil {
		r := s.reduce.Op().(*graph.Reduce).Reduction(domain).Collapse()
		if err := fits(r.Kept, r.Reduced); err != nil {
			return err
		}
		outs, count := r.Kept.Size(), r.Reduced.Size()
		dst := prog.placeOf(s.reduce)
		params.N, params.Red = uint32(outs), reductionOf(r, dst)
		bufs = append(bufs, dst.buf)
		entry = "fused_small"
		gx, gy = e.grid(ceilDiv(outs, 256))
		if count >= rowsFrom {
			entry = "fused_rows"
			gx, gy = e.grid(outs)
		}
	}
	bindings := make([]uint32, len(bufs))
	for i := range bindings {
		bindings[i] = uint32(1 + i)
	}
	pipe, err := e.generatedPipeline(src, entry)
	if err != nil {
		return err
	}
	return e.bindDispatch(prog, pipe, "fused."+entry, params, bindings, bufs, gx, gy, 1)
}

// scratchMembers gives the members of chain f in [lo, hi) that are written although nothing
// outside the chain reads them (only a later segment does; all of them when written only nil
// means all) a scratch buffer in place of their slot. The chain runs at its last member's step,
// and by then the planner may have handed such a member's slot, free since its last in-chain
// reader, to a value computed in between. Scratch buffers are shared by all chains of the
// program: a chain's k-th written member uses the k-th.
func (e *Executor) scratchMembers(prog *program, f *graph.Fused, lo, hi int, written []*graph.Node) error {
	k := prog.chainScratchUsed
	defer func() { prog.chainScratchUsed = k }()
	for i := lo; i < hi; i++ {
		n := f.Nodes[i]
		if f.Stored[i] || (written != nil && !slices.Contains(written, n)) {
			continue
		}
		size := n.Shape().Size()
		if k == len(prog.chainScratch) || prog.chainScratch[k].size < size {
			b, err := e.scratch(prog, size)
			if err != nil {
				return err
			}
			sb := scratchBuf{buf: b, size: size}
			if k == len(prog.chainScratch) {
				prog.chainScratch = append(prog.chainScratch, sb)
			} else {
				prog.chainScratch[k] = sb
			}
		}
		prog.buffer[n.ID()] = prog.chainScratch[k].buf
		k++
	}
	return nil
}

// scratchBuf is a program-owned buffer of size floats.
type scratchBuf struct {
	buf  *wgpu.Buffer
	size int
}

// distinctBuffers reports whether every output of s has a buffer of its own, shared with no
// input and no other output (WebGPU forbids binding a buffer writable and readable at once).
func (s segment) distinctBuffers(prog *program) bool {
	seen := map[*wgpu.Buffer]bool{}
	for _, n := range s.inputs {
		seen[prog.buffer[n.ID()]] = true
	}
	for _, n := range s.outputs {
		b := prog.buffer[n.ID()]
		if seen[b] {
			return false
		}
		seen[b] = true
	}
	return s.reduce == nil || !seen[prog.placeOf(s.reduce).buf]
}

// generatedPipeline returns the pipeline of entry in the generated module src, compiling the
// module once per executor.
func (e *Executor) generatedPipeline(src, entry string) (*wgpu.ComputePipeline, error) {
	key := src + "\x00" + entry
	if p := e.pipelines[key]; p != nil {
		return p, nil
	}
	m := e.modules[src]
	if m == nil {
		var err error
		m, err = e.d.dev.TryCreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: "fused.wgsl",
			WGSLSource: &wgpu.ShaderSourceWGSL{Code: src}})
		if err != nil {
			return nil, fmt.Errorf("gpu: compiling a fused chain: %w", err)
		}
		e.modules[src] = m
	}
	p, err := e.d.dev.TryCreateComputePipeline(pipelineDescriptor("fused."+entry, m, entry))
	if err != nil {
		return nil, fmt.Errorf("gpu: pipeline fused.%s: %w", entry, err)
	}
	e.pipelines[key] = p
	return p, nil
}

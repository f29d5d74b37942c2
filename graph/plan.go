package graph

import (
	"context"
	"fmt"
	"sort"
)

// Plan is a compiled schedule of a graph: the ops to run in order and a storage slot for every
// value, with slots reused once a value is dead.
type Plan struct {
	Graph *Graph
	// Steps are the non-leaf nodes needed for the outputs, in execution order.
	Steps []*Node
	// Outputs are the nodes whose values a run returns.
	Outputs []*Node
	// Slot maps a node id to its storage slot, or -1 for leaves, which executors bind to fed or
	// constant data. A Reshape shares its operand's slot (or leaf).
	Slot []int
	// SlotSize is the number of elements each slot must hold.
	SlotSize []int
	// Feeds are the inputs and parameters a run must be given, by name.
	Feeds []*Node
	// Chains holds, per step, the element-wise chain the step belongs to (see Fused), or nil.
	// An executor that fuses runs a chain at the step of its last member and skips the others;
	// one that does not runs every step. The values a chain reads stay live until its last
	// member, so both ways are correct.
	Chains []*Fused
	// live holds, per node id, the step index after which its storage may be reused.
	live []int
}

// Feeds maps input and parameter names to their values for one run.
type Feeds map[string]*Tensor

// Executor runs compiled plans. Implementations: graph/cpu (reference, pure Go) and gpu (WebGPU).
type Executor interface {
	// Name describes the executor and its device, for logs.
	Name() string
	// Run executes p with the given feeds and returns the values of p.Outputs in order.
	// Executors keep p's buffers between runs, until Forget.
	Run(ctx context.Context, p *Plan, feeds Feeds) ([]*Tensor, error)
	// Forget releases what the executor keeps for p. Whoever compiles a plan for a bounded
	// task forgets it after, so that long-lived processes (the server, the browser app) do
	// not accumulate buffers.
	Forget(p *Plan)
}

// Binder is an Executor that can keep parameter values on its device between runs (the WebGPU
// executor). Callers whose weights do not change bind them once, before their runs, and keep
// feeding the same tensors; an executor without a device (the CPU one) has nothing to bind.
type Binder interface {
	// Bind uploads params once; later runs given these very tensors read the device copies.
	// The caller must not change a bound tensor's data.
	Bind(params Feeds) error
}

// IntoRunner is an Executor that can write a plan's outputs into tensors its caller provides and
// keeps across runs (the CPU executor), instead of returning new ones each run: a caller that runs
// one plan many times (a training loop, a benchmark) then allocates and copies nothing per run.
type IntoRunner interface {
	// RunInto executes p like Run and writes the values of p.Outputs into outs, in order; each
	// must have its output's shape, and none may share memory with another or with a feed.
	RunInto(ctx context.Context, p *Plan, feeds Feeds, outs []*Tensor) error
}

// NewOutputs allocates one zeroed tensor per output of p, of its shape, for RunInto.
func NewOutputs(p *Plan) []*Tensor {
	outs := make([]*Tensor, len(p.Outputs))
	for i, o := range p.Outputs {
		outs[i] = &Tensor{Shape: append(Shape(nil), o.Shape()...), Data: make([]float32, o.Shape().Size())}
	}
	return outs
}

// CheckOutputs reports whether outs can receive p's outputs: one tensor per output, of its shape.
func (p *Plan) CheckOutputs(outs []*Tensor) error {
	if len(outs) != len(p.Outputs) {
		return fmt.Errorf("graph: %d output tensors for a plan with %d outputs", len(outs), len(p.Outputs))
	}
	for i, o := range p.Outputs {
		if outs[i] == nil || !outs[i].Shape.Equal(o.Shape()) || len(outs[i].Data) != o.Shape().Size() {
			return fmt.Errorf("graph: output %d (%v) needs a tensor of shape %v", i, o, o.Shape())
		}
	}
	return nil
}

// RunInto runs p on e and writes its outputs into outs (see IntoRunner): in place where e is an
// IntoRunner, else through Run and a copy.
func RunInto(ctx context.Context, e Executor, p *Plan, feeds Feeds, outs []*Tensor) error {
	if r, ok := e.(IntoRunner); ok {
		return r.RunInto(ctx, p, feeds, outs)
	}
	if err := p.CheckOutputs(outs); err != nil {
		return err
	}
	res, err := e.Run(ctx, p, feeds)
	if err != nil {
		return err
	}
	for i, t := range res {
		copy(outs[i].Data, t.Data)
	}
	return nil
}

// Compile orders the nodes that outputs depend on and assigns storage slots by liveness.
func Compile(g *Graph, outputs ...*Node) (*Plan, error) {
	if g.err != nil {
		return nil, fmt.Errorf("graph: cannot compile: %w", g.err)
	}
	if len(outputs) == 0 {
		return nil, fmt.Errorf("graph: compile: no outputs")
	}
	needed := make([]bool, len(g.nodes))
	for _, o := range outputs {
		if o == nil || o.g != g || o.id < 0 {
			return nil, fmt.Errorf("graph: compile: output is nil or not a node of this graph")
		}
		needed[o.id] = true
	}
	for id := len(g.nodes) - 1; id >= 0; id-- {
		if needed[id] {
			for _, in := range g.nodes[id].inputs {
				needed[in.id] = true
			}
		}
	}
	p := &Plan{Graph: g, Outputs: outputs, Slot: make([]int, len(g.nodes))}
	step := make([]int, len(g.nodes)) // node id -> step index that defines it (-1 for leaves)
	for id, n := range g.nodes {
		p.Slot[id] = -1
		step[id] = -1
		if !needed[id] {
			continue
		}
		switch n.op.(type) {
		case *InputOp, *ParamOp:
			p.Feeds = append(p.Feeds, n)
		case *ConstOp:
		default:
			step[id] = len(p.Steps)
			p.Steps = append(p.Steps, n)
		}
	}
	// Liveness, on storage roots: a reshape is a view of its operand.
	root := make([]int, len(g.nodes))
	p.live = make([]int, len(g.nodes))
	for id, n := range g.nodes {
		root[id] = id
		if _, ok := n.op.(*Reshape); ok {
			root[id] = root[n.inputs[0].id]
		}
		p.live[id] = step[id]
	}
	end := len(p.Steps)
	for _, n := range p.Steps {
		for _, in := range n.inputs {
			r := root[in.id]
			p.live[r] = max(p.live[r], step[n.id])
		}
	}
	p.Chains = fuse(p.Steps, outputs, len(g.nodes))
	for _, f := range p.Chains {
		if f == nil {
			continue
		}
		at := step[f.Last().id]
		for _, in := range f.Inputs {
			p.live[root[in.id]] = max(p.live[root[in.id]], at)
		}
	}
	for _, o := range outputs {
		p.live[root[o.id]] = end
	}
	// Slot assignment in step order: best fit among free slots, else grow the largest, else new.
	var free []int
	releaseAt := map[int][]int{}
	for i, n := range p.Steps {
		if root[n.id] != n.id {
			p.Slot[n.id] = p.Slot[root[n.id]]
			continue
		}
		size := n.shape.Size()
		slot := -1
		for k, s := range free {
			if p.SlotSize[s] >= size && (slot < 0 || p.SlotSize[s] < p.SlotSize[free[slot]]) {
				slot = k
			}
		}
		if slot < 0 && len(free) > 0 {
			slot = 0
			for k, s := range free {
				if p.SlotSize[s] > p.SlotSize[free[slot]] {
					slot = k
				}
			}
		}
		if slot >= 0 {
			s := free[slot]
			free = append(free[:slot], free[slot+1:]...)
			p.Slot[n.id] = s
			p.SlotSize[s] = max(p.SlotSize[s], size)
		} else {
			p.Slot[n.id] = len(p.SlotSize)
			p.SlotSize = append(p.SlotSize, size)
		}
		releaseAt[p.live[n.id]] = append(releaseAt[p.live[n.id]], p.Slot[n.id])
		// A value nobody reads (and that is no output) is dead right after its step.
		for _, s := range releaseAt[i] {
			free = append(free, s)
		}
		delete(releaseAt, i)
	}
	sort.Ints(free)
	return p, nil
}

// Interval returns the steps during which node n's storage is live: from the step that defines it
// (or the step that defines the value it is a view of) to its last reader, inclusive. Leaves give
// (-1, -1).
func (p *Plan) Interval(n *Node) (first, last int) {
	if p.Slot[n.id] < 0 {
		return -1, -1
	}
	r := n
	for {
		if _, ok := r.op.(*Reshape); !ok {
			break
		}
		r = r.inputs[0]
	}
	for i, s := range p.Steps {
		if s == r {
			first = i
			break
		}
	}
	return first, p.live[r.id]
}

// Bytes is the total float32 storage of the plan's slots.
func (p *Plan) Bytes() int {
	total := 0
	for _, s := range p.SlotSize {
		total += 4 * s
	}
	return total
}

// CheckFeeds validates feeds against the plan: every input and parameter the plan reads must be
// present with exactly its declared shape, and every name must exist in the graph.
func (p *Plan) CheckFeeds(feeds Feeds) error {
	for name, t := range feeds {
		n, err := p.Graph.Lookup(name)
		if err != nil {
			return fmt.Errorf("feed: %w", err)
		}
		if t == nil {
			return fmt.Errorf("feed %q: got nil, graph expects %v", name, n.shape)
		}
		if !t.Shape.Equal(n.shape) || len(t.Data) != n.shape.Size() {
			return fmt.Errorf("feed %q: got %v, graph expects %v", name, t.Shape, n.shape)
		}
	}
	for _, n := range p.Feeds {
		if _, ok := feeds[n.LeafName()]; !ok {
			return fmt.Errorf("missing feed for %v", n)
		}
	}
	return nil
}

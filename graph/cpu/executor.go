// Package cpu is the reference executor of oodgpu graphs: Go, every op on all cores, float32 GEMMs
// through package sgemm's assembly micro-kernels where the CPU has them (AVX2+FMA or AVX-512 on
// amd64, NEON on arm64; else gonum's pure-Go Sgemm), float64 ones through gonum's Dgemm. It is also the fallback when no
// WebGPU adapter is usable.
//
// Its kernels are generic over float32 and float64; runs use float32, and the package's tests run
// the same kernels in float64 for finite-difference checks.
package cpu

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/sgemm"
	"github.com/oodgpu/oodgpu/graph/cpu/shiftconv"
)

// Executor runs plans on the CPU. It is safe for concurrent use; runs are serialized, each using
// every core.
type Executor struct {
	mu    sync.Mutex
	slots map[*graph.Plan][][]float32
}

// New returns a CPU executor.
func New() *Executor {
	return &Executor{slots: map[*graph.Plan][][]float32{}}
}

// Name describes the executor.
func (e *Executor) Name() string {
	kernels := "pure Go"
	if sgemmAccelerated {
		kernels = "Go, " + sgemm.Kernel() + " GEMM"
	}
	if shiftconv.Accelerated() {
		kernels += ", " + shiftconv.Kernels() + " convolutions"
	}
	return fmt.Sprintf("cpu (%s, %d threads)", kernels, runtime.GOMAXPROCS(0))
}

// Forget drops the buffers kept for plan p.
func (e *Executor) Forget(p *graph.Plan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.slots, p)
}

// Run executes p. Feeds must hold every input and parameter the plan reads, with exactly the
// declared shapes; names that the graph does not know are an error. The outputs are new tensors,
// computed where they are returned.
func (e *Executor) Run(ctx context.Context, p *graph.Plan, feeds graph.Feeds) ([]*graph.Tensor, error) {
	outs := graph.NewOutputs(p)
	if err := e.RunInto(ctx, p, feeds, outs); err != nil {
		return nil, err
	}
	return outs, nil
}

// RunInto executes p like Run and writes its outputs into outs (see graph.IntoRunner). An output
// that a step computes (not a feed, a constant or a second view of one value) is computed in its
// tensor directly, with no copy.
func (e *Executor) RunInto(ctx context.Context, p *graph.Plan, feeds graph.Feeds, outs []*graph.Tensor) error {
	if err := p.CheckFeeds(feeds); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	if err := p.CheckOutputs(outs); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	data := make(map[string][]float32, len(feeds))
	for name, t := range feeds {
		data[name] = t.Data
	}
	into := make([][]float32, len(p.Graph.Nodes()))
	for i, o := range p.Outputs {
		if r := storageRoot(o); p.Slot[r.ID()] >= 0 && into[r.ID()] == nil {
			into[r.ID()] = outs[i].Data
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	slots := e.slots[p]
	if slots == nil {
		slots = make([][]float32, len(p.SlotSize))
		for i, s := range p.SlotSize {
			slots[i] = make([]float32, s)
		}
		e.slots[p] = slots
	}
	vals, err := execute(ctx, p, data, slots, into)
	if err != nil {
		return err
	}
	for i, o := range p.Outputs {
		if v := vals[o.ID()]; !sameStart(v, outs[i].Data) {
			copy(outs[i].Data, v)
		}
	}
	return nil
}

// storageRoot is the node whose storage n's value is: n, or for a reshape the root of its operand.
func storageRoot(n *graph.Node) *graph.Node {
	for {
		if _, ok := n.Op().(*graph.Reshape); !ok {
			return n
		}
		n = n.Inputs()[0]
	}
}

// sameStart reports whether a and b begin at the same element (a value already in place).
func sameStart[T float](a, b []T) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}

// execute runs the plan's steps with element type T. data holds the fed leaves by name; slots are
// the plan's buffers; into, indexed by node id, holds where a step's value goes instead of its
// slot (nil entries, or a nil into: the slot). It returns every node's value (views into slots,
// into and feeds).
func execute[T float](ctx context.Context, p *graph.Plan, data map[string][]T, slots [][]T, into [][]T) ([][]T, error) {
	g := p.Graph
	vals := make([][]T, len(g.Nodes()))
	for _, n := range p.Feeds {
		vals[n.ID()] = data[n.LeafName()]
	}
	for _, s := range p.Steps {
		for _, in := range s.Inputs() {
			if c, ok := in.Op().(*graph.ConstOp); ok && vals[in.ID()] == nil {
				vals[in.ID()] = convert[T](c.Value.Data)
			}
		}
	}
	for i, n := range p.Steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("cpu: run cancelled: %w", err)
		}
		if _, ok := n.Op().(*graph.Reshape); ok {
			vals[n.ID()] = vals[n.Inputs()[0].ID()]
			continue
		}
		y := slots[p.Slot[n.ID()]][:n.Shape().Size()]
		if into != nil && into[n.ID()] != nil {
			y = into[n.ID()]
		}
		chain := p.Chains[i]
		if chain != nil && chain.Last() != n {
			// Computed inside its chain, at the chain's last member; bound to its storage
			// now for when the chain stores it.
			vals[n.ID()] = y
			continue
		}
		vals[n.ID()] = y
		if chain != nil {
			runChain(chain, vals, y)
			continue
		}
		if err := kernel(n, vals, y); err != nil {
			return nil, fmt.Errorf("cpu: %v: %w", n, err)
		}
	}
	return vals, nil
}

func convert[T float](src []float32) []T {
	if v, ok := any(src).([]T); ok {
		return v
	}
	out := make([]T, len(src))
	for i, x := range src {
		out[i] = T(x)
	}
	return out
}

// kernel computes node n into y from the values of its inputs.
func kernel[T float](n *graph.Node, vals [][]T, y []T) error {
	ins := n.Inputs()
	x := vals[ins[0].ID()]
	xs := ins[0].Shape()
	ys := n.Shape()
	switch o := n.Op().(type) {
	case *graph.Unary:
		unary(o.Fn, x, y)
	case *graph.Binary:
		binary(o.Fn, x, xs, vals[ins[1].ID()], ins[1].Shape(), y, ys)
	case *graph.Affine:
		affine(T(o.Scale), T(o.Shift), x, y)
	case *graph.Reduce:
		reduce(o, x, xs, y)
	case *graph.Matmul:
		matmul(o, x, xs, vals[ins[1].ID()], ins[1].Shape(), y, ys)
	case *graph.Conv2D:
		convForward(newConvShape(xs, ins[1].Shape(), o.ConvGeom), x, vals[ins[1].ID()], y)
	case *graph.ConvTranspose2D:
		// The transposed convolution of x is the data gradient of the convolution from y to x.
		c := newConvShape(ys, ins[1].Shape(), o.ConvGeom)
		convBackwardData(c, x, vals[ins[1].ID()], y)
	case *graph.ConvWeightGrad:
		c := newConvShape(xs, graph.Shape{ins[1].Shape()[1], xs[1], o.KH, o.KW}, o.ConvGeom)
		convWeightGrad(c, x, vals[ins[1].ID()], o.GroupSize, y)
	case *graph.ConvWeightGradSqNorm:
		c := newConvShape(xs, graph.Shape{ins[1].Shape()[1], xs[1], o.KH, o.KW}, o.ConvGeom)
		convWeightGradSqNorm(c, x, vals[ins[1].ID()], o.GroupSize, o.Form(xs, ins[1].Shape()), y)
	case *graph.Upsample:
		upsample(o.Factor, x, xs, y)
	case *graph.AvgPool:
		avgPool(o.Size, x, xs, y)
	case *graph.Permute:
		permute(o, x, xs, y, ys)
	case *graph.Pad:
		pad(o, x, xs, y, ys)
	case *graph.Slice:
		slice(o, x, xs, y, ys)
	case *graph.Concat:
		parts := make([][]T, len(ins))
		shapes := make([]graph.Shape, len(ins))
		for i, in := range ins {
			parts[i], shapes[i] = vals[in.ID()], in.Shape()
		}
		concat(o.Axis, parts, shapes, y, ys)
	case *graph.SpaceToDepth:
		spaceToDepth(o.Block, x, xs, y)
	case *graph.DepthToSpace:
		depthToSpace(o.Block, x, xs, y)
	case *graph.BroadcastTo:
		broadcastTo(x, xs, y, ys)
	default:
		return fmt.Errorf("no CPU kernel for %s", n.Op().Kind())
	}
	return nil
}

// RunFloat64 executes p entirely in float64, for reference computations (finite differences,
// Jacobians) where float32 rounding would hide the quantity being checked. feeds hold every input
// and parameter by name; the outputs come back in p.Outputs order.
func (e *Executor) RunFloat64(ctx context.Context, p *graph.Plan, feeds map[string][]float64) ([][]float64, error) {
	for _, n := range p.Feeds {
		v, ok := feeds[n.LeafName()]
		if !ok {
			return nil, fmt.Errorf("cpu: missing feed for %v", n)
		}
		if len(v) != n.Shape().Size() {
			return nil, fmt.Errorf("cpu: feed %q has %d values, graph expects %v", n.LeafName(), len(v), n.Shape())
		}
	}
	slots := make([][]float64, len(p.SlotSize))
	for i, s := range p.SlotSize {
		slots[i] = make([]float64, s)
	}
	vals, err := execute(ctx, p, feeds, slots, nil)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(p.Outputs))
	for i, o := range p.Outputs {
		out[i] = append([]float64(nil), vals[o.ID()]...)
	}
	return out, nil
}

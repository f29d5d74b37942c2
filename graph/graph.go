// Package graph holds oodgpu's static computation graphs: float32 tensors in NCHW layout, a builder
// with named inputs and parameters, shape inference, symbolic reverse-mode differentiation (including
// per-sample squared gradient norms), and a planner that orders nodes and reuses buffers.
//
// A graph is built once for a given batch shape and then run many times by an Executor. Builder
// methods never panic on bad arguments: the first error is kept by the graph (see Graph.Err), later
// calls become no-ops, and Compile reports it.
//
// Batch convention: every Input has the batch on axis 0, and a node is batched when it depends on an
// Input. Parameters and constants are not batched. Per-sample gradients rely on samples being
// independent, so in that mode ops that mix the batch axis are rejected.
package graph

import (
	"fmt"
)

// Node is one value of a graph: a leaf (input, parameter, constant) or the output of an op.
type Node struct {
	g       *Graph
	id      int
	op      Op
	inputs  []*Node
	shape   Shape
	batched bool
}

// ID is the node's position in creation order, a topological order of the graph.
func (n *Node) ID() int { return n.id }

// Op is the operation that produces the node.
func (n *Node) Op() Op { return n.op }

// Inputs are the node's operands, in the op's argument order.
func (n *Node) Inputs() []*Node { return n.inputs }

// Shape is the node's inferred shape. Callers must not modify it.
func (n *Node) Shape() Shape { return n.shape }

// Batched reports whether the node depends on a graph input (and so has the batch on axis 0).
func (n *Node) Batched() bool { return n.batched }

// Graph is the owner of nodes. It is not safe for concurrent building.
type Graph struct {
	nodes  []*Node
	names  map[string]*Node
	params []*Node
	inputs []*Node
	err    error
	bad    *Node
}

// New returns an empty graph.
func New() *Graph {
	g := &Graph{names: map[string]*Node{}}
	g.bad = &Node{g: g, id: -1}
	return g
}

// Err returns the first error recorded while building, or nil.
func (g *Graph) Err() error { return g.err }

// Nodes returns all nodes in creation (topological) order.
func (g *Graph) Nodes() []*Node { return g.nodes }

// Params returns the parameter nodes in creation order.
func (g *Graph) Params() []*Node { return g.params }

// Inputs returns the input nodes in creation order.
func (g *Graph) Inputs() []*Node { return g.inputs }

// Lookup returns the input or parameter with the given name.
func (g *Graph) Lookup(name string) (*Node, error) {
	n, ok := g.names[name]
	if !ok {
		return nil, fmt.Errorf("graph: no input or parameter named %q", name)
	}
	return n, nil
}

// ParamsByName returns the parameters with the given names, in that order.
func (g *Graph) ParamsByName(names ...string) ([]*Node, error) {
	out := make([]*Node, len(names))
	for i, name := range names {
		n, err := g.Lookup(name)
		if err != nil {
			return nil, err
		}
		if _, ok := n.op.(*ParamOp); !ok {
			return nil, fmt.Errorf("graph: %q is an input, not a parameter", name)
		}
		out[i] = n
	}
	return out, nil
}

func (g *Graph) fail(err error) *Node {
	if g.err == nil {
		g.err = err
	}
	return g.bad
}

func (g *Graph) failf(format string, args ...any) *Node {
	return g.fail(fmt.Errorf(format, args...))
}

// add creates a node for op over inputs after inferring its shape.
func (g *Graph) add(op Op, inputs ...*Node) *Node {
	if g.err != nil {
		return g.bad
	}
	shapes := make([]Shape, len(inputs))
	batched := false
	for i, in := range inputs {
		if in == nil || in.g != g || in.id < 0 {
			return g.failf("graph: %s: operand %d is nil, invalid or from another graph", op.Kind(), i)
		}
		shapes[i] = in.shape
		batched = batched || in.batched
	}
	shape, err := op.inferShape(shapes)
	if err != nil {
		return g.failf("graph: %s (node %d): %w", op.Kind(), len(g.nodes), err)
	}
	n := &Node{g: g, id: len(g.nodes), op: op, inputs: inputs, shape: shape, batched: batched}
	g.nodes = append(g.nodes, n)
	return n
}

func (g *Graph) leaf(op Op, name string, shape Shape, batched bool) *Node {
	if g.err != nil {
		return g.bad
	}
	for _, d := range shape {
		if d <= 0 {
			return g.failf("graph: %s %q: dimensions must be positive, got %v", op.Kind(), name, shape)
		}
	}
	if name != "" {
		if _, dup := g.names[name]; dup {
			return g.failf("graph: name %q is already used", name)
		}
	}
	n := &Node{g: g, id: len(g.nodes), op: op, shape: shape.clone(), batched: batched}
	g.nodes = append(g.nodes, n)
	if name != "" {
		g.names[name] = n
	}
	return n
}

// InputOp is a graph input: data fed at run time, with the batch on axis 0.
type InputOp struct{ Name string }

// ParamOp is a named trainable parameter tensor: one "layer" of the paper's gradient features.
type ParamOp struct{ Name string }

// ConstOp is a constant tensor baked into the graph.
type ConstOp struct{ Value *Tensor }

// Input declares a batched input; shape[0] is the batch size.
func (g *Graph) Input(name string, shape ...int) *Node {
	if name == "" {
		return g.failf("graph: input needs a name")
	}
	if len(shape) == 0 {
		return g.failf("graph: input %q needs a batch axis", name)
	}
	n := g.leaf(&InputOp{Name: name}, name, shape, true)
	if n != g.bad {
		g.inputs = append(g.inputs, n)
	}
	return n
}

// Param declares a named parameter tensor.
func (g *Graph) Param(name string, shape ...int) *Node {
	if name == "" {
		return g.failf("graph: parameter needs a name")
	}
	n := g.leaf(&ParamOp{Name: name}, name, shape, false)
	if n != g.bad {
		g.params = append(g.params, n)
	}
	return n
}

// Const adds a constant tensor. The graph keeps t; callers must not modify it afterwards.
func (g *Graph) Const(t *Tensor) *Node {
	if t == nil || t.Shape.Size() != len(t.Data) {
		return g.failf("graph: const: nil tensor or data length does not match shape")
	}
	return g.leaf(&ConstOp{Value: t}, "", t.Shape, false)
}

// Scalar adds a constant of shape [] holding v.
func (g *Graph) Scalar(v float32) *Node { return g.Const(&Tensor{Shape: Shape{}, Data: []float32{v}}) }

func (o *InputOp) Kind() string { return "input" }
func (o *ParamOp) Kind() string { return "param" }
func (o *ConstOp) Kind() string { return "const" }

func (o *InputOp) inferShape([]Shape) (Shape, error) { return nil, fmt.Errorf("leaf") }
func (o *ParamOp) inferShape([]Shape) (Shape, error) { return nil, fmt.Errorf("leaf") }
func (o *ConstOp) inferShape([]Shape) (Shape, error) { return nil, fmt.Errorf("leaf") }

// LeafName returns the name of an input or parameter node, or "" for other nodes.
func (n *Node) LeafName() string {
	switch o := n.op.(type) {
	case *InputOp:
		return o.Name
	case *ParamOp:
		return o.Name
	}
	return ""
}

// IsLeaf reports whether the node is an input, parameter or constant.
func (n *Node) IsLeaf() bool {
	switch n.op.(type) {
	case *InputOp, *ParamOp, *ConstOp:
		return true
	}
	return false
}

// String describes the node for error messages.
func (n *Node) String() string {
	if name := n.LeafName(); name != "" {
		return fmt.Sprintf("%s %q %v", n.op.Kind(), name, n.shape)
	}
	if n.op == nil {
		return "invalid node"
	}
	return fmt.Sprintf("%s#%d %v", n.op.Kind(), n.id, n.shape)
}

package graph

import (
	"slices"
	"strings"
)

// Fused is a chain of element-wise operations (Unary, Binary, Affine), possibly ending in a sum,
// mean or sum of squares of one of them, that an executor may run as one pass over memory: each
// value is computed from its operands block by block while they are in cache, and only the
// values read outside the chain are stored (Stored). The planner finds the chains (Compile);
// executors that cannot fuse run the members one by one, as if the chain were not there (every
// member keeps its storage slot).
//
// Every member but a final reduction has the same shape, Shape: the chain's element-wise domain.
// Inputs are broadcast to it.
type Fused struct {
	// Shape is the element-wise domain.
	Shape Shape
	// Nodes are the members in execution order; each after the first reads an earlier one.
	Nodes []*Node
	// Inputs are the values the members read from outside the chain, in order of first use.
	Inputs []*Node
	// Stored says, per member, whether its value is read outside the chain (or is an output of
	// the plan), so that an executor running the chain as one pass must store it; the last
	// member's always is.
	Stored []bool
	// Reduce is the last member's op when the chain ends in a reduction, else nil.
	Reduce *Reduce
}

// Kind names the chain by its members' kinds, as "fused(add,mul,sum)".
func (f *Fused) Kind() string {
	kinds := make([]string, len(f.Nodes))
	for i, n := range f.Nodes {
		kinds[i] = n.op.Kind()
	}
	return "fused(" + strings.Join(kinds, ",") + ")"
}

// Last is the member whose value the chain produces.
func (f *Fused) Last() *Node { return f.Nodes[len(f.Nodes)-1] }

// elementwise reports whether op maps each element of its (broadcast) operands to one element of
// its result.
func elementwise(op Op) bool {
	switch op.(type) {
	case *Unary, *Binary, *Affine:
		return true
	}
	return false
}

// fusibleReduce reports whether a reduction can end a chain: one pass, accumulating each
// element once, over more than one element per result.
func fusibleReduce(n *Node) bool {
	r, ok := n.op.(*Reduce)
	if !ok || r.Fn == LogSumExp {
		return false
	}
	return n.inputs[0].shape.Size() > n.shape.Size()
}

// fuse finds the element-wise chains among steps, walking them in order. An element-wise step
// joins the chain of one of its operands when it has the chain's shape and no step outside the
// chain that comes before it reads a member (so that running the whole chain at its last member
// gives every reader its value in time); a fusible reduction of a member ends the chain. Other
// element-wise steps start a chain of their own. Chains of one member are dropped. It returns,
// per step index, the chain the step belongs to, or nil.
func fuse(steps []*Node, outputs []*Node, nodes int) []*Fused {
	index := make([]int, nodes)
	for i := range index {
		index[i] = -1
	}
	for i, n := range steps {
		index[n.id] = i
	}
	readers := make([][]int, nodes) // step indices reading each node, ascending
	for i, n := range steps {
		for _, in := range n.inputs {
			if r := readers[in.id]; len(r) == 0 || r[len(r)-1] != i {
				readers[in.id] = append(r, i)
			}
		}
	}
	chainOf := make([]*Fused, nodes)
	// joinable reports whether step i may join f: every earlier reader of a member is a member.
	joinable := func(f *Fused, i int) bool {
		for _, m := range f.Nodes {
			for _, r := range readers[m.id] {
				if r >= i {
					break
				}
				if chainOf[steps[r].id] != f {
					return false
				}
			}
		}
		return true
	}
	var all []*Fused
	for i, s := range steps {
		ew, red := elementwise(s.op), fusibleReduce(s)
		if !ew && !red {
			continue
		}
		var f *Fused
		for _, in := range s.inputs {
			c := chainOf[in.id]
			if c != nil && c.Reduce == nil && (red || s.shape.Equal(c.Shape)) && joinable(c, i) {
				f = c
				break
			}
		}
		if f == nil {
			if !ew {
				continue
			}
			f = &Fused{Shape: s.shape}
			all = append(all, f)
		}
		f.Nodes = append(f.Nodes, s)
		chainOf[s.id] = f
		if red {
			f.Reduce = s.op.(*Reduce)
		}
	}
	isOutput := make([]bool, nodes)
	for _, o := range outputs {
		isOutput[o.id] = true
	}
	chains := make([]*Fused, len(steps))
	for _, f := range all {
		if len(f.Nodes) < 2 {
			continue
		}
		f.Stored = make([]bool, len(f.Nodes))
		for k, m := range f.Nodes {
			for _, in := range m.inputs {
				if chainOf[in.id] != f && !slices.Contains(f.Inputs, in) {
					f.Inputs = append(f.Inputs, in)
				}
			}
			f.Stored[k] = isOutput[m.id] || k == len(f.Nodes)-1
			for _, r := range readers[m.id] {
				if chainOf[steps[r].id] != f {
					f.Stored[k] = true
				}
			}
			chains[index[m.id]] = f
		}
	}
	return chains
}

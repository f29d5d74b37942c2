package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// randomGraph builds a graph of n random elementwise, reduction, reshape and matmul nodes over a
// few leaves, returning some of the nodes as outputs.
func randomGraph(r *rand.Rand, n int) (*graph.Graph, []*graph.Node) {
	g := graph.New()
	w := g.Param("w", 6, 6)
	nodes := []*graph.Node{g.Input("x", 4, 6), g.Param("a", 4, 6)}
	for len(nodes) < n {
		a := nodes[r.IntN(len(nodes))]
		b := nodes[r.IntN(len(nodes))]
		var out *graph.Node
		switch r.IntN(6) {
		case 0:
			out = g.Add(a, b)
		case 1:
			out = g.Mul(a, g.Tanh(b))
		case 2:
			out = g.Matmul(a, w)
		case 3:
			out = g.Reshape(g.Exp(g.Reshape(a, 24)), 4, 6)
		case 4:
			out = g.BroadcastTo(g.Reduce(graph.Sum, a, true, 1), 4, 6)
		default:
			out = g.Concat(1, g.SliceAxis(a, 1, 0, 3), g.SliceAxis(b, 1, 3, 6))
		}
		nodes = append(nodes, out)
	}
	outs := []*graph.Node{nodes[len(nodes)-1]}
	for i := 0; i < 3; i++ {
		outs = append(outs, nodes[2+r.IntN(len(nodes)-2)])
	}
	return g, outs
}

// TestPlanNoSharedLiveBuffers checks, on random graphs and their gradients, that two values whose
// live intervals overlap never get the same slot, and that slots are actually reused.
func TestPlanNoSharedLiveBuffers(t *testing.T) {
	reused := false
	for seed := uint64(0); seed < 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		g, outs := randomGraph(r, 10+r.IntN(40))
		loss := g.Sum(outs[0])
		grads, err := g.Grad(loss, g.Params())
		if err != nil {
			t.Fatal(err)
		}
		p, err := graph.Compile(g, append(outs, grads...)...)
		if err != nil {
			t.Fatal(err)
		}
		type span struct{ first, last int }
		bySlot := map[int][]span{}
		for _, n := range p.Steps {
			if p.Slot[n.ID()] < 0 || n.Op().Kind() == "reshape" {
				continue
			}
			first, last := p.Interval(n)
			if last < first {
				t.Fatalf("seed %d: %v has interval [%d, %d]", seed, n, first, last)
			}
			s := p.Slot[n.ID()]
			for _, o := range bySlot[s] {
				if first <= o.last && o.first <= last {
					t.Fatalf("seed %d: slot %d shared by overlapping intervals [%d %d] and [%d %d]",
						seed, s, o.first, o.last, first, last)
				}
			}
			bySlot[s] = append(bySlot[s], span{first, last})
			if p.SlotSize[s] < n.Shape().Size() {
				t.Fatalf("seed %d: slot %d too small for %v", seed, s, n)
			}
			reused = reused || len(bySlot[s]) > 1
		}
		for _, o := range p.Outputs {
			if _, last := p.Interval(o); p.Slot[o.ID()] >= 0 && last != len(p.Steps) {
				t.Fatalf("seed %d: output %v released at step %d", seed, o, last)
			}
		}
	}
	if !reused {
		t.Fatal("no slot was ever reused")
	}
}

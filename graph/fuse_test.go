package graph

import (
	"fmt"
	"slices"
	"testing"
)

// chainKinds lists the plan's chains by Kind, each once, in step order.
func chainKinds(p *Plan) []string {
	var kinds []string
	for i, f := range p.Chains {
		if f != nil && f.Last() == p.Steps[i] {
			kinds = append(kinds, f.Kind())
		}
	}
	return kinds
}

func TestFuseChains(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *Graph) []*Node
		want  []string
		// stored lists, for the first chain, which members must be stored.
		stored []bool
	}{
		{
			name: "chain ending in a reduction",
			build: func(g *Graph) []*Node {
				x, c := g.Input("x", 2, 3, 4), g.Param("c", 1, 3, 1)
				return []*Node{g.Sum(g.Mul(g.Exp(x), c), 1, 2)}
			},
			want:   []string{"fused(exp,mul,sum)"},
			stored: []bool{false, false, true},
		},
		{
			name: "member read outside after the chain is stored",
			build: func(g *Graph) []*Node {
				x := g.Input("x", 2, 3)
				a := g.Exp(x)
				b := g.MulScalar(a, 2)
				return []*Node{b, g.Matmul(a, g.Param("w", 3, 3))}
			},
			want:   []string{"fused(exp,affine)"},
			stored: []bool{true, true},
		},
		{
			name: "a reader outside between the members splits the chain",
			build: func(g *Graph) []*Node {
				x := g.Input("x", 3, 3)
				a := g.Exp(x)
				m := g.Matmul(a, a)
				return []*Node{g.Add(g.Relu(a), m)}
			},
			want: []string{"fused(relu,add)"},
		},
		{
			name: "a broadcast to a larger shape starts a new chain",
			build: func(g *Graph) []*Node {
				x, y := g.Input("x", 1, 3), g.Input("y", 4, 3)
				return []*Node{g.Add(g.Exp(x), y)}
			},
			want: nil,
		},
		{
			name: "logsumexp does not end a chain",
			build: func(g *Graph) []*Node {
				x := g.Input("x", 2, 3)
				return []*Node{g.LogSumExp(g.Exp(x), 1)}
			},
			want: nil,
		},
		{
			name: "a reduction of one element per result is not fused",
			build: func(g *Graph) []*Node {
				x := g.Input("x", 2, 1)
				return []*Node{g.Sum(g.Exp(x), 1)}
			},
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := New()
			p, err := Compile(g, tc.build(g)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := chainKinds(p); !slices.Equal(got, tc.want) {
				t.Fatalf("chains %q, want %q", got, tc.want)
			}
			if tc.stored == nil {
				return
			}
			for _, f := range p.Chains {
				if f != nil {
					if !slices.Equal(f.Stored, tc.stored) {
						t.Errorf("stored %v, want %v", f.Stored, tc.stored)
					}
					break
				}
			}
		})
	}
}

// TestFuseKeepsInputsLive checks that a chain's inputs keep their storage until its last member,
// where a fusing executor reads them, even when no unfused step would read them that late.
func TestFuseKeepsInputsLive(t *testing.T) {
	g := New()
	x := g.Input("x", 4, 4)
	in := g.Exp(g.Matmul(x, x))   // a chain input computed by a step of its own
	first := g.Mul(g.Relu(x), in) // the chain reads in early ...
	a := x
	for i := range 3 { // ... then unrelated steps come that could reuse in's storage ...
		a = g.Add(g.Matmul(g.Param(fmt.Sprint("w", i), 4, 4), a), x)
	}
	out := g.Sum(g.AddScalar(first, 1), 1) // ... before the chain's last member
	p, err := Compile(g, out, a)
	if err != nil {
		t.Fatal(err)
	}
	var chain *Fused
	for _, f := range p.Chains {
		if f != nil && f.Last() == out {
			chain = f
		}
	}
	if chain == nil {
		t.Fatalf("no chain ends at the sum: %q", chainKinds(p))
	}
	last := slices.Index(p.Steps, out)
	for _, n := range chain.Inputs {
		if _, end := p.Interval(n); p.Slot[n.ID()] >= 0 && end < last {
			t.Errorf("input %v of %s is live until step %d, before the chain's last member at %d", n, chain.Kind(), end, last)
		}
	}
}

//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// chainCase is a graph whose element-wise steps the planner fuses into chains.
type chainCase struct {
	name  string
	build func(g *graph.Graph) []*graph.Node
}

func chainCases() []chainCase {
	in := func(g *graph.Graph, name string, shape ...int) *graph.Node { return g.Input(name, shape...) }
	return []chainCase{
		{"broadcast operands, middle member stored", func(g *graph.Graph) []*graph.Node {
			x, b, c := in(g, "x", 3, 5, 7), in(g, "b", 5, 1), in(g, "c", 7)
			mid := g.Tanh(g.Add(g.Mul(x, b), c))
			return []*graph.Node{g.Sub(g.Exp(mid), g.Affine(mid, 0.5, -1)), mid}
		}},
		{"more inputs than one kernel binds", func(g *graph.Graph) []*graph.Node {
			y := in(g, "x0", 4, 33)
			for k := 1; k < 12; k++ {
				y = g.Add(g.Mul(y, in(g, fmt.Sprint("x", k), 4, 33)), in(g, fmt.Sprint("s", k), 33))
			}
			return []*graph.Node{y}
		}},
		{"sum over the middle axis", func(g *graph.Graph) []*graph.Node {
			x, b := in(g, "x", 6, 130, 5), in(g, "b", 130, 1)
			return []*graph.Node{g.Reduce(graph.Sum, g.Exp(g.Sub(x, b)), false, 1)}
		}},
		{"mean over leading and trailing axes", func(g *graph.Graph) []*graph.Node {
			x := in(g, "x", 6, 9, 5)
			return []*graph.Node{g.Reduce(graph.Mean, g.Mul(g.Tanh(x), x), false, 0, 2)}
		}},
		{"sum of squares of everything, long row", func(g *graph.Graph) []*graph.Node {
			x, y := in(g, "x", 3, 700), in(g, "y", 3, 700)
			d := g.Sub(x, y)
			return []*graph.Node{g.Reduce(graph.SumSquares, g.Affine(d, 2, 0.5), false), d}
		}},
	}
}

// TestFusedChains checks chains run as generated kernels against the CPU executor, and that
// they take fewer dispatches than their members.
func TestFusedChains(t *testing.T) {
	e := executor(t)
	for i, c := range chainCases() {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			outs := c.build(g)
			p, err := graph.Compile(g, outs...)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Forget(p)
			members := 0
			for _, f := range p.Chains {
				if f != nil {
					members++
				}
			}
			if members == 0 {
				t.Fatal("the planner fused nothing: the case tests nothing")
			}
			feeds := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(uint64(i), 7)), 0.5)
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 2e-4, outs...); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Run(context.Background(), p, feeds); err != nil {
				t.Fatal(err)
			}
			prog := e.programs[p]
			fused := 0
			for _, cmd := range prog.cmds {
				if strings.HasPrefix(cmd.label, "fused.") {
					fused++
				}
			}
			if fused == 0 || len(prog.cmds) >= len(p.Steps) {
				t.Fatalf("%d dispatches (%d fused) for %d steps: the chains did not fuse", len(prog.cmds), fused, len(p.Steps))
			}
		})
	}
}

// TestConvKernelParity runs the convolution cases and the feature case on both kernel sets,
// tiled and direct, whichever the adapter would choose by itself.
func TestConvKernelParity(t *testing.T) {
	executor(t)
	for _, k := range []struct {
		name string
		conv ConvKernels
	}{{"tiled", ConvTiled}, {"direct", ConvDirect}} {
		e, err := New(Options{Conv: k.conv})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range graphtest.OpCases() {
			if !strings.HasPrefix(c.Name, "conv") {
				continue
			}
			t.Run(k.name+"/"+c.Name, func(t *testing.T) {
				g, feeds, outs, err := c.Graph(uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 2e-4, outs...); err != nil {
					t.Fatal(err)
				}
			})
		}
		t.Run(k.name+"/features", func(t *testing.T) {
			g, feeds, outs, err := graphtest.FeatureCase(6, 3, 6)
			if err != nil {
				t.Fatal(err)
			}
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, outs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

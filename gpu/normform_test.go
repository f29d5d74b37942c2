//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// TestNormFormsParity checks the per-group weight-gradient norms of convolutions whose planner
// choice is the Gram form (few positions against wide layers, as the default Glow's last level)
// and the direct form against the CPU executor, on both convolution kernel sets.
func TestNormFormsParity(t *testing.T) {
	executor(t)
	cases := []struct {
		n, ci, h, co, k, pad, group int
		want                        graph.NormForm
	}{
		{n: 2, ci: 128, h: 4, co: 128, k: 1, group: 1, want: graph.NormGram},       // Glow's 1x1 at the last level
		{n: 2, ci: 8, h: 4, co: 128, k: 3, pad: 1, group: 1, want: graph.NormGram}, // its first 3x3 there
		{n: 4, ci: 16, h: 3, co: 64, k: 3, pad: 1, group: 2, want: graph.NormGram},
		{n: 2, ci: 2, h: 9, co: 6, k: 3, pad: 1, group: 1, want: graph.NormDirect},
	}
	for _, k := range []ConvKernels{ConvTiled, ConvDirect} {
		e, err := New(Options{Conv: k})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			t.Run(fmt.Sprintf("kernels%d/%+v", k, c), func(t *testing.T) {
				g := graph.New()
				x := g.Input("x", c.n, c.ci, c.h, c.h)
				w := g.Param("w", c.co, c.ci, c.k, c.k)
				y := g.Conv2D(x, w, 1, c.pad)
				l := g.Reduce(graph.SumSquares, g.Tanh(y), false, 1, 2, 3)
				feats, err := g.GradSqNorms(l, []*graph.Node{w}, c.group)
				if err != nil {
					t.Fatal(err)
				}
				p, err := graph.Compile(g, feats)
				if err != nil {
					t.Fatal(err)
				}
				forms := 0
				for _, s := range p.Steps {
					if o, ok := s.Op().(*graph.ConvWeightGradSqNorm); ok {
						forms++
						if f := o.Form(s.Inputs()[0].Shape(), s.Inputs()[1].Shape()); f != c.want {
							t.Fatalf("planner chose %v, the case is meant for %v", f, c.want)
						}
					}
				}
				if forms != 1 {
					t.Fatalf("%d fused norms in the plan, want 1", forms)
				}
				feeds := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(uint64(i), 5)), 0.5)
				if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, feats); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

package graph_test

import (
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

func TestBuildErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *graph.Graph)
		want  string
	}{
		{"broadcast", func(g *graph.Graph) { g.Add(g.Param("a", 2, 3), g.Param("b", 4)) }, "do not broadcast"},
		{"matmul", func(g *graph.Graph) { g.Matmul(g.Param("a", 2, 3), g.Param("b", 4, 5)) }, "inner dimensions differ"},
		{"conv channels", func(g *graph.Graph) {
			g.Conv2D(g.Input("x", 1, 3, 8, 8), g.Param("w", 4, 2, 3, 3), 1, 1)
		}, "x has 3 channels, w expects 2"},
		{"conv too small", func(g *graph.Graph) {
			g.Conv2D(g.Input("x", 1, 3, 2, 2), g.Param("w", 4, 3, 5, 5), 1, 0)
		}, "does not fit"},
		{"reshape", func(g *graph.Graph) { g.Reshape(g.Param("a", 2, 3), 4, 2) }, "cannot reshape"},
		{"permute", func(g *graph.Graph) { g.Permute(g.Param("a", 2, 3), 0, 0) }, "not a permutation"},
		{"slice", func(g *graph.Graph) { g.SliceAxis(g.Param("a", 2, 3), 1, 2, 5) }, "out of range"},
		{"squeeze", func(g *graph.Graph) { g.SpaceToDepth(g.Input("x", 1, 3, 5, 4), 2) }, "divisible by 2"},
		{"duplicate name", func(g *graph.Graph) { g.Param("a", 2); g.Param("a", 3) }, `name "a" is already used`},
		{"reduce axes", func(g *graph.Graph) { g.Sum(g.Param("a", 2, 3), 2) }, "out of range"},
		{"groupnorm", func(g *graph.Graph) { g.GroupNorm(g.Input("x", 1, 6, 2, 2), 4, 1e-5) }, "divisible by 4"},
		{"grad of non-scalar", func(g *graph.Graph) {
			a := g.Param("a", 2)
			g.Grad(g.Exp(a), []*graph.Node{a})
		}, "one element"},
		{"grad wrt input", func(g *graph.Graph) {
			x := g.Input("x", 2)
			g.Grad(g.Sum(x), []*graph.Node{x})
		}, "not a parameter"},
		{"group size", func(g *graph.Graph) {
			x, w := g.Input("x", 4, 3), g.Param("w", 3)
			g.GradSqNorms(g.Sum(g.Mul(x, w), 1), []*graph.Node{w}, 3)
		}, "does not divide"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			c.build(g)
			if g.Err() == nil || !strings.Contains(g.Err().Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", g.Err(), c.want)
			}
			if _, err := graph.Compile(g, g.Nodes()[0]); err == nil {
				t.Fatal("compile of a failed graph succeeded")
			}
		})
	}
}

func TestUnknownNames(t *testing.T) {
	g := graph.New()
	g.Param("flow.0.weight", 2)
	g.Input("x", 1, 2)
	if _, err := g.ParamsByName("flow.0.weight", "flow.1.weight"); err == nil || !strings.Contains(err.Error(), `"flow.1.weight"`) {
		t.Fatalf("unknown parameter: %v", err)
	}
	if _, err := g.ParamsByName("x"); err == nil || !strings.Contains(err.Error(), "input, not a parameter") {
		t.Fatalf("input as parameter: %v", err)
	}
}

package cpu

import (
	"context"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

func TestRunFeedErrors(t *testing.T) {
	g := graph.New()
	x := g.Input("x", 2, 3)
	w := g.Param("layer.weight", 3, 4)
	y := g.Matmul(x, w)
	p, err := graph.Compile(g, y)
	if err != nil {
		t.Fatal(err)
	}
	good := graph.Feeds{"x": graph.Zeros(2, 3), "layer.weight": graph.Zeros(3, 4)}
	cases := []struct {
		name  string
		feeds graph.Feeds
		want  string
	}{
		{"unknown name", graph.Feeds{"x": good["x"], "layer.weight": good["layer.weight"], "layer.bias": graph.Zeros(4)},
			`no input or parameter named "layer.bias"`},
		{"missing", graph.Feeds{"x": good["x"]}, `missing feed for param "layer.weight"`},
		{"wrong shape", graph.Feeds{"x": good["x"], "layer.weight": graph.Zeros(4, 3)}, "got [4 3], graph expects [3 4]"},
		{"nil tensor", graph.Feeds{"x": nil, "layer.weight": good["layer.weight"]}, "got nil"},
	}
	e := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Run(context.Background(), p, c.feeds)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	out, err := e.Run(context.Background(), p, good)
	if err != nil || !out[0].Shape.Equal(graph.Shape{2, 4}) {
		t.Fatalf("good feeds: %v, %v", out, err)
	}
}

func TestRunCancelled(t *testing.T) {
	g := graph.New()
	y := g.Exp(g.Input("x", 2))
	p, err := graph.Compile(g, y)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Run(ctx, p, graph.Feeds{"x": graph.Zeros(2)}); err == nil {
		t.Fatal("cancelled run succeeded")
	}
}

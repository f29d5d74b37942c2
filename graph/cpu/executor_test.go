package cpu

import (
	"context"
	"math"
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

// TestRunInto checks that outputs written into the caller's tensors equal the float64 reference
// run's, twice over tensors holding stale values, when outputs are computed steps, views of one
// value, members of a fused chain, feeds, and one node asked for twice.
func TestRunInto(t *testing.T) {
	g := graph.New()
	x := g.Input("x", 2, 3)
	m := g.Matmul(x, g.Param("w", 3, 4))
	a := g.Exp(g.MulScalar(m, 0.1))
	b := g.Mul(a, a)
	outputs := []*graph.Node{g.Reshape(b, 8), b, a, m, x, g.Sum(b), m}
	p, err := graph.Compile(g, outputs...)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": graph.Zeros(2, 3), "w": graph.Zeros(3, 4)}
	ref := map[string][]float64{}
	for name, f := range feeds {
		for i := range f.Data {
			f.Data[i] = float32(i%5) - 1.5
		}
		ref[name] = make([]float64, len(f.Data))
		for i, v := range f.Data {
			ref[name][i] = float64(v)
		}
	}
	e := New()
	want, err := e.RunFloat64(context.Background(), p, ref)
	if err != nil {
		t.Fatal(err)
	}
	outs := graph.NewOutputs(p)
	for run := range 2 {
		for _, o := range outs {
			for i := range o.Data {
				o.Data[i] = float32(math.NaN())
			}
		}
		if err := e.RunInto(context.Background(), p, feeds, outs); err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			for j, v := range o.Data {
				if w := want[i][j]; !(math.Abs(float64(v)-w) <= 1e-5*math.Max(1, math.Abs(w))) { // NaN fails too
					t.Fatalf("run %d, output %d (%v), element %d: %g, want %g", run, i, p.Outputs[i], j, v, w)
				}
			}
		}
	}
	bad := []struct {
		name string
		outs []*graph.Tensor
		want string
	}{
		{"too few", outs[:3], "3 output tensors for a plan with 7 outputs"},
		{"wrong shape", append([]*graph.Tensor{graph.Zeros(2, 4)}, outs[1:]...), "needs a tensor of shape [8]"},
		{"nil tensor", append([]*graph.Tensor{nil}, outs[1:]...), "needs a tensor of shape [8]"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := e.RunInto(context.Background(), p, feeds, c.outs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

var (
	shared    *Executor
	sharedErr error
	once      sync.Once
)

// executor returns the test executor. Without an adapter the test skips with the reason, unless
// OODGPU_REQUIRE_GPU=1 (as in CI), where it fails.
func executor(t testing.TB) *Executor {
	t.Helper()
	once.Do(func() {
		shared, sharedErr = New(Options{})
		if sharedErr == nil {
			fmt.Fprintf(os.Stderr, "gpu tests run on %s\n", shared.Name())
		}
	})
	if sharedErr != nil {
		if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
			t.Fatalf("OODGPU_REQUIRE_GPU=1 but no WebGPU adapter: %v", sharedErr)
		}
		t.Skipf("skipping: no WebGPU adapter (%v); install mesa-vulkan-drivers for lavapipe", sharedErr)
	}
	return shared
}

// compareExecutors runs outputs of g on the CPU and the GPU executor and compares them within a
// relative tolerance.
func compareExecutors(t *testing.T, g *graph.Graph, feeds graph.Feeds, tol float64, outputs ...*graph.Node) {
	t.Helper()
	e := executor(t)
	p, err := graph.Compile(g, outputs...)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Forget(p)
	want, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		scale := 0.0
		for _, v := range want[i].Data {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for k, w := range want[i].Data {
			v := float64(got[i].Data[k])
			if d := math.Abs(v - float64(w)); d > tol*(math.Abs(float64(w))+1e-2*scale+1e-6) || math.IsNaN(v) {
				t.Fatalf("output %d (%v) element %d: gpu %g, cpu %g", i, outputs[i], k, v, w)
			}
		}
	}
}

// opCase builds a function of parameters; the parity test compares its value and its gradient
// with respect to every parameter.
type opCase struct {
	name   string
	shapes [][]int
	pos    bool // positive parameter values (log, sqrt, div)
	build  func(g *graph.Graph, x []*graph.Node) *graph.Node
}

func opCases() []opCase {
	un := func(fn graph.UnaryFn, pos bool) opCase {
		return opCase{fn.String(), [][]int{{3, 37, 11}}, pos, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return g.Unary(fn, x[0])
		}}
	}
	cases := []opCase{
		un(graph.Neg, false), un(graph.Exp, false), un(graph.Log, true), un(graph.Sqrt, true), un(graph.Square, false),
		un(graph.Abs, false), un(graph.Sigmoid, false), un(graph.Tanh, false), un(graph.Relu, false),
		un(graph.Silu, false), un(graph.Softplus, false), un(graph.LogSigmoid, false),
		{"affine", [][]int{{300}}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.Affine(x[0], -1.5, 0.25) }},
	}
	for _, fn := range []graph.BinaryFn{graph.Add, graph.Sub, graph.Mul, graph.Div} {
		for _, s := range [][2][]int{{{5, 7, 3, 9}, {1, 7, 1, 1}}, {{5, 7, 3, 9}, {9}}, {{3, 1, 5}, {1, 4, 1}}, {{257}, {257}}} {
			cases = append(cases, opCase{fmt.Sprintf("%v%v%v", fn, s[0], s[1]), [][]int{s[0], s[1]}, fn == graph.Div,
				func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.Binary(fn, x[0], x[1]) }})
		}
	}
	for _, fn := range []graph.ReduceFn{graph.Sum, graph.Mean, graph.LogSumExp, graph.SumSquares} {
		for _, axes := range [][]int{{1}, {0, 2}, {2}, nil} {
			cases = append(cases, opCase{fmt.Sprintf("%v%v", fn, axes), [][]int{{7, 130, 5}}, false,
				func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.Reduce(fn, x[0], false, axes...) }})
		}
	}
	mm := func(a, b []int, ta, tb bool) opCase {
		return opCase{fmt.Sprintf("matmul%v%v/%v%v", a, ta, b, tb), [][]int{a, b}, false,
			func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.MatmulT(x[0], x[1], ta, tb) }}
	}
	cases = append(cases, mm([]int{67, 33}, []int{33, 70}, false, false), mm([]int{33, 67}, []int{33, 70}, true, false),
		mm([]int{67, 33}, []int{70, 33}, false, true), mm([]int{3, 1, 17, 9}, []int{2, 9, 5}, false, false))
	conv := func(x, w []int, s, p int) opCase {
		return opCase{fmt.Sprintf("conv x%v w%v s%d p%d", x, w, s, p), [][]int{x, w}, false,
			func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.Conv2D(v[0], v[1], s, p) }}
	}
	cases = append(cases, conv([]int{3, 5, 9, 7}, []int{6, 5, 3, 3}, 1, 1), conv([]int{2, 3, 9, 9}, []int{5, 3, 3, 3}, 2, 1),
		conv([]int{2, 7, 5, 5}, []int{3, 7, 1, 1}, 1, 0), conv([]int{1, 70, 4, 4}, []int{66, 70, 3, 3}, 1, 1))
	cases = append(cases,
		opCase{"convtranspose", [][]int{{2, 5, 4, 3}, {5, 3, 3, 3}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			return g.ConvTranspose2D(v[0], v[1], 2, 1, 1)
		}},
		opCase{"upsample", [][]int{{2, 3, 5, 3}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.Upsample(v[0], 2) }},
		opCase{"avgpool", [][]int{{2, 3, 6, 4}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.AvgPool(v[0], 2) }},
		opCase{"permute", [][]int{{2, 3, 5, 7}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.Permute(v[0], 2, 0, 3, 1) }},
		opCase{"pad", [][]int{{2, 3, 5}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			return g.Pad(v[0], []int{0, 1, 2}, []int{1, 0, 3})
		}},
		opCase{"slice+concat", [][]int{{2, 6, 3, 3}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			p := g.Split(v[0], 1, 3)
			return g.Concat(1, g.Exp(p[2]), p[0], g.Square(p[1]))
		}},
		opCase{"squeeze", [][]int{{2, 3, 4, 6}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			return g.Tanh(g.DepthToSpace(g.Exp(g.SpaceToDepth(v[0], 2)), 2))
		}},
		opCase{"broadcast", [][]int{{3, 1, 5}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.BroadcastTo(v[0], 2, 3, 4, 5) }},
		opCase{"groupnorm", [][]int{{2, 6, 3, 5}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.GroupNorm(v[0], 3, 1e-5) }},
	)
	return cases
}

// TestKernelParity compares every op's value and the gradients of a weighted sum of it (so every
// backward kernel runs too) between the WebGPU and the CPU executor.
func TestKernelParity(t *testing.T) {
	executor(t)
	for i, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 9))
			g := graph.New()
			params := make([]*graph.Node, len(c.shapes))
			feeds := graph.Feeds{}
			for k, s := range c.shapes {
				name := fmt.Sprintf("p%d", k)
				params[k] = g.Param(name, s...)
				t := graph.Zeros(s...)
				for j := range t.Data {
					v := r.NormFloat64()
					if c.pos {
						v = 0.5 + r.Float64()
					}
					t.Data[j] = float32(v)
				}
				feeds[name] = t
			}
			y := c.build(g, params)
			w := graph.Zeros(y.Shape()...)
			for j := range w.Data {
				w.Data[j] = float32(r.NormFloat64())
			}
			grads, err := g.Grad(g.Sum(g.Mul(y, g.Const(w))), params)
			if err != nil {
				t.Fatal(err)
			}
			compareExecutors(t, g, feeds, 2e-4, append([]*graph.Node{y}, grads...)...)
		})
	}
}

// TestFeatureParity compares the per-sample and per-batch gradient features of the sample model.
func TestFeatureParity(t *testing.T) {
	executor(t)
	for _, c := range []struct{ batch, group int }{{5, 1}, {6, 3}, {4, 4}} {
		t.Run(fmt.Sprintf("B%d/group%d", c.batch, c.group), func(t *testing.T) {
			g := graph.New()
			l := graphtest.SampleModel(g, c.batch)
			feats, err := g.GradSqNorms(l, g.Params(), c.group)
			if err != nil {
				t.Fatal(err)
			}
			feeds := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(uint64(c.batch), 3)), 0.3)
			compareExecutors(t, g, feeds, 1e-3, l, feats)
		})
	}
}

// TestOneSubmitPerRun checks that a whole run, uploads to readback, is one submission.
func TestOneSubmitPerRun(t *testing.T) {
	e := executor(t)
	g := graph.New()
	l := graphtest.SampleModel(g, 3)
	feats, err := g.GradSqNorms(l, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, l, feats)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Forget(p)
	feeds := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(1, 1)), 0.3)
	for run := 0; run < 3; run++ {
		before := e.Submits()
		if _, err := e.Run(context.Background(), p, feeds); err != nil {
			t.Fatal(err)
		}
		if got := e.Submits() - before; got != 1 {
			t.Fatalf("run %d submitted %d command buffers, want 1", run, got)
		}
	}
	if len(p.Steps) < 50 {
		t.Fatalf("sample plan has only %d steps", len(p.Steps))
	}
}

// TestNoMatchingAdapter checks that an adapter selection matching nothing is an ErrNoAdapter.
func TestNoMatchingAdapter(t *testing.T) {
	executor(t)
	_, err := New(Options{Adapter: "no such adapter 42"})
	if !errors.Is(err, ErrNoAdapter) {
		t.Fatalf("got %v, want ErrNoAdapter", err)
	}
}

func TestRunRejectsBadFeeds(t *testing.T) {
	e := executor(t)
	g := graph.New()
	y := g.Exp(g.Input("x", 4))
	p, err := graph.Compile(g, y)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background(), p, graph.Feeds{"x": graph.Zeros(5)}); err == nil {
		t.Fatal("wrong shape accepted")
	}
}

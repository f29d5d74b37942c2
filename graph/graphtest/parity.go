package graphtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// OpCase is a function of parameters; parity checks compare its value and the gradients of a
// random weighted sum of it, so every forward and backward kernel runs.
type OpCase struct {
	Name     string
	Shapes   [][]int
	Positive bool // parameter values in [0.5, 1.5) (log, sqrt, division)
	Build    func(g *graph.Graph, x []*graph.Node) *graph.Node
}

// Graph builds the case with seeded parameter values: it returns the graph, its feeds and the
// outputs to compare (the value, then one gradient per parameter).
func (c OpCase) Graph(seed uint64) (*graph.Graph, graph.Feeds, []*graph.Node, error) {
	r := rand.New(rand.NewPCG(seed, 9))
	g := graph.New()
	params := make([]*graph.Node, len(c.Shapes))
	feeds := graph.Feeds{}
	for k, s := range c.Shapes {
		name := fmt.Sprintf("p%d", k)
		params[k] = g.Param(name, s...)
		t := graph.Zeros(s...)
		for j := range t.Data {
			v := r.NormFloat64()
			if c.Positive {
				v = 0.5 + r.Float64()
			}
			t.Data[j] = float32(v)
		}
		feeds[name] = t
	}
	y := c.Build(g, params)
	if err := g.Err(); err != nil {
		return nil, nil, nil, err
	}
	w := graph.Zeros(y.Shape()...)
	for j := range w.Data {
		w.Data[j] = float32(r.NormFloat64())
	}
	grads, err := g.Grad(g.Sum(g.Mul(y, g.Const(w))), params)
	if err != nil {
		return nil, nil, nil, err
	}
	return g, feeds, append([]*graph.Node{y}, grads...), nil
}

// OpCases covers every op of the graph package, forward and backward, on shapes with odd sizes
// that are not multiples of the kernels' workgroup or tile sizes.
func OpCases() []OpCase {
	un := func(fn graph.UnaryFn, pos bool) OpCase {
		return OpCase{fn.String(), [][]int{{3, 37, 11}}, pos, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return g.Unary(fn, x[0])
		}}
	}
	one := func(name string, shape []int, f func(g *graph.Graph, x *graph.Node) *graph.Node) OpCase {
		return OpCase{name, [][]int{shape}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node { return f(g, x[0]) }}
	}
	cases := []OpCase{
		un(graph.Neg, false), un(graph.Exp, false), un(graph.Log, true), un(graph.Sqrt, true), un(graph.Square, false),
		un(graph.Abs, false), un(graph.Sigmoid, false), un(graph.Tanh, false), un(graph.Relu, false),
		un(graph.Silu, false), un(graph.Softplus, false), un(graph.LogSigmoid, false),
		one("affine", []int{300}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Affine(x, -1.5, 0.25) }),
	}
	for _, fn := range []graph.BinaryFn{graph.Add, graph.Sub, graph.Mul, graph.Div} {
		for _, s := range [][2][]int{{{5, 7, 3, 9}, {1, 7, 1, 1}}, {{5, 7, 3, 9}, {9}}, {{3, 1, 5}, {1, 4, 1}}, {{257}, {257}}} {
			cases = append(cases, OpCase{fmt.Sprintf("%v%v%v", fn, s[0], s[1]), [][]int{s[0], s[1]}, fn == graph.Div,
				func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.Binary(fn, x[0], x[1]) }})
		}
	}
	for _, fn := range []graph.ReduceFn{graph.Sum, graph.Mean, graph.LogSumExp, graph.SumSquares} {
		for _, axes := range [][]int{{1}, {0, 2}, {2}, nil} {
			cases = append(cases, one(fmt.Sprintf("%v%v", fn, axes), []int{7, 130, 5},
				func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Reduce(fn, x, false, axes...) }))
		}
	}
	mm := func(a, b []int, ta, tb bool) OpCase {
		return OpCase{fmt.Sprintf("matmul%v%v/%v%v", a, ta, b, tb), [][]int{a, b}, false,
			func(g *graph.Graph, x []*graph.Node) *graph.Node { return g.MatmulT(x[0], x[1], ta, tb) }}
	}
	cases = append(cases, mm([]int{67, 33}, []int{33, 70}, false, false), mm([]int{33, 67}, []int{33, 70}, true, false),
		mm([]int{67, 33}, []int{70, 33}, false, true), mm([]int{3, 1, 17, 9}, []int{2, 9, 5}, false, false))
	conv := func(x, w []int, s, p int) OpCase {
		return OpCase{fmt.Sprintf("conv x%v w%v s%d p%d", x, w, s, p), [][]int{x, w}, false,
			func(g *graph.Graph, v []*graph.Node) *graph.Node { return g.Conv2D(v[0], v[1], s, p) }}
	}
	cases = append(cases, conv([]int{3, 5, 9, 7}, []int{6, 5, 3, 3}, 1, 1), conv([]int{2, 3, 9, 9}, []int{5, 3, 3, 3}, 2, 1),
		conv([]int{2, 7, 5, 5}, []int{3, 7, 1, 1}, 1, 0), conv([]int{1, 70, 4, 4}, []int{66, 70, 3, 3}, 1, 1))
	cases = append(cases,
		OpCase{"convtranspose", [][]int{{2, 5, 4, 3}, {5, 3, 3, 3}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			return g.ConvTranspose2D(v[0], v[1], 2, 1, 1)
		}},
		OpCase{"convtranspose s1", [][]int{{2, 5, 4, 3}, {5, 3, 3, 3}}, false, func(g *graph.Graph, v []*graph.Node) *graph.Node {
			return g.ConvTranspose2D(v[0], v[1], 1, 1, 0)
		}},
		one("upsample", []int{2, 3, 5, 3}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Upsample(x, 2) }),
		one("avgpool", []int{2, 3, 6, 4}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.AvgPool(x, 2) }),
		one("permute", []int{2, 3, 5, 7}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Permute(x, 2, 0, 3, 1) }),
		one("pad", []int{2, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			return g.Pad(x, []int{0, 1, 2}, []int{1, 0, 3})
		}),
		one("slice+concat", []int{2, 6, 3, 3}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			p := g.Split(x, 1, 3)
			return g.Concat(1, g.Exp(p[2]), p[0], g.Square(p[1]))
		}),
		one("squeeze", []int{2, 3, 4, 6}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			return g.Tanh(g.DepthToSpace(g.Exp(g.SpaceToDepth(x, 2)), 2))
		}),
		one("broadcast", []int{3, 1, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.BroadcastTo(x, 2, 3, 4, 5) }),
		one("groupnorm", []int{2, 6, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.GroupNorm(x, 3, 1e-5) }),
	)
	return append(cases, ChainCases()...)
}

// ChainCases are element-wise chains the planner fuses (graph.Fused), named "chain ...":
// broadcast operands, more operands than one GPU kernel may bind, and final reductions over
// inner, outer and all axes, short and long.
func ChainCases() []OpCase {
	many := make([][]int, 23)
	for k := range many {
		many[k] = []int{4, 33}
		if k%2 == 0 && k > 0 {
			many[k] = []int{33}
		}
	}
	return []OpCase{
		{"chain broadcast", [][]int{{3, 5, 7}, {5, 1}, {7}}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			mid := g.Tanh(g.Add(g.Mul(x[0], x[1]), x[2]))
			return g.Sub(g.Exp(mid), g.Affine(mid, 0.5, -1))
		}},
		{"chain many operands", many, false, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			y := x[0]
			for k := 1; k+1 < len(x); k += 2 {
				y = g.Add(g.Mul(y, x[k]), x[k+1])
			}
			return g.Tanh(y)
		}},
		{"chain sum axis 1", [][]int{{6, 130, 5}, {130, 1}}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return g.Reduce(graph.Sum, g.Exp(g.Sub(x[0], x[1])), false, 1)
		}},
		{"chain mean axes 0 2", [][]int{{6, 9, 5}}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return g.Reduce(graph.Mean, g.Mul(g.Tanh(x[0]), x[0]), false, 0, 2)
		}},
		{"chain segment outputs", chainSegmentShapes(), false, chainSegment},
		{"chain sumsquares all", [][]int{{3, 700}, {3, 700}}, false, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return g.Reduce(graph.SumSquares, g.Affine(g.Sub(x[0], x[1]), 2, 0.5), false)
		}},
	}
}

// FeatureCase builds the sample model with its grouped gradient features: outputs are the
// per-sample objective [batch] and the features [batch/group, J].
func FeatureCase(batch, group int, seed uint64) (*graph.Graph, graph.Feeds, []*graph.Node, error) {
	g := graph.New()
	l := SampleModel(g, batch)
	feats, err := g.GradSqNorms(l, g.Params(), group)
	if err != nil {
		return nil, nil, nil, err
	}
	return g, RandomFeeds(g, rand.New(rand.NewPCG(seed, 3)), 0.3), []*graph.Node{l, feats}, nil
}

// Compare runs outputs of g on executors got and want and checks every element within relative
// tolerance tol (relative to the element, plus 1% of the output's largest magnitude, so values
// near zero in a large output do not fail on rounding). It returns the first mismatch.
func Compare(ctx context.Context, got, want graph.Executor, g *graph.Graph, feeds graph.Feeds, tol float64,
	outputs ...*graph.Node) error {
	p, err := graph.Compile(g, outputs...)
	if err != nil {
		return err
	}
	if f, ok := got.(interface{ Forget(*graph.Plan) }); ok {
		defer f.Forget(p)
	}
	ref, err := want.Run(ctx, p, feeds)
	if err != nil {
		return fmt.Errorf("%s: %w", want.Name(), err)
	}
	res, err := got.Run(ctx, p, feeds)
	if err != nil {
		return fmt.Errorf("%s: %w", got.Name(), err)
	}
	for i := range ref {
		scale := 0.0
		for _, v := range ref[i].Data {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for k, w := range ref[i].Data {
			v := float64(res[i].Data[k])
			if d := math.Abs(v - float64(w)); d > tol*(math.Abs(float64(w))+1e-2*scale+1e-6) || math.IsNaN(v) {
				return fmt.Errorf("output %d (%v) element %d: %s gives %g, %s gives %g",
					i, outputs[i], k, got.Name(), v, want.Name(), w)
			}
		}
	}
	return nil
}

// chainSegmentShapes are the operands of chainSegment: 12 of [4, 33], then two matmul factors.
func chainSegmentShapes() [][]int {
	shapes := make([][]int, 14)
	for k := range 12 {
		shapes[k] = []int{4, 33}
	}
	shapes[12], shapes[13] = []int{4, 5}, []int{5, 33}
	return shapes
}

// chainSegment is a chain with more operands than one GPU kernel binds, whose first member is
// read again after the cut (so the GPU writes it for the later kernel), and a matmul computed
// between that last read and the chain's end: the planner may give the matmul the member's
// storage, which a GPU executor writing the member there at the chain's end would clobber.
func chainSegment(g *graph.Graph, x []*graph.Node) *graph.Node {
	first := g.Mul(x[0], x[1])
	y := first
	for k := 2; k < 8; k++ {
		y = g.Add(g.Mul(y, x[k]), x[k])
	}
	y = g.Add(y, first)
	between := g.Matmul(x[12], x[13])
	for k := 8; k < 12; k++ {
		y = g.Mul(g.Add(y, x[k]), x[k])
	}
	return g.Concat(0, between, g.Tanh(y))
}

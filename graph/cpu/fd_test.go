package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// runF64 executes plan p in float64 with the given leaf values.
func runF64(t *testing.T, p *graph.Plan, data map[string][]float64) [][]float64 {
	t.Helper()
	slots := make([][]float64, len(p.SlotSize))
	for i, s := range p.SlotSize {
		slots[i] = make([]float64, s)
	}
	vals, err := execute(context.Background(), p, data, slots, nil)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// leafSpec describes one differentiable leaf of a finite-difference case.
type leafSpec struct {
	shape []int
	// values draws the leaf's values; nil means standard normal, kept away from zero so that
	// kinks (abs, relu) are not straddled by the finite difference.
	values func(r *rand.Rand) float64
}

func normalAwayFromZero(r *rand.Rand) float64 {
	v := r.NormFloat64()
	if math.Abs(v) < 0.1 {
		v += math.Copysign(0.1, v)
	}
	return v
}

func positive(r *rand.Rand) float64 { return 0.5 + r.Float64()*1.5 }

// checkGrad builds a graph with the given leaves as parameters, takes loss = sum(out * R) for a
// random R, and compares Grad against central finite differences in float64.
func checkGrad(t *testing.T, leaves []leafSpec, build func(g *graph.Graph, x []*graph.Node) *graph.Node, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	g := graph.New()
	params := make([]*graph.Node, len(leaves))
	data := map[string][]float64{}
	for i, l := range leaves {
		name := fmt.Sprintf("p%d", i)
		params[i] = g.Param(name, l.shape...)
		vals := make([]float64, graph.Shape(l.shape).Size())
		gen := l.values
		if gen == nil {
			gen = normalAwayFromZero
		}
		for k := range vals {
			vals[k] = gen(r)
		}
		data[name] = vals
	}
	out := build(g, params)
	if err := g.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	weights := graph.Zeros(out.Shape()...)
	for k := range weights.Data {
		weights.Data[k] = float32(r.NormFloat64())
	}
	loss := g.Sum(g.Mul(out, g.Const(weights)))
	grads, err := g.Grad(loss, params)
	if err != nil {
		t.Fatalf("grad: %v", err)
	}
	full, err := graph.Compile(g, append([]*graph.Node{loss}, grads...)...)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := graph.Compile(g, loss)
	if err != nil {
		t.Fatal(err)
	}
	vals := runF64(t, full, data)
	const h = 1e-5
	for i, p := range params {
		name := p.LeafName()
		analytic := vals[grads[i].ID()]
		if len(analytic) != len(data[name]) {
			t.Fatalf("%s: gradient has %d values, parameter %d", name, len(analytic), len(data[name]))
		}
		for k := range data[name] {
			orig := data[name][k]
			data[name][k] = orig + h
			up := runF64(t, fwd, data)[loss.ID()][0]
			data[name][k] = orig - h
			down := runF64(t, fwd, data)[loss.ID()][0]
			data[name][k] = orig
			numeric := (up - down) / (2 * h)
			if diff := math.Abs(numeric - analytic[k]); diff > 1e-6+1e-5*math.Abs(numeric) {
				t.Fatalf("%s[%d] %v: analytic %.9g, finite difference %.9g", name, k, p.Shape(), analytic[k], numeric)
			}
		}
	}
}

// oddShape draws a dimension in [lo, hi], usually odd.
func oddDim(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func TestUnaryGradients(t *testing.T) {
	fns := []struct {
		fn     graph.UnaryFn
		values func(*rand.Rand) float64
	}{
		{graph.Neg, nil}, {graph.Exp, nil}, {graph.Log, positive}, {graph.Sqrt, positive},
		{graph.Square, nil}, {graph.Abs, nil}, {graph.Sigmoid, nil}, {graph.Tanh, nil},
		{graph.Relu, nil}, {graph.Silu, nil}, {graph.Softplus, nil}, {graph.LogSigmoid, nil},
	}
	for i, c := range fns {
		t.Run(c.fn.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 1))
			shape := []int{oddDim(r, 1, 3), oddDim(r, 2, 5), oddDim(r, 1, 7)}
			checkGrad(t, []leafSpec{{shape, c.values}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
				return g.Unary(c.fn, x[0])
			}, uint64(i))
		})
	}
}

func TestBinaryGradients(t *testing.T) {
	shapes := [][2][]int{
		{{3, 5}, {3, 5}},
		{{2, 3, 4, 5}, {1, 3, 1, 1}},
		{{2, 3, 4, 5}, {5}},
		{{3, 1, 5}, {1, 4, 1}},
		{{7}, {}},
		{{1, 3}, {5, 1}},
	}
	for _, fn := range []graph.BinaryFn{graph.Add, graph.Sub, graph.Mul, graph.Div} {
		for i, s := range shapes {
			t.Run(fmt.Sprintf("%v/%v%v", fn, s[0], s[1]), func(t *testing.T) {
				second := leafSpec{shape: s[1]}
				if fn == graph.Div {
					second.values = positive
				}
				checkGrad(t, []leafSpec{{shape: s[0]}, second}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
					return g.Binary(fn, x[0], x[1])
				}, uint64(i))
			})
		}
	}
}

func TestAffineGradients(t *testing.T) {
	checkGrad(t, []leafSpec{{shape: []int{3, 5}}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
		return g.AddScalar(g.MulScalar(g.Affine(x[0], -1.5, 0.25), 3), 2)
	}, 1)
}

func TestReduceGradients(t *testing.T) {
	for _, fn := range []graph.ReduceFn{graph.Sum, graph.Mean, graph.LogSumExp, graph.SumSquares} {
		for i, axes := range [][]int{nil, {0}, {1}, {-1}, {0, 2}, {1, 2}} {
			for _, keep := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%v/keep=%v", fn, axes, keep), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(i), 3))
					shape := []int{oddDim(r, 1, 3), oddDim(r, 2, 5), oddDim(r, 1, 5)}
					checkGrad(t, []leafSpec{{shape: shape}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
						return g.Reduce(fn, x[0], keep, axes...)
					}, uint64(i))
				})
			}
		}
	}
}

func TestMatmulGradients(t *testing.T) {
	cases := []struct {
		a, b   []int
		ta, tb bool
	}{
		{[]int{3, 4}, []int{4, 5}, false, false},
		{[]int{4, 3}, []int{4, 5}, true, false},
		{[]int{3, 4}, []int{5, 4}, false, true},
		{[]int{4, 3}, []int{5, 4}, true, true},
		{[]int{2, 3, 4}, []int{4, 5}, false, false},
		{[]int{3, 1, 3, 4}, []int{2, 4, 5}, false, false},
		{[]int{1, 7}, []int{2, 7, 3}, false, false},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%v%v/%v%v", c.a, c.ta, c.b, c.tb), func(t *testing.T) {
			checkGrad(t, []leafSpec{{shape: c.a}, {shape: c.b}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
				return g.MatmulT(x[0], x[1], c.ta, c.tb)
			}, uint64(i))
		})
	}
}

func TestConvGradients(t *testing.T) {
	cases := []struct {
		x, w        []int
		stride, pad int
	}{
		{[]int{2, 3, 5, 7}, []int{4, 3, 3, 3}, 1, 1},
		{[]int{1, 2, 7, 5}, []int{3, 2, 3, 3}, 2, 1},
		{[]int{2, 3, 6, 6}, []int{2, 3, 3, 3}, 2, 0},
		{[]int{3, 5, 3, 5}, []int{4, 5, 1, 1}, 1, 0},
		{[]int{2, 3, 5, 5}, []int{2, 3, 1, 1}, 2, 0},
		{[]int{1, 2, 4, 4}, []int{3, 2, 1, 1}, 1, 1},
		// Fewer output than input channels: the data gradient runs as a flipped convolution.
		{[]int{2, 5, 5, 7}, []int{2, 5, 3, 3}, 1, 1},
		{[]int{1, 4, 6, 5}, []int{3, 4, 3, 3}, 1, 0},
		{[]int{1, 3, 6, 6}, []int{1, 3, 5, 5}, 1, 2},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("x%v/w%v/s%d/p%d", c.x, c.w, c.stride, c.pad), func(t *testing.T) {
			checkGrad(t, []leafSpec{{shape: c.x}, {shape: c.w}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
				return g.Conv2D(x[0], x[1], c.stride, c.pad)
			}, uint64(i))
		})
	}
}

func TestConvTransposeGradients(t *testing.T) {
	cases := []struct {
		x, w                []int
		stride, pad, outPad int
	}{
		{[]int{2, 3, 3, 5}, []int{3, 4, 3, 3}, 1, 1, 0},
		{[]int{1, 2, 3, 3}, []int{2, 3, 2, 2}, 2, 0, 0},
		{[]int{2, 2, 3, 4}, []int{2, 3, 3, 3}, 2, 1, 1},
		{[]int{1, 4, 5, 3}, []int{4, 2, 1, 1}, 1, 0, 0},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("x%v/w%v/s%d/p%d/o%d", c.x, c.w, c.stride, c.pad, c.outPad), func(t *testing.T) {
			checkGrad(t, []leafSpec{{shape: c.x}, {shape: c.w}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
				return g.ConvTranspose2D(x[0], x[1], c.stride, c.pad, c.outPad)
			}, uint64(i))
		})
	}
}

func TestLayoutGradients(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		build func(g *graph.Graph, x *graph.Node) *graph.Node
	}{
		{"upsample", []int{2, 3, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Upsample(x, 2) }},
		{"avgpool", []int{2, 3, 6, 4}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.AvgPool(x, 2) }},
		{"reshape", []int{2, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Reshape(x, 5, -1) }},
		{"permute", []int{2, 3, 5, 1}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Permute(x, 2, 0, 3, 1) }},
		{"transpose", []int{3, 4}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.Transpose(x) }},
		{"pad", []int{2, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			return g.Pad(x, []int{0, 1, 2}, []int{1, 0, 3})
		}},
		{"slice", []int{3, 5, 7}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			return g.Slice(x, []int{1, 0, 2}, []int{3, 4, 7})
		}},
		{"split+concat", []int{2, 6, 3, 3}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			p := g.Split(x, 1, 3)
			return g.Concat(1, g.Exp(p[2]), p[0], g.Square(p[1]), p[0])
		}},
		{"concat-last", []int{2, 3}, func(g *graph.Graph, x *graph.Node) *graph.Node {
			return g.Concat(-1, x, g.Tanh(x))
		}},
		{"spacetodepth", []int{2, 3, 4, 6}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.SpaceToDepth(x, 2) }},
		{"depthtospace", []int{2, 8, 3, 1}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.DepthToSpace(x, 2) }},
		{"broadcast", []int{3, 1, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.BroadcastTo(x, 2, 3, 4, 5) }},
		{"groupnorm", []int{2, 6, 3, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.GroupNorm(x, 3, 1e-5) }},
		{"diag", []int{5, 5}, func(g *graph.Graph, x *graph.Node) *graph.Node { return g.LogAbs(g.Diag(x)) }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGrad(t, []leafSpec{{shape: c.shape}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
				return c.build(g, x[0])
			}, uint64(i))
		})
	}
}

// TestSqueezeRoundTrip checks that DepthToSpace inverts SpaceToDepth and that the channel order
// is Glow's: output channel c*4 + i*2 + j holds pixel (2h+i, 2w+j).
func TestSqueezeRoundTrip(t *testing.T) {
	g := graph.New()
	x := g.Input("x", 2, 3, 4, 6)
	s := g.SpaceToDepth(x, 2)
	back := g.DepthToSpace(s, 2)
	p, err := graph.Compile(g, s, back)
	if err != nil {
		t.Fatal(err)
	}
	in := graph.Zeros(2, 3, 4, 6)
	for i := range in.Data {
		in.Data[i] = float32(i)
	}
	out, err := New().Run(context.Background(), p, graph.Feeds{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Data {
		if out[1].Data[i] != in.Data[i] {
			t.Fatalf("round trip differs at %d", i)
		}
	}
	// channel c=1, i=1, j=0 at (h=1, w=2) comes from pixel (3, 4) of channel 1.
	got := out[0].Data[((0*12+1*4+1*2+0)*2+1)*3+2]
	want := in.Data[(0*3+1)*24+3*6+4]
	if got != want {
		t.Fatalf("squeeze order: got %v, want %v", got, want)
	}
}

// TestLUInvertibleConvGradients differentiates the LU-parameterized weight of Glow's invertible
// 1x1 convolution, W = P (L*mask + I) (U*mask' + diag(sign*exp(logs))), together with its
// log-determinant sum(logs), through the convolution.
func TestLUInvertibleConvGradients(t *testing.T) {
	const c = 4
	checkGrad(t, []leafSpec{{shape: []int{2, c, 3, 3}}, {shape: []int{c, c}}, {shape: []int{c, c}}, {shape: []int{c}}},
		func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return graphtest.LUConv(g, x[0], x[1], x[2], x[3], c)
		}, 11)
}

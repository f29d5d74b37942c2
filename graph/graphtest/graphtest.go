// Package graphtest holds graphs and data shared by the executors' tests: a small model that
// exercises every way a parameter meets batched data, and seeded random feeds.
package graphtest

import (
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// SampleChannels is the channel count inside SampleModel.
const SampleChannels = 16

// SampleModel builds a small network over an input "x" [batch, 3, 6, 6] that uses every way a
// parameter can meet batched data: a convolution weight used once (fused norm), one used twice,
// ActNorm-style broadcast scale and bias, Glow's LU-parameterized 1x1 convolution (a
// parameter-only path), a transposed convolution, group norm, a dense layer, a log-determinant
// added to every sample, and one unused parameter. It returns the per-sample objective [batch].
func SampleModel(g *graph.Graph, batch int) *graph.Node {
	const c = SampleChannels
	x := g.Input("x", batch, 3, 6, 6)
	h := g.Conv2D(x, g.Param("conv1.weight", 4, 3, 3, 3), 1, 1)
	h = g.Add(g.Mul(h, g.Param("actnorm.scale", 1, 4, 1, 1)), g.Param("actnorm.bias", 1, 4, 1, 1))
	h = g.Silu(h)
	h = g.SpaceToDepth(h, 2) // [B 16 3 3]
	logs := g.Param("inv.logs", c)
	h = LUConv(g, h, g.Param("inv.lower", c, c), g.Param("inv.upper", c, c), logs, c)
	shared := g.Param("shared.weight", c, c, 3, 3)
	h = g.Conv2D(g.Tanh(g.Conv2D(h, shared, 1, 1)), shared, 1, 1)
	h = g.GroupNorm(h, 4, 1e-5)
	h = g.ConvTranspose2D(h, g.Param("up.weight", c, 4, 2, 2), 2, 0, 0) // [B 4 6 6]
	h = g.Reshape(g.AvgPool(h, 2), batch, 36)
	h = g.Tanh(g.Add(g.Matmul(h, g.Param("dense.weight", 36, 5)), g.Param("dense.bias", 5)))
	g.Param("unused", 3)
	l := g.Sum(g.LogSigmoid(h), 1)
	return g.Add(l, g.Sum(logs))
}

// LUConv applies Glow's LU-parameterized 1x1 convolution, W = P (L*mask + I)
// (U*mask' + diag(sign*exp(logs))), to x [N c H W], and adds the log-determinant H*W*sum(logs)
// to every output, so that both paths of the parameters are exercised.
func LUConv(g *graph.Graph, x, lower, upper, logs *graph.Node, c int) *graph.Node {
	perm := graph.Zeros(c, c)
	for i := 0; i < c; i++ {
		perm.Data[i*c+(i+1)%c] = 1
	}
	sign := graph.Zeros(c)
	for i := range sign.Data {
		sign.Data[i] = float32(1 - 2*(i%2))
	}
	l := g.Add(g.Mul(lower, g.TriangularMask(c, false)), g.Eye(c))
	u := g.Add(g.Mul(upper, g.TriangularMask(c, true)), g.DiagMatrix(g.Mul(g.Const(sign), g.Exp(logs))))
	w := g.Matmul(g.Const(perm), g.Matmul(l, u))
	y := g.Conv2D(x, g.Reshape(w, c, c, 1, 1), 1, 0)
	logdet := g.MulScalar(g.Sum(logs), float32(x.Shape()[2]*x.Shape()[3]))
	return g.Add(y, logdet)
}

// RandomFeeds draws seeded values for every input and parameter of g: parameters normal with
// standard deviation scale, inputs uniform in [-0.5, 0.5).
func RandomFeeds(g *graph.Graph, r *rand.Rand, scale float64) graph.Feeds {
	feeds := graph.Feeds{}
	for _, n := range g.Inputs() {
		t := graph.Zeros(n.Shape()...)
		for i := range t.Data {
			t.Data[i] = float32(r.Float64() - 0.5)
		}
		feeds[n.LeafName()] = t
	}
	for _, n := range g.Params() {
		t := graph.Zeros(n.Shape()...)
		for i := range t.Data {
			t.Data[i] = float32(scale * r.NormFloat64())
		}
		feeds[n.LeafName()] = t
	}
	return feeds
}

// BuiltSizes builds a model at batch 1 and at batch 2 and returns its parameter count and the
// values of its largest activation of one image: the largest node whose size doubles from batch
// 1 to batch 2. Model tests check their configurations' size estimates against it.
func BuiltSizes(build func(g *graph.Graph, batch int) error) (params, activation int, err error) {
	one, two := graph.New(), graph.New()
	if err := build(one, 1); err != nil {
		return 0, 0, err
	}
	if err := build(two, 2); err != nil {
		return 0, 0, err
	}
	for _, p := range one.Params() {
		params += p.Shape().Size()
	}
	for i, v := range one.Nodes() {
		if s := v.Shape().Size(); two.Nodes()[i].Shape().Size() == 2*s {
			activation = max(activation, s)
		}
	}
	return params, activation, nil
}

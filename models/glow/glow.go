package glow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// Net is a Glow's forward graph for one batch size.
type Net struct {
	Config Config
	// X is the input "x" [B C H W]: dequantized pixels scaled to [-0.5, 0.5).
	X *graph.Node
	// LogLik is the per-image log-likelihood of the discrete data in nats [B]:
	// log p(z) + log|det dz/dx| - D log(bins).
	LogLik *graph.Node
	// BitsPerDim is -LogLik / (D ln 2) [B].
	BitsPerDim *graph.Node
	// LogDet is the per-image log|det dz/dx| [B].
	LogDet *graph.Node
	// Latents are the factored-out z of each split and the top, in order, each [B ...].
	Latents []*graph.Node
	// ActNorms are the ActNorm layers in forward order, for data-dependent initialization.
	ActNorms []ActNorm
	// InvConvs name the LU parameters of each invertible 1x1 convolution and its fixed
	// permutation, for inversion.
	InvConvs []InvConv
}

// ActNorm is one ActNorm layer: y = (x + bias) * exp(logs) per channel.
type ActNorm struct {
	Bias, Logs string      // parameter names
	Input      *graph.Node // the layer's input [B C H W]
	// mean and variance are the input's per-channel batch statistics [C], in a graph built for
	// data-dependent initialization (see DataInit).
	mean, variance *graph.Node
}

// InvConv is one LU-parameterized invertible 1x1 convolution W = P (L + I) (U + diag(exp(logs))).
type InvConv struct {
	Lower, Upper, Logs string // parameter names
	Perm               []int  // P[i][Perm[i]] = 1
}

// builder carries the state of one graph construction.
type builder struct {
	g      *graph.Graph
	cfg    Config
	batch  int
	net    *Net
	logdet *graph.Node // [B]
	logp   *graph.Node // [B]
	// dataInit builds every ActNorm as the normalization of its input by the input's own batch
	// statistics: what it computes once DataInit has set it from them.
	dataInit bool
}

// Build appends the Glow log-likelihood graph for a batch of the given size to g, reading the
// input "x".
func Build(g *graph.Graph, cfg Config, batch int) (*Net, error) {
	return BuildOn(g, cfg, g.Input("x", batch, cfg.Channels, cfg.Size, cfg.Size))
}

// BuildOn appends the Glow log-likelihood graph of the value x [B C H W], which may be computed
// (for example the inverse of a change of representation).
func BuildOn(g *graph.Graph, cfg Config, x *graph.Node) (*Net, error) {
	return buildOn(g, cfg, x, false)
}

func buildOn(g *graph.Graph, cfg Config, x *graph.Node, dataInit bool) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if g.Err() != nil {
		return nil, fmt.Errorf("glow: %w", g.Err())
	}
	if want := (graph.Shape{x.Shape()[0], cfg.Channels, cfg.Size, cfg.Size}); !x.Shape().Equal(want) {
		return nil, fmt.Errorf("glow: input %v, model expects %v", x.Shape(), want)
	}
	batch := x.Shape()[0]
	b := &builder{g: g, cfg: cfg, batch: batch, net: &Net{Config: cfg}, dataInit: dataInit}
	b.net.X = x
	h := x
	for l := 0; l < cfg.Levels; l++ {
		h = g.SpaceToDepth(h, 2)
		for s := 0; s < cfg.Steps; s++ {
			h = b.step(fmt.Sprintf("flow.%d.%d", l, s), h, l, s)
		}
		if l < cfg.Levels-1 {
			h = b.split(fmt.Sprintf("split.%d", l), h)
		}
	}
	b.top(h)
	d := float32(cfg.Dims())
	ll := g.AddScalar(g.Add(b.logp, b.logdet), -d*float32(math.Log(float64(cfg.Bins))))
	b.net.LogLik = ll
	b.net.LogDet = b.logdet
	b.net.BitsPerDim = g.MulScalar(ll, -1/(d*math.Ln2))
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("glow: %w", err)
	}
	return b.net, nil
}

func (b *builder) addLogDet(v *graph.Node) {
	if b.logdet == nil {
		b.logdet = v
		return
	}
	b.logdet = b.g.Add(b.logdet, v)
}

func (b *builder) addLogP(v *graph.Node) {
	if b.logp == nil {
		b.logp = v
		return
	}
	b.logp = b.g.Add(b.logp, v)
}

// actnorm applies a named ActNorm; flow ActNorms also add their log-determinant.
func (b *builder) actnorm(name string, h *graph.Node, inFlow bool) *graph.Node {
	g := b.g
	c := h.Shape()[1]
	bias := g.Param(name+".bias", 1, c, 1, 1)
	logs := g.Param(name+".logs", 1, c, 1, 1)
	a := ActNorm{Bias: name + ".bias", Logs: name + ".logs", Input: h}
	if inFlow {
		hw := float32(h.Shape()[2] * h.Shape()[3])
		b.addLogDet(g.MulScalar(g.Reshape(g.Sum(logs), 1), hw))
	}
	if b.dataInit {
		// bias = -mean, exp(logs) = 1 / (sqrt(variance) + 1e-6), as DataInit sets them.
		mean := g.Reduce(graph.Mean, h, true, 0, 2, 3)
		centred := g.Sub(h, mean)
		variance := g.Reduce(graph.Mean, g.Square(centred), true, 0, 2, 3)
		a.mean, a.variance = g.Reshape(mean, -1), g.Reshape(variance, -1)
		b.net.ActNorms = append(b.net.ActNorms, a)
		return g.Div(centred, g.AddScalar(g.Sqrt(variance), 1e-6))
	}
	b.net.ActNorms = append(b.net.ActNorms, a)
	return g.Mul(g.Add(h, bias), g.Exp(logs))
}

// step is one flow step: ActNorm, invertible 1x1 convolution, affine coupling.
func (b *builder) step(name string, h *graph.Node, level, step int) *graph.Node {
	h = b.actnorm(name+".actnorm", h, true)
	h = b.invconv(name+".invconv", h, level, step)
	return b.coupling(name+".coupling", h)
}

// Permutation returns the fixed permutation of the 1x1 convolution at (level, step): P[i][perm[i]]=1.
func (c Config) Permutation(level, step, channels int) []int {
	r := rand.New(rand.NewPCG(c.Seed, uint64(level*1000+step)))
	return r.Perm(channels)
}

func (b *builder) invconv(name string, h *graph.Node, level, step int) *graph.Node {
	g := b.g
	c := h.Shape()[1]
	lower := g.Param(name+".lower", c, c)
	upper := g.Param(name+".upper", c, c)
	logs := g.Param(name+".logs", c)
	perm := b.cfg.Permutation(level, step, c)
	b.net.InvConvs = append(b.net.InvConvs, InvConv{Lower: name + ".lower", Upper: name + ".upper", Logs: name + ".logs", Perm: perm})
	p := graph.Zeros(c, c)
	for i, j := range perm {
		p.Data[i*c+j] = 1
	}
	l := g.Add(g.Mul(lower, g.TriangularMask(c, false)), g.Eye(c))
	u := g.Add(g.Mul(upper, g.TriangularMask(c, true)), g.DiagMatrix(g.Exp(logs)))
	w := g.Matmul(g.Const(p), g.Matmul(l, u))
	hw := float32(h.Shape()[2] * h.Shape()[3])
	b.addLogDet(g.MulScalar(g.Reshape(g.Sum(logs), 1), hw))
	return g.Conv2D(h, g.Reshape(w, c, c, 1, 1), 1, 0)
}

// convNorm is a bias-free convolution followed by an ActNorm (not part of the flow's log-det).
func (b *builder) convNorm(name string, h *graph.Node, out, k int) *graph.Node {
	w := b.g.Param(name+".weight", out, h.Shape()[1], k, k)
	return b.actnorm(name+".actnorm", b.g.Conv2D(h, w, 1, k/2), false)
}

// zeroConv is a 3x3 convolution with bias whose output is scaled by exp(3*logs); all three
// parameters start at zero, so the layer starts as the zero map.
func (b *builder) zeroConv(name string, h *graph.Node, out int) *graph.Node {
	g := b.g
	w := g.Param(name+".weight", out, h.Shape()[1], 3, 3)
	bias := g.Param(name+".bias", 1, out, 1, 1)
	logs := g.Param(name+".logs", 1, out, 1, 1)
	return g.Mul(g.Add(g.Conv2D(h, w, 1, 1), bias), g.Exp(g.MulScalar(logs, 3)))
}

// halves splits channels into the first and second half.
func (b *builder) halves(h *graph.Node) (*graph.Node, *graph.Node) {
	p := b.g.Split(h, 1, 2)
	return p[0], p[1]
}

// interleaved splits channels into the even and the odd ones.
func (b *builder) interleaved(h *graph.Node) (*graph.Node, *graph.Node) {
	g := b.g
	s := h.Shape()
	v := g.Reshape(h, s[0], s[1]/2, 2, s[2], s[3])
	even := g.Reshape(g.SliceAxis(v, 2, 0, 1), s[0], s[1]/2, s[2], s[3])
	odd := g.Reshape(g.SliceAxis(v, 2, 1, 2), s[0], s[1]/2, s[2], s[3])
	return even, odd
}

// coupling is the affine coupling: the second half of the channels is shifted and scaled by
// functions of the first half; scale = sigmoid(raw + 2).
func (b *builder) coupling(name string, h *graph.Node) *graph.Node {
	g := b.g
	z1, z2 := b.halves(h)
	shift, logScale := b.couplingNet(name, z1, h.Shape()[1])
	z2 = g.Mul(g.Add(z2, shift), g.Exp(logScale))
	b.addLogDet(g.Sum(logScale, 1, 2, 3))
	return g.Concat(1, z1, z2)
}

// couplingNet is the coupling's network of the first half z1 (c channels in all): the shift and
// the log-scale log sigmoid(raw + 2) of the second half.
func (b *builder) couplingNet(name string, z1 *graph.Node, c int) (shift, logScale *graph.Node) {
	g := b.g
	a := g.Relu(b.convNorm(name+".conv1", z1, b.cfg.Hidden, 3))
	a = g.Relu(b.convNorm(name+".conv2", a, b.cfg.Hidden, 1))
	a = b.zeroConv(name+".conv3", a, c)
	shift, raw := b.interleaved(a)
	return shift, g.LogSigmoid(g.AddScalar(raw, 2))
}

// gaussianLogP is sum over C, H, W of log N(z; mean, exp(logs)^2), per image [B].
func (b *builder) gaussianLogP(z, mean, logs *graph.Node) *graph.Node {
	g := b.g
	d := g.Mul(g.Sub(z, mean), g.Exp(g.Neg(logs)))
	terms := g.Add(g.MulScalar(logs, 2), g.Square(d))
	n := float32(z.Shape()[1] * z.Shape()[2] * z.Shape()[3])
	return g.AddScalar(g.MulScalar(g.Sum(terms, 1, 2, 3), -0.5), -0.5*n*float32(math.Log(2*math.Pi)))
}

// split factors out half the channels with a Gaussian prior whose mean and log-scale come from a
// zero-initialized convolution of the other half.
func (b *builder) split(name string, h *graph.Node) *graph.Node {
	z1, z2 := b.halves(h)
	mean, logs := b.interleaved(b.zeroConv(name+".prior", z1, h.Shape()[1]))
	b.addLogP(b.gaussianLogP(z2, mean, logs))
	b.net.Latents = append(b.net.Latents, z2)
	return z1
}

// top scores the final latent with a learned per-channel Gaussian.
func (b *builder) top(h *graph.Node) {
	g := b.g
	c := h.Shape()[1]
	mean := g.Param("top.mean", 1, c, 1, 1)
	logs := g.Param("top.logs", 1, c, 1, 1)
	b.addLogP(b.gaussianLogP(h, mean, logs))
	b.net.Latents = append(b.net.Latents, h)
}

package glow

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/oodgpu/oodgpu/graph"
)

// Inverse is a Glow's inverse graph: from the latents to the image.
type Inverse struct {
	// Latents are inputs "z.0", "z.1", ... and "z.top", shaped like Net.Latents.
	Latents []*graph.Node
	// X is the reconstructed input [B C H W].
	X *graph.Node
}

// BuildInverse appends the inverse flow to g. The inverses of the 1x1 convolutions are computed
// from params (the LU factors) and baked in as constants; the other parameters are graph
// parameters with the same names as in Build.
func BuildInverse(g *graph.Graph, cfg Config, batch int, params graph.Feeds) (*Inverse, error) {
	return buildInverse(g, cfg, batch, params, func(_ *builder, name string, shape graph.Shape, _ *graph.Node, _ int) *graph.Node {
		return g.Input(name, shape...)
	})
}

// BuildSampler appends a sampler to g: the inverse flow fed with latents drawn from the model's
// priors at temperature t, z = mean + t exp(logs) eps, where the split priors depend on the
// coarser latents as in the forward pass. Its inputs "eps.0", "eps.1", ... and "eps.top" are
// standard normal noise shaped like Net.Latents; Inverse.Latents are the sampled latents.
func BuildSampler(g *graph.Graph, cfg Config, batch int, params graph.Feeds, t float32) (*Inverse, error) {
	return buildInverse(g, cfg, batch, params, func(b *builder, name string, shape graph.Shape, z1 *graph.Node, level int) *graph.Node {
		eps := g.Input("eps"+name[1:], shape...)
		var mean, logs *graph.Node
		if z1 == nil {
			mean = g.Param("top.mean", 1, shape[1], 1, 1)
			logs = g.Param("top.logs", 1, shape[1], 1, 1)
		} else {
			mean, logs = b.interleaved(b.zeroConv(fmt.Sprintf("split.%d.prior", level), z1, 2*z1.Shape()[1]))
		}
		return g.Add(mean, g.Mul(g.Exp(logs), g.MulScalar(eps, t)))
	})
}

// latentFunc gives the latent named name ("z.0", ..., "z.top") of shape; z1 is the half it is
// concatenated with (nil for the top latent) and level its level.
type latentFunc func(b *builder, name string, shape graph.Shape, z1 *graph.Node, level int) *graph.Node

func buildInverse(g *graph.Graph, cfg Config, batch int, params graph.Feeds, latent latentFunc) (*Inverse, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The forward graph tells the shapes and the layer names.
	fwd, err := Build(graph.New(), cfg, batch)
	if err != nil {
		return nil, err
	}
	b := &builder{g: g, cfg: cfg, batch: batch, net: &Net{Config: cfg}}
	inv := &Inverse{Latents: make([]*graph.Node, len(fwd.Latents))}
	top := len(fwd.Latents) - 1
	inv.Latents[top] = latent(b, "z.top", fwd.Latents[top].Shape(), nil, cfg.Levels-1)
	h := inv.Latents[top]
	k := len(fwd.InvConvs) - 1
	for l := cfg.Levels - 1; l >= 0; l-- {
		if l < cfg.Levels-1 {
			inv.Latents[l] = latent(b, fmt.Sprintf("z.%d", l), fwd.Latents[l].Shape(), h, l)
			h = g.Concat(1, h, inv.Latents[l])
		}
		for s := cfg.Steps - 1; s >= 0; s-- {
			name := fmt.Sprintf("flow.%d.%d", l, s)
			h = b.couplingInverse(name+".coupling", h)
			w, err := invConvInverse(params, fwd.InvConvs[k])
			if err != nil {
				return nil, err
			}
			k--
			h = g.Conv2D(h, g.Const(w), 1, 0)
			h = b.actnormInverse(name+".actnorm", h)
		}
		h = g.DepthToSpace(h, 2)
	}
	inv.X = h
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("glow: inverse: %w", err)
	}
	return inv, nil
}

func (b *builder) actnormInverse(name string, h *graph.Node) *graph.Node {
	g := b.g
	c := h.Shape()[1]
	bias := g.Param(name+".bias", 1, c, 1, 1)
	logs := g.Param(name+".logs", 1, c, 1, 1)
	return g.Sub(g.Mul(h, g.Exp(g.Neg(logs))), bias)
}

func (b *builder) couplingInverse(name string, h *graph.Node) *graph.Node {
	g := b.g
	z1, z2 := b.halves(h)
	shift, logScale := b.couplingNet(name, z1, h.Shape()[1])
	z2 = g.Sub(g.Mul(z2, g.Exp(g.Neg(logScale))), shift)
	return g.Concat(1, z1, z2)
}

// InvConvWeight computes W = P (L + I) (U + diag(exp(logs))) of one 1x1 convolution from params.
func InvConvWeight(params graph.Feeds, ic InvConv) (*mat.Dense, error) {
	lo, up, lg := params[ic.Lower], params[ic.Upper], params[ic.Logs]
	if lo == nil || up == nil || lg == nil {
		return nil, fmt.Errorf("glow: missing parameters of %s", ic.Lower)
	}
	c := len(ic.Perm)
	l, u, p := mat.NewDense(c, c, nil), mat.NewDense(c, c, nil), mat.NewDense(c, c, nil)
	for i := 0; i < c; i++ {
		for j := 0; j < c; j++ {
			switch {
			case j < i:
				l.Set(i, j, float64(lo.Data[i*c+j]))
			case j > i:
				u.Set(i, j, float64(up.Data[i*c+j]))
			default:
				l.Set(i, i, 1)
				u.Set(i, i, expf(lg.Data[i]))
			}
		}
		p.Set(i, ic.Perm[i], 1)
	}
	var w mat.Dense
	w.Product(p, l, u)
	return &w, nil
}

// invConvInverse returns W^-1 as a [C C 1 1] convolution weight.
func invConvInverse(params graph.Feeds, ic InvConv) (*graph.Tensor, error) {
	w, err := InvConvWeight(params, ic)
	if err != nil {
		return nil, err
	}
	var inv mat.Dense
	if err := inv.Inverse(w); err != nil {
		return nil, fmt.Errorf("glow: inverting %s: %w", ic.Lower, err)
	}
	c := len(ic.Perm)
	t := graph.Zeros(c, c, 1, 1)
	for i := 0; i < c; i++ {
		for j := 0; j < c; j++ {
			t.Data[i*c+j] = float32(inv.At(i, j))
		}
	}
	return t, nil
}

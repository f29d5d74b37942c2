// Package ddpm builds the noise-prediction network of a denoising diffusion probabilistic model
// (Ho et al., 2020) as an oodgpu graph: a small U-Net with GroupNorm, SiLU, a sinusoidal time
// embedding, strided down-sampling, nearest up-sampling and optional self-attention at the
// lowest resolution, trained on the eps-prediction loss with T steps of a linear beta schedule.
// Its per-image likelihood proxy is L_t(x) = ||eps - eps_theta(x_t, t)||^2 at a chosen step t
// with fixed noise; gradient features are taken of -L_t.
package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
)

// Config sizes a DDPM and its noise schedule.
type Config struct {
	Channels int `json:"channels"` // input channels (1 grey, 3 colour)
	Size     int `json:"size"`     // input height and width, divisible by 2^(len(Mults)-1)
	// ImageSize is the size of the images before zero padding to Size; 0 means Size.
	ImageSize int   `json:"image_size,omitempty"`
	Base      int   `json:"base"`      // channels at full resolution (a multiple of 8, and even)
	Mults     []int `json:"mults"`     // channel multipliers per resolution level
	Attention bool  `json:"attention"` // self-attention at the lowest resolution
	// Steps is T; the betas rise linearly from BetaStart to BetaEnd.
	Steps     int     `json:"steps"`
	BetaStart float64 `json:"beta_start"`
	BetaEnd   float64 `json:"beta_end"`
}

// Default is a small U-Net for 28x28 grey images padded to 32: base 32, levels at 32, 16 and 8
// pixels, attention at 8, T = 1000.
func Default() Config {
	return Config{Channels: 1, Size: 32, ImageSize: 28, Base: 32, Mults: []int{1, 2, 2}, Attention: true,
		Steps: 1000, BetaStart: 1e-4, BetaEnd: 0.02}
}

// Bounds of a Config: far beyond any model oodgpu trains, small enough that building and
// scoring one cannot exhaust memory.
const (
	MaxSize   = 1024  // input height and width
	MaxBase   = 1024  // channels at full resolution
	MaxLevels = 8     // resolution levels (channel multipliers)
	MaxMult   = 64    // channel multiplier of one level
	MaxSteps  = 10000 // diffusion steps T
)

// Validate checks that the configuration describes a buildable model of a sane size.
func (c Config) Validate() error {
	if err := c.validateRanges(); err != nil {
		return err
	}
	params, activation := c.sizes()
	return graph.CheckModelSize("ddpm", params, activation)
}

// validateRanges checks each field on its own; the level count is checked before 2^levels is
// formed.
func (c Config) validateRanges() error {
	switch {
	case c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("ddpm: config: channels %d: want 1 (grey) or 3 (colour)", c.Channels)
	case c.Base < 8 || c.Base > MaxBase || c.Base%8 != 0:
		return fmt.Errorf("ddpm: config: base %d must be a multiple of 8 in 8..%d", c.Base, MaxBase)
	case len(c.Mults) < 1 || len(c.Mults) > MaxLevels:
		return fmt.Errorf("ddpm: config: %d channel multipliers, want 1..%d", len(c.Mults), MaxLevels)
	case c.Size < 1 || c.Size > MaxSize:
		return fmt.Errorf("ddpm: config: size %d outside 1..%d", c.Size, MaxSize)
	case c.Size%(1<<(len(c.Mults)-1)) != 0:
		return fmt.Errorf("ddpm: config: size %d must be divisible by %d", c.Size, 1<<(len(c.Mults)-1))
	case c.ImageSize < 0 || c.ImageSize > c.Size:
		return fmt.Errorf("ddpm: config: image size %d must be in [0, size %d]", c.ImageSize, c.Size)
	case c.Steps < 1 || c.Steps > MaxSteps:
		return fmt.Errorf("ddpm: config: steps %d outside 1..%d", c.Steps, MaxSteps)
	case !(c.BetaStart > 0 && c.BetaStart <= c.BetaEnd && c.BetaEnd < 1):
		return fmt.Errorf("ddpm: config: betas %g..%g: need 0 < beta_start <= beta_end < 1", c.BetaStart, c.BetaEnd)
	}
	for _, m := range c.Mults {
		if m < 1 || m > MaxMult {
			return fmt.Errorf("ddpm: config: channel multipliers %v: each must be in 1..%d", c.Mults, MaxMult)
		}
	}
	return nil
}

// sizes returns the number of parameters and the number of values of the largest activation of
// one image, for a configuration whose fields are in range. They are counted in float64, which
// no such configuration can overflow, and exact below 2^53.
func (c Config) sizes() (params, activation float64) {
	base, s, in := float64(c.Base), float64(c.Size), float64(c.Channels)
	conv := func(cin, cout, k float64) float64 { return cout*cin*k*k + cout }
	linear := func(fin, fout float64) float64 { return fin*fout + fout }
	res := func(cin, cout float64) float64 {
		p := 2*cin + conv(cin, cout, 3) + linear(4*base, cout) + 2*cout + conv(cout, cout, 3)
		if cin != cout {
			p += conv(cin, cout, 1)
		}
		return p
	}
	params = linear(base, 4*base) + linear(4*base, 4*base) + conv(in, base, 3)
	activation = max(in*s*s, 4*base, base*s*s)
	ch, last := base, len(c.Mults)-1
	skips := make([]float64, len(c.Mults))
	for i, m := range c.Mults {
		params += res(ch, base*float64(m))
		ch, skips[i] = base*float64(m), base*float64(m)
		activation = max(activation, ch*s*s)
		if i < last {
			params += conv(ch, ch, 3)
			s /= 2
		}
	}
	params += 2 * res(ch, ch)
	if c.Attention {
		params += 2*ch + 4*conv(ch, ch, 1)
		activation = max(activation, s*s*s*s) // the attention weights of every pixel pair
	}
	for i := last; i >= 0; i-- {
		activation = max(activation, (ch+skips[i])*s*s)
		params += res(ch+skips[i], skips[i])
		ch = skips[i]
		if i > 0 {
			params += conv(ch, ch, 3)
			s *= 2
			activation = max(activation, ch*s*s)
		}
	}
	return params + 2*ch + conv(ch, in, 3), activation
}

// Image is the size of the images the model scores before padding.
func (c Config) Image() int {
	if c.ImageSize > 0 {
		return c.ImageSize
	}
	return c.Size
}

// Dims is the number of dimensions of one input, C*H*W.
func (c Config) Dims() int { return c.Channels * c.Size * c.Size }

// Beta is beta_t of the linear schedule (1-based, 1 <= t <= Steps).
func (c Config) Beta(t int) float64 {
	if c.Steps == 1 {
		return c.BetaStart
	}
	return c.BetaStart + (c.BetaEnd-c.BetaStart)*float64(t-1)/float64(c.Steps-1)
}

// AlphaBar is the cumulative product of (1 - beta_s) for s = 1..t (1-based, 1 <= t <= Steps).
func (c Config) AlphaBar(t int) float64 {
	ab := 1.0
	for s := 1; s <= t; s++ {
		ab *= 1 - c.Beta(s)
	}
	return ab
}

// Inputs of the graph: "xt" [B C S S] the noised images, "eps" [B C S S] the noise they hold,
// "temb" [B Base] the sinusoidal embedding of each image's step.
const (
	InputXt   = "xt"
	InputEps  = "eps"
	InputTemb = "temb"
)

// Net is a built DDPM objective.
type Net struct {
	// Loss is L_t per image [B]: the squared error of the predicted noise, summed over pixels.
	Loss *graph.Node
	// LogLik is -Loss, the likelihood proxy whose gradient features are scored.
	LogLik *graph.Node
	// PerDim is Loss / D [B], reported in place of bits/dim (higher is less likely).
	PerDim *graph.Node
}

// builder holds what the U-Net's blocks share.
type builder struct {
	g    *graph.Graph
	emb  *graph.Node // [B 4*Base]
	edim int
	b    int
}

func (u *builder) conv(name string, x *graph.Node, cin, cout, k, stride int) *graph.Node {
	g := u.g
	w := g.Param(name+".weight", cout, cin, k, k)
	return g.Add(g.Conv2D(x, w, stride, k/2), g.Param(name+".bias", cout, 1, 1))
}

func (u *builder) linear(name string, x *graph.Node, fin, fout int) *graph.Node {
	g := u.g
	return g.Add(g.Matmul(x, g.Param(name+".weight", fin, fout)), g.Param(name+".bias", fout))
}

func (u *builder) norm(name string, x *graph.Node, ch int) *graph.Node {
	g := u.g
	y := g.GroupNorm(x, groupsFor(ch), 1e-5)
	return g.Add(g.Mul(y, g.Param(name+".gamma", ch, 1, 1)), g.Param(name+".beta", ch, 1, 1))
}

// groupsFor is the GroupNorm group count for ch channels: 8 where it divides them.
func groupsFor(ch int) int {
	if ch%8 == 0 {
		return 8
	}
	return 1
}

// res is a residual block with the time embedding added between its two convolutions.
func (u *builder) res(name string, x *graph.Node, cin, cout int) *graph.Node {
	g := u.g
	h := u.conv(name+".conv1", g.Silu(u.norm(name+".norm1", x, cin)), cin, cout, 3, 1)
	t := u.linear(name+".temb", g.Silu(u.emb), u.edim, cout)
	h = g.Add(h, g.Reshape(t, u.b, cout, 1, 1))
	h = u.conv(name+".conv2", g.Silu(u.norm(name+".norm2", h, cout)), cout, cout, 3, 1)
	skip := x
	if cin != cout {
		skip = u.conv(name+".skip", x, cin, cout, 1, 1)
	}
	return g.Add(skip, h)
}

// attention is single-head self-attention over the pixels, added residually.
func (u *builder) attention(name string, x *graph.Node, ch, side int) *graph.Node {
	g := u.g
	n := u.norm(name+".norm", x, ch)
	tokens := func(v *graph.Node) *graph.Node { return g.Reshape(v, u.b, ch, side*side) } // [B C P]
	q := tokens(u.conv(name+".q", n, ch, ch, 1, 1))
	k := tokens(u.conv(name+".k", n, ch, ch, 1, 1))
	v := tokens(u.conv(name+".v", n, ch, ch, 1, 1))
	scores := g.MulScalar(g.MatmulT(q, k, true, false), float32(1/math.Sqrt(float64(ch)))) // [B P P]
	weights := g.Exp(g.Sub(scores, g.Reduce(graph.LogSumExp, scores, true, 2)))
	out := g.MatmulT(v, weights, false, true) // [B C P]
	return g.Add(x, u.conv(name+".proj", g.Reshape(out, u.b, ch, side, side), ch, ch, 1, 1))
}

// Build adds the DDPM objective for batch images to g.
func Build(g *graph.Graph, cfg Config, batch int) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	eps := g.Input(InputEps, batch, cfg.Channels, cfg.Size, cfg.Size)
	pred := epsNet(g, cfg, batch)
	loss := g.Sum(g.Square(g.Sub(eps, pred)), 1, 2, 3)
	net := &Net{Loss: loss, LogLik: g.Neg(loss), PerDim: g.MulScalar(loss, float32(1/float64(cfg.Dims())))}
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("ddpm: %w", err)
	}
	return net, nil
}

// BuildEpsilon adds the noise-prediction network alone, eps_theta(x_t, t) [B C S S] from the
// inputs "xt" and "temb", for sampling.
func BuildEpsilon(g *graph.Graph, cfg Config, batch int) (*graph.Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pred := epsNet(g, cfg, batch)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("ddpm: %w", err)
	}
	return pred, nil
}

// epsNet is the U-Net on the inputs "xt" and "temb".
func epsNet(g *graph.Graph, cfg Config, batch int) *graph.Node {
	c, s, base := cfg.Channels, cfg.Size, cfg.Base
	xt := g.Input(InputXt, batch, c, s, s)
	temb := g.Input(InputTemb, batch, base)
	u := &builder{g: g, edim: 4 * base, b: batch}
	u.emb = u.linear("temb.1", g.Silu(u.linear("temb.0", temb, base, 4*base)), 4*base, 4*base)

	h := u.conv("in", xt, c, base, 3, 1)
	ch, side := base, s
	var skips []*graph.Node
	var skipCh []int
	for i, m := range cfg.Mults {
		h = u.res(fmt.Sprintf("down.%d", i), h, ch, base*m)
		ch = base * m
		skips, skipCh = append(skips, h), append(skipCh, ch)
		if i < len(cfg.Mults)-1 {
			h = u.conv(fmt.Sprintf("down.%d.sample", i), h, ch, ch, 3, 2)
			side /= 2
		}
	}
	h = u.res("mid.0", h, ch, ch)
	if cfg.Attention {
		h = u.attention("mid.attn", h, ch, side)
	}
	h = u.res("mid.1", h, ch, ch)
	for i := len(cfg.Mults) - 1; i >= 0; i-- {
		h = g.Concat(1, h, skips[i])
		h = u.res(fmt.Sprintf("up.%d", i), h, ch+skipCh[i], base*cfg.Mults[i])
		ch = base * cfg.Mults[i]
		if i > 0 {
			h = u.conv(fmt.Sprintf("up.%d.sample", i), g.Upsample(h, 2), ch, ch, 3, 1)
			side *= 2
		}
	}
	return u.conv("out", g.Silu(u.norm("out.norm", h, ch)), ch, c, 3, 1)
}

// TimeEmbedding is the sinusoidal embedding of step t in dim dimensions: sin(t f_i) then
// cos(t f_i), f_i = 10000^(-i/(dim/2)).
func TimeEmbedding(t, dim int) []float32 {
	half := dim / 2
	out := make([]float32, dim)
	for i := 0; i < half; i++ {
		f := math.Exp(-math.Log(10000) * float64(i) / float64(half))
		out[i] = float32(math.Sin(float64(t) * f))
		out[half+i] = float32(math.Cos(float64(t) * f))
	}
	return out
}

// Feeds noises images (NCHW pixels scaled to [0, 1], k/255, padded to Size) to their steps:
// x0 = 2k/255 - 1 and x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps with eps drawn from r.
// steps holds one step per image (1-based).
func (c Config) Feeds(pix []float32, steps []int, r *rand.Rand) graph.Feeds {
	batch := len(steps)
	xt := graph.Zeros(batch, c.Channels, c.Size, c.Size)
	eps := graph.Zeros(xt.Shape...)
	temb := graph.Zeros(batch, c.Base)
	per := c.Dims()
	for b, t := range steps {
		ab := c.AlphaBar(t)
		sa, sn := math.Sqrt(ab), math.Sqrt(1-ab)
		for i := b * per; i < (b+1)*per; i++ {
			e := r.NormFloat64()
			x0 := 2*math.Round(float64(pix[i])*255)/255 - 1
			eps.Data[i] = float32(e)
			xt.Data[i] = float32(sa*x0 + sn*e)
		}
		copy(temb.Data[b*c.Base:], TimeEmbedding(t, c.Base))
	}
	return graph.Feeds{InputXt: xt, InputEps: eps, InputTemb: temb}
}

// InitParams draws initial parameters: weights normal with variance 1/fan-in, the output
// convolution and the attention projection zero, GroupNorm scales one, biases zero.
func InitParams(cfg Config, seed uint64) (graph.Feeds, error) {
	g := graph.New()
	if _, err := Build(g, cfg, 1); err != nil {
		return nil, err
	}
	return graph.InitParams(g, rand.New(rand.NewPCG(seed, 0xdd9)), func(name string, shape []int) (std, constant float64) {
		switch {
		case strings.HasSuffix(name, ".gamma"):
			return 0, 1
		case strings.HasSuffix(name, ".weight") && name != "out.weight" && name != "mid.attn.proj.weight":
			fan := shape[0] // linear [in, out]
			if len(shape) == 4 {
				fan = shape[1] * shape[2] * shape[3]
			}
			return 1 / math.Sqrt(float64(fan)), 0
		}
		return 0, 0
	}), nil
}

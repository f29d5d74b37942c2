// Package vae builds a convolutional variational autoencoder as an oodgpu graph: an encoder of
// strided convolutions to a diagonal Gaussian posterior, one reparameterized sample z, and a
// decoder of transposed convolutions to a discretized logistic likelihood of the 8-bit pixels.
// Its per-image objective is the ELBO, a lower bound of log p(x); the paper's Proposition 2 takes
// gradient features of the ELBO in place of the intractable log-likelihood.
package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/discrete"
)

// Config sizes a VAE.
type Config struct {
	Channels int `json:"channels"` // input channels (1 grey, 3 colour)
	Size     int `json:"size"`     // input height and width, a multiple of 8
	// ImageSize is the size of the images before zero padding to Size; 0 means Size.
	ImageSize int `json:"image_size,omitempty"`
	Hidden    int `json:"hidden"` // width of the first convolution (then 2x and 4x)
	Latent    int `json:"latent"` // dimensions of z
	// PixelScales has the decoder predict a logistic log-scale for every pixel and channel, by
	// a second 3x3 output convolution beside the means' (kept in [LogScaleMin, LogScaleMax]),
	// instead of one learned log-scale per channel shared by all pixels and images.
	PixelScales bool `json:"pixel_scales,omitempty"`
}

// Default is a small VAE for 28x28 grey images padded to 32, with per-pixel decoder scales.
func Default() Config {
	return Config{Channels: 1, Size: 32, ImageSize: 28, Hidden: 32, Latent: 32, PixelScales: true}
}

// Bounds of the per-pixel log-scales (PixelScales). The floor is PixelCNN++'s: a scale of
// exp(-7), about a ninth of a pixel's bin, is as sharp as a pixel needs. The ceiling keeps the
// bin's width in standard units, 2/255 exp(-LogScaleMax), where float32 can still take the log
// of 1 - exp(-width); a logistic of scale exp(2) is flat over the whole pixel range anyway.
const (
	LogScaleMin = -7
	LogScaleMax = 2
)

// Bounds of a Config: far beyond any model oodgpu trains, small enough that building and
// scoring one cannot exhaust memory.
const (
	MaxSize   = 1024 // input height and width
	MaxHidden = 1024 // width of the first convolution
	MaxLatent = 4096 // dimensions of z
)

// Validate checks that the configuration describes a buildable model of a sane size.
func (c Config) Validate() error {
	switch {
	case c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("vae: config: channels %d: want 1 (grey) or 3 (colour)", c.Channels)
	case c.Hidden < 1 || c.Hidden > MaxHidden:
		return fmt.Errorf("vae: config: hidden width %d outside 1..%d", c.Hidden, MaxHidden)
	case c.Latent < 1 || c.Latent > MaxLatent:
		return fmt.Errorf("vae: config: latent dimensions %d outside 1..%d", c.Latent, MaxLatent)
	case c.Size < 8 || c.Size > MaxSize || c.Size%8 != 0:
		return fmt.Errorf("vae: config: size %d must be a multiple of 8 in 8..%d", c.Size, MaxSize)
	case c.ImageSize < 0 || c.ImageSize > c.Size:
		return fmt.Errorf("vae: config: image size %d must be in [0, size %d]", c.ImageSize, c.Size)
	}
	params, activation := c.sizes()
	return graph.CheckModelSize("vae", params, activation)
}

// sizes returns the number of parameters and the number of values of the largest activation of
// one image, for a configuration whose fields are in range. They are counted in float64, which
// no such configuration can overflow, and exact below 2^53.
func (c Config) sizes() (params, activation float64) {
	in, s, h, l := float64(c.Channels), float64(c.Size), float64(c.Hidden), float64(c.Latent)
	flat := 4 * h * (s / 8) * (s / 8)
	conv := func(cin, cout, k float64) float64 { return cout*cin*k*k + cout }
	encoder := conv(in, h, 3) + conv(h, 2*h, 4) + conv(2*h, 4*h, 4) + conv(4*h, 4*h, 4) + 2*l*(flat+1)
	decoder := l*flat + flat + conv(4*h, 4*h, 4) + conv(4*h, 2*h, 4) + conv(2*h, h, 4) + conv(h, in, 3)
	if c.PixelScales {
		decoder += conv(h, in, 3)
	} else {
		decoder += in
	}
	return encoder + decoder, max(in*s*s, h*s*s, 2*l)
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

// Net is a built VAE.
type Net struct {
	// ELBO is the per-image evidence lower bound in nats [B]: E_q log p(x|z) - KL(q(z|x) || p(z))
	// with the one sample z = mu + sigma * eps.
	ELBO *graph.Node
	// BitsPerDim is -ELBO / (D ln 2) [B], an upper bound of the negative log-likelihood.
	BitsPerDim *graph.Node
	// Recon and KL are the ELBO's two terms [B].
	Recon, KL *graph.Node
}

// Inputs of the graph: "x" [B C S S] pixels scaled to [-1, 1] (2k/255 - 1), "eps" [B Latent]
// standard normal noise, and the pixel masks "not_min" (k > 0) and "not_max" (k < 255), 1 or 0.
const (
	InputX      = "x"
	InputEps    = "eps"
	InputNotMin = "not_min"
	InputNotMax = "not_max"
)

// Build adds a VAE for batch images to g.
func Build(g *graph.Graph, cfg Config, batch int) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, s, h, l := cfg.Channels, cfg.Size, cfg.Hidden, cfg.Latent
	x := g.Input(InputX, batch, c, s, s)
	eps := g.Input(InputEps, batch, l)
	notMin := g.Input(InputNotMin, batch, c, s, s)
	notMax := g.Input(InputNotMax, batch, c, s, s)

	conv := func(name string, in *graph.Node, cin, cout, k, stride, pad int) *graph.Node {
		w := g.Param(name+".weight", cout, cin, k, k)
		b := g.Param(name+".bias", cout, 1, 1)
		return g.Add(g.Conv2D(in, w, stride, pad), b)
	}
	linear := func(name string, in *graph.Node, fin, fout int) *graph.Node {
		return g.Add(g.Matmul(in, g.Param(name+".weight", fin, fout)), g.Param(name+".bias", fout))
	}

	// Encoder: S -> S/2 -> S/4 -> S/8.
	e := g.Silu(conv("enc.0", x, c, h, 3, 1, 1))
	e = g.Silu(conv("enc.1", e, h, 2*h, 4, 2, 1))
	e = g.Silu(conv("enc.2", e, 2*h, 4*h, 4, 2, 1))
	e = g.Silu(conv("enc.3", e, 4*h, 4*h, 4, 2, 1))
	flat := 4 * h * (s / 8) * (s / 8)
	stats := linear("enc.stats", g.Reshape(e, batch, flat), flat, 2*l)
	mu := g.SliceAxis(stats, 1, 0, l)
	logvar := g.SliceAxis(stats, 1, l, 2*l)
	z := g.Add(mu, g.Mul(g.Exp(g.MulScalar(logvar, 0.5)), eps))

	mean, last := decoder(g, cfg, z, batch)

	var logScale *graph.Node
	if cfg.PixelScales {
		raw := g.Add(g.Conv2D(last, g.Param("dec.scale.weight", c, h, 3, 3), 1, 1), g.Param("dec.scale.bias", c, 1, 1))
		// min(max(raw, LogScaleMin), LogScaleMax) = max - relu(max - min - relu(raw - min)).
		floored := g.Relu(g.AddScalar(raw, -LogScaleMin))
		logScale = g.AddScalar(g.Neg(g.Relu(g.AddScalar(g.Neg(floored), LogScaleMax-LogScaleMin))), LogScaleMax)
	} else {
		logScale = g.Param("dec.log_scale", c, 1, 1)
	}
	logp := discrete.LogisticLogLik(g, x, mean, logScale, notMin, notMax)
	recon := g.Sum(logp, 1, 2, 3)
	kl := g.MulScalar(g.Sum(g.Sub(g.Add(g.Square(mu), g.Exp(logvar)), g.AddScalar(logvar, 1)), 1), 0.5)
	elbo := g.Sub(recon, kl)
	bpd := g.MulScalar(elbo, float32(-1/(float64(cfg.Dims())*math.Ln2)))
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	return &Net{ELBO: elbo, BitsPerDim: bpd, Recon: recon, KL: kl}, nil
}

// decoder maps latents z [B Latent] to the logistic means of the pixels [B C S S]:
// S/8 -> S/4 -> S/2 -> S. It also returns the last hidden layer [B Hidden S S], which the
// per-pixel scales read.
func decoder(g *graph.Graph, cfg Config, z *graph.Node, batch int) (mean, last *graph.Node) {
	c, s, h, l := cfg.Channels, cfg.Size, cfg.Hidden, cfg.Latent
	flat := 4 * h * (s / 8) * (s / 8)
	lin := g.Add(g.Matmul(z, g.Param("dec.in.weight", l, flat)), g.Param("dec.in.bias", flat))
	d := g.Reshape(g.Silu(lin), batch, 4*h, s/8, s/8)
	for i, io := range [][2]int{{4 * h, 4 * h}, {4 * h, 2 * h}, {2 * h, h}} {
		name := fmt.Sprintf("dec.%d", i+1)
		w := g.Param(name+".weight", io[0], io[1], 4, 4)
		d = g.Silu(g.Add(g.ConvTranspose2D(d, w, 2, 1, 0), g.Param(name+".bias", io[1], 1, 1)))
	}
	w := g.Param("dec.out.weight", c, h, 3, 3)
	return g.Add(g.Conv2D(d, w, 1, 1), g.Param("dec.out.bias", c, 1, 1)), d
}

// BuildDecoder adds the decoder alone for batch latents, input "z" [B Latent]: the means of
// the pixels' logistics [B C S S] on the [-1, 1] scale, for sampling.
func BuildDecoder(g *graph.Graph, cfg Config, batch int) (*graph.Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mean, _ := decoder(g, cfg, g.Input("z", batch, cfg.Latent), batch)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("vae: decoder: %w", err)
	}
	return mean, nil
}

// Feeds turns images (NCHW pixels scaled to [0, 1], k/255, already padded to Size) into the
// graph's inputs, drawing the posterior noise from r.
func (c Config) Feeds(pix []float32, batch int, r *rand.Rand) graph.Feeds {
	x, notMin, notMax := discrete.Inputs(pix, batch, c.Channels, c.Size, c.Size)
	eps := graph.Zeros(batch, c.Latent)
	for i := range eps.Data {
		eps.Data[i] = float32(r.NormFloat64())
	}
	return graph.Feeds{InputX: x, InputEps: eps, InputNotMin: notMin, InputNotMax: notMax}
}

// InitParams draws initial parameters: weights normal with variance 1/fan-in (the decoder's
// output layers 0.1 of that), biases zero, the logistic log-scales log(0.1) (per channel, or
// the per-pixel head's bias).
func InitParams(cfg Config, seed uint64) (graph.Feeds, error) {
	g := graph.New()
	if _, err := Build(g, cfg, 1); err != nil {
		return nil, err
	}
	return graph.InitParams(g, rand.New(rand.NewPCG(seed, 0x7ae)), func(name string, shape []int) (std, constant float64) {
		switch {
		case name == "dec.log_scale" || name == "dec.scale.bias":
			return 0, math.Log(0.1)
		case len(shape) >= 2 && strings.HasSuffix(name, ".weight"):
			std = 1 / math.Sqrt(float64(fanIn(name, shape)))
			if name == "dec.out.weight" || name == "dec.scale.weight" {
				std *= 0.1
			}
			return std, 0
		}
		return 0, 0
	}), nil
}

// fanIn is the number of inputs one output of a weight sums.
func fanIn(name string, s graph.Shape) int {
	switch {
	case len(s) == 2: // linear [in, out]
		return s[0]
	case strings.HasPrefix(name, "dec.") && name != "dec.out.weight" && name != "dec.scale.weight": // transposed conv [in, out, k, k]
		return s[0] * s[2] * s[3] / 4
	default: // conv [out, in, k, k]
		return s[1] * s[2] * s[3]
	}
}

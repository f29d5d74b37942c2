package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/ddpm"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/pixelcnn"
	"github.com/oodgpu/oodgpu/models/vae"
)

// SampleOptions control Sample.
type SampleOptions struct {
	N    int    // images
	Seed uint64 // noise seed
	// Temperature scales a Glow's prior standard deviations (1: the model; Glow's papers
	// show samples at 0.7).
	Temperature float64
}

// MaxSamples is the most images one Sample call draws: they are drawn in one executor run.
const MaxSamples = 1024

// Validate checks the options before any work: 1 to MaxSamples images and a finite, non-negative
// temperature of at most 10.
func (o SampleOptions) Validate() error {
	if o.N < 1 || o.N > MaxSamples {
		return fmt.Errorf("models: sample: %d images: want 1 to %d", o.N, MaxSamples)
	}
	if !(o.Temperature >= 0 && o.Temperature <= 10) {
		return fmt.Errorf("models: sample: temperature %g: want 0 to 10", o.Temperature)
	}
	return nil
}

// Sample draws opts.N images from a model with params on exec, cropped to its ImageShape:
// Glow through its inverse at the given temperature, the VAE as the decoder's logistic means at
// z ~ N(0, I), DDPM by ancestral sampling over all T steps (T forward passes), PixelCNN++
// pixel by pixel (a forward pass per pixel of the image).
func Sample(ctx context.Context, exec graph.Executor, m Model, params graph.Feeds, opts SampleOptions) (*data.Set, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5a3))
	var x []float32 // NCHW at the model's input size, in the model's input scale
	var size, channels int
	var toPixel func(v float32) float64
	switch m := m.(type) {
	case Glow:
		g := graph.New()
		s, err := glow.BuildSampler(g, m.Cfg, opts.N, params, float32(opts.Temperature))
		if err != nil {
			return nil, err
		}
		out, err := runWithNoise(ctx, exec, g, s.X, params, r)
		if err != nil {
			return nil, err
		}
		x, size, channels = out, m.Cfg.Size, m.Cfg.Channels
		toPixel = func(v float32) float64 { return (float64(v)+0.5)*float64(m.Cfg.Bins) - 0.5 } // k = floor((v + 0.5) Bins)
	case VAE:
		g := graph.New()
		mean, err := vae.BuildDecoder(g, m.Cfg, opts.N)
		if err != nil {
			return nil, err
		}
		out, err := runWithNoise(ctx, exec, g, mean, params, r)
		if err != nil {
			return nil, err
		}
		x, size, channels = out, m.Cfg.Size, m.Cfg.Channels
		toPixel = func(v float32) float64 { return (float64(v) + 1) / 2 * 255 }
	case DDPM:
		out, err := ancestral(ctx, exec, m.Cfg, params, opts.N, r)
		if err != nil {
			return nil, err
		}
		x, size, channels = out, m.Cfg.Size, m.Cfg.Channels
		toPixel = func(v float32) float64 { return (float64(v) + 1) / 2 * 255 }
	case PixelCNN:
		out, err := pixelcnn.Sample(ctx, exec, m.Cfg, params, opts.N, r)
		if err != nil {
			return nil, err
		}
		x, size, channels = out, m.Cfg.Size, m.Cfg.Channels
		toPixel = func(v float32) float64 { return (float64(v) + 1) / 2 * 255 }
	default:
		return nil, fmt.Errorf("models: sample: kind %s has no sampler", m.Kind())
	}
	shape := m.ImageShape()
	set := &data.Set{Name: "samples", N: opts.N, Shape: shape, Pix: make([]uint8, opts.N*shape.Size())}
	top, left := (size-shape.H)/2, (size-shape.W)/2
	for b := 0; b < opts.N; b++ {
		for y := 0; y < shape.H; y++ {
			for xx := 0; xx < shape.W; xx++ {
				for c := 0; c < channels; c++ {
					v := toPixel(x[((b*channels+c)*size+y+top)*size+xx+left])
					set.Pix[((b*shape.H+y)*shape.W+xx)*channels+c] = uint8(math.Max(0, math.Min(255, math.Round(v))))
				}
			}
		}
	}
	return set, nil
}

// runWithNoise runs out on exec with every input of g fed standard normal noise from r.
func runWithNoise(ctx context.Context, exec graph.Executor, g *graph.Graph, out *graph.Node, params graph.Feeds, r *rand.Rand) ([]float32, error) {
	p, err := graph.Compile(g, out)
	if err != nil {
		return nil, err
	}
	defer exec.Forget(p)
	feeds := graph.Feeds{}
	for _, in := range g.Inputs() {
		t := graph.Zeros(in.Shape()...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		feeds[in.LeafName()] = t
	}
	for _, q := range g.Params() {
		feeds[q.LeafName()] = params[q.LeafName()]
	}
	res, err := exec.Run(ctx, p, feeds)
	if err != nil {
		return nil, err
	}
	return res[0].Data, nil
}

// ancestral samples a DDPM: x_T ~ N(0, I), then for t = T..1 a step of denoiseStep with
// z ~ N(0, I), without the noise at t = 1.
func ancestral(ctx context.Context, exec graph.Executor, cfg ddpm.Config, params graph.Feeds, n int, r *rand.Rand) ([]float32, error) {
	g := graph.New()
	pred, err := ddpm.BuildEpsilon(g, cfg, n)
	if err != nil {
		return nil, err
	}
	p, err := graph.Compile(g, pred)
	if err != nil {
		return nil, err
	}
	defer exec.Forget(p)
	xt := graph.Zeros(n, cfg.Channels, cfg.Size, cfg.Size)
	for i := range xt.Data {
		xt.Data[i] = float32(r.NormFloat64())
	}
	temb := graph.Zeros(n, cfg.Base)
	feeds := graph.Feeds{ddpm.InputXt: xt, ddpm.InputTemb: temb}
	for _, q := range g.Params() {
		feeds[q.LeafName()] = params[q.LeafName()]
	}
	abar := cfg.AlphaBar(cfg.Steps)
	for t := cfg.Steps; t >= 1; t-- {
		e := ddpm.TimeEmbedding(t, cfg.Base)
		for b := 0; b < n; b++ {
			copy(temb.Data[b*cfg.Base:], e)
		}
		out, err := exec.Run(ctx, p, feeds)
		if err != nil {
			return nil, fmt.Errorf("ddpm: sampling step %d: %w", t, err)
		}
		beta := cfg.Beta(t)
		step := newDenoiseStep(abar, beta)
		for i, v := range xt.Data {
			z := 0.0
			if t > 1 {
				z = r.NormFloat64()
			}
			xt.Data[i] = float32(step.next(float64(v), float64(out[0].Data[i]), z))
		}
		abar /= 1 - beta
	}
	return xt.Data, nil
}

// denoiseStep is one step of DDPM ancestral sampling (Ho et al. 2020, their released sampler):
// from x_t and the predicted noise eps, the clean image x_0 = (x_t - sqrt(1 - abar_t) eps) /
// sqrt(abar_t), clipped to the data range [-1, 1], then x_{t-1} drawn from the posterior
// q(x_{t-1} | x_t, x_0) with mean c0 x_0 + ct x_t and standard deviation sqrt(beta_t). Where the
// predicted x_0 lies in [-1, 1] this is the paper's Eq. 11, x_{t-1} = (x_t - beta_t /
// sqrt(1 - abar_t) eps) / sqrt(1 - beta_t) + sqrt(beta_t) z; the clip keeps an imperfect network
// from drifting out of the data range over a thousand steps, which saturates its samples.
type denoiseStep struct {
	sqrtAbar, sqrtOneMinusAbar float64 // of abar_t, to form x_0
	c0, ct                     float64 // the posterior mean's weights on x_0 and x_t
	sigma                      float64
}

// newDenoiseStep prepares the step at t from abar_t (the product of 1 - beta_s for s <= t) and
// beta_t.
func newDenoiseStep(abar, beta float64) denoiseStep {
	prev := abar / (1 - beta) // abar_{t-1}, 1 at t = 1
	return denoiseStep{
		sqrtAbar:         math.Sqrt(abar),
		sqrtOneMinusAbar: math.Sqrt(1 - abar),
		c0:               beta * math.Sqrt(prev) / (1 - abar),
		ct:               (1 - prev) * math.Sqrt(1-beta) / (1 - abar),
		sigma:            math.Sqrt(beta),
	}
}

// next returns x_{t-1} from x_t, the predicted noise eps and a standard normal draw z.
func (s denoiseStep) next(xt, eps, z float64) float64 {
	x0 := max(-1, min(1, (xt-s.sqrtOneMinusAbar*eps)/s.sqrtAbar))
	return s.c0*x0 + s.ct*xt + s.sigma*z
}

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

// ancestral samples a DDPM: x_T ~ N(0, I), then for t = T..1,
// x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(1 - beta_t) + sqrt(beta_t) z,
// without the noise at t = 1.
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
		k := beta / math.Sqrt(1-abar)
		scale := 1 / math.Sqrt(1-beta)
		sigma := 0.0
		if t > 1 {
			sigma = math.Sqrt(beta)
		}
		for i, v := range xt.Data {
			xt.Data[i] = float32((float64(v)-k*float64(out[0].Data[i]))*scale + sigma*r.NormFloat64())
		}
		abar /= 1 - beta
	}
	return xt.Data, nil
}

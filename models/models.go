// Package models puts oodgpu's generative models (Glow, VAE, DDPM, PixelCNN++) behind one interface: how to
// build each one's per-image objective and how to feed images to it, for scoring and training.
// A weight file's metadata names its kind and configuration; FromMeta opens the right one.
package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/ddpm"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/pixelcnn"
	"github.com/oodgpu/oodgpu/models/vae"
	"github.com/oodgpu/oodgpu/models/weights"
)

// Kinds lists the model kinds, as weight files name them.
var Kinds = []string{"glow", "vae", "ddpm", "pixelcnn"}

// Objective is what a model computes per image of a batch, for scoring and training.
type Objective struct {
	// LogLik is the objective whose gradients give the features (log-likelihood, ELBO or a
	// likelihood proxy) [B].
	LogLik *graph.Node
	// NLL is the negative log-likelihood in bits per dimension [B] (DDPM: its proxy per
	// dimension), for the baselines.
	NLL *graph.Node
}

// Model is one generative model of a given configuration.
type Model interface {
	// Kind is "glow", "vae", "ddpm" or "pixelcnn".
	Kind() string
	// Config is the configuration stored in weight files.
	Config() (json.RawMessage, error)
	// Build adds the per-image objective for batch images to g: LogLik, whose gradient features
	// are scored (the log-likelihood for Glow and PixelCNN++, the ELBO for the VAE, -L_t for
	// DDPM), and NLL, the quantity the likelihood baselines use (bits/dim for Glow, the VAE and
	// PixelCNN++, L_t per dimension for DDPM; higher is less likely).
	Build(g *graph.Graph, batch int) (Objective, error)
	// Inputs feeds images idx of s for scoring, with the noise a score needs (dequantization,
	// the posterior sample, the diffusion noise at the scoring step; none for PixelCNN++) drawn
	// from r.
	Inputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error)
	// TrainInputs feeds images idx of s for a training step (DDPM: a random step per image).
	TrainInputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error)
	// ImageShape is the shape images are brought to before padding to the model's input.
	ImageShape() data.Shape
	// InitParams draws initial parameters.
	InitParams(seed uint64) (graph.Feeds, error)
}

// FromMeta opens the model a weight file's metadata describes.
func FromMeta(meta weights.Meta) (Model, error) {
	switch meta.Kind {
	case "glow":
		cfg, err := decodeConfig[glow.Config](meta)
		return Glow{cfg}, err
	case "vae":
		cfg, err := decodeConfig[vae.Config](meta)
		return VAE{cfg}, err
	case "ddpm":
		cfg, err := decodeConfig[ddpm.Config](meta)
		return DDPM{Cfg: cfg, Step: 1}, err
	case "pixelcnn":
		cfg, err := decodeConfig[pixelcnn.Config](meta)
		return PixelCNN{cfg}, err
	}
	return nil, fmt.Errorf("model kind %q is not supported (want one of %v)", meta.Kind, Kinds)
}

// decodeConfig decodes and validates the configuration a weight file's metadata holds; fields
// the kind does not have are errors, so that a misspelt one is not silently left at zero.
func decodeConfig[C interface{ Validate() error }](meta weights.Meta) (C, error) {
	var c C
	if len(meta.Config) == 0 {
		return c, fmt.Errorf("%s: the weight file holds no model config", meta.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(meta.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s: config: %w", meta.Kind, err)
	}
	return c, c.Validate()
}

// paddedInputs reads images idx of s as NCHW pixels in [0, 1], zero-padded to size.
func paddedInputs(s *data.Set, idx []int, channels, size int) ([]float32, error) {
	return s.NCHW(idx, data.Shape{H: size, W: size, C: channels}, nil)
}

// Glow is a Glow flow: exact log-likelihood under uniform dequantization.
type Glow struct{ Cfg glow.Config }

// Kind implements Model.
func (m Glow) Kind() string { return "glow" }

// Config implements Model.
func (m Glow) Config() (json.RawMessage, error) { return json.Marshal(m.Cfg) }

// Build implements Model.
func (m Glow) Build(g *graph.Graph, batch int) (Objective, error) {
	net, err := glow.Build(g, m.Cfg, batch)
	if err != nil {
		return Objective{}, err
	}
	return Objective{LogLik: net.LogLik, NLL: net.BitsPerDim}, nil
}

// Inputs implements Model.
func (m Glow) Inputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	x, err := paddedInputs(s, idx, m.Cfg.Channels, m.Cfg.Size)
	if err != nil {
		return nil, err
	}
	m.Cfg.Dequantize(x, r)
	return graph.Feeds{"x": &graph.Tensor{Shape: graph.Shape{len(idx), m.Cfg.Channels, m.Cfg.Size, m.Cfg.Size}, Data: x}}, nil
}

// TrainInputs implements Model.
func (m Glow) TrainInputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	return m.Inputs(s, idx, r)
}

// ImageShape implements Model.
func (m Glow) ImageShape() data.Shape {
	return data.Shape{H: m.Cfg.Image(), W: m.Cfg.Image(), C: m.Cfg.Channels}
}

// InitParams implements Model (the data-dependent ActNorm initialization is separate:
// glow.DataInit).
func (m Glow) InitParams(seed uint64) (graph.Feeds, error) { return glow.InitParams(m.Cfg, seed) }

// VAE is a variational autoencoder scored by its ELBO with one posterior sample.
type VAE struct{ Cfg vae.Config }

// Kind implements Model.
func (m VAE) Kind() string { return "vae" }

// Config implements Model.
func (m VAE) Config() (json.RawMessage, error) { return json.Marshal(m.Cfg) }

// Build implements Model.
func (m VAE) Build(g *graph.Graph, batch int) (Objective, error) {
	net, err := vae.Build(g, m.Cfg, batch)
	if err != nil {
		return Objective{}, err
	}
	return Objective{LogLik: net.ELBO, NLL: net.BitsPerDim}, nil
}

// Inputs implements Model.
func (m VAE) Inputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	x, err := paddedInputs(s, idx, m.Cfg.Channels, m.Cfg.Size)
	if err != nil {
		return nil, err
	}
	return m.Cfg.Feeds(x, len(idx), r), nil
}

// TrainInputs implements Model.
func (m VAE) TrainInputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	return m.Inputs(s, idx, r)
}

// ImageShape implements Model.
func (m VAE) ImageShape() data.Shape {
	return data.Shape{H: m.Cfg.Image(), W: m.Cfg.Image(), C: m.Cfg.Channels}
}

// InitParams implements Model.
func (m VAE) InitParams(seed uint64) (graph.Feeds, error) { return vae.InitParams(m.Cfg, seed) }

// DDPM is a diffusion model scored by L_t at step Step (1-based) with seeded noise.
type DDPM struct {
	Cfg  ddpm.Config
	Step int
}

// Kind implements Model.
func (m DDPM) Kind() string { return "ddpm" }

// Config implements Model.
func (m DDPM) Config() (json.RawMessage, error) { return json.Marshal(m.Cfg) }

// Build implements Model.
func (m DDPM) Build(g *graph.Graph, batch int) (Objective, error) {
	net, err := ddpm.Build(g, m.Cfg, batch)
	if err != nil {
		return Objective{}, err
	}
	return Objective{LogLik: net.LogLik, NLL: net.PerDim}, nil
}

// Inputs implements Model: every image at step Step.
func (m DDPM) Inputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	if m.Step < 1 || m.Step > m.Cfg.Steps {
		return nil, fmt.Errorf("ddpm: scoring step %d outside 1..%d", m.Step, m.Cfg.Steps)
	}
	steps := make([]int, len(idx))
	for i := range steps {
		steps[i] = m.Step
	}
	return m.feeds(s, idx, steps, r)
}

// TrainInputs implements Model: each image at a uniformly drawn step.
func (m DDPM) TrainInputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	steps := make([]int, len(idx))
	for i := range steps {
		steps[i] = 1 + r.IntN(m.Cfg.Steps)
	}
	return m.feeds(s, idx, steps, r)
}

func (m DDPM) feeds(s *data.Set, idx, steps []int, r *rand.Rand) (graph.Feeds, error) {
	x, err := paddedInputs(s, idx, m.Cfg.Channels, m.Cfg.Size)
	if err != nil {
		return nil, err
	}
	return m.Cfg.Feeds(x, steps, r), nil
}

// ImageShape implements Model.
func (m DDPM) ImageShape() data.Shape {
	return data.Shape{H: m.Cfg.Image(), W: m.Cfg.Image(), C: m.Cfg.Channels}
}

// InitParams implements Model.
func (m DDPM) InitParams(seed uint64) (graph.Feeds, error) { return ddpm.InitParams(m.Cfg, seed) }

// PixelCNN is a PixelCNN++ scored by its exact log-likelihood of the 8-bit pixels.
type PixelCNN struct{ Cfg pixelcnn.Config }

// Kind implements Model.
func (m PixelCNN) Kind() string { return "pixelcnn" }

// Config implements Model.
func (m PixelCNN) Config() (json.RawMessage, error) { return json.Marshal(m.Cfg) }

// Build implements Model.
func (m PixelCNN) Build(g *graph.Graph, batch int) (Objective, error) {
	net, err := pixelcnn.Build(g, m.Cfg, batch)
	if err != nil {
		return Objective{}, err
	}
	return Objective{LogLik: net.LogLik, NLL: net.BitsPerDim}, nil
}

// Inputs implements Model: the likelihood is discrete, so r is not used.
func (m PixelCNN) Inputs(s *data.Set, idx []int, _ *rand.Rand) (graph.Feeds, error) {
	x, err := paddedInputs(s, idx, m.Cfg.Channels, m.Cfg.Size)
	if err != nil {
		return nil, err
	}
	return m.Cfg.Feeds(x, len(idx)), nil
}

// TrainInputs implements Model.
func (m PixelCNN) TrainInputs(s *data.Set, idx []int, r *rand.Rand) (graph.Feeds, error) {
	return m.Inputs(s, idx, r)
}

// ImageShape implements Model.
func (m PixelCNN) ImageShape() data.Shape {
	return data.Shape{H: m.Cfg.Image(), W: m.Cfg.Image(), C: m.Cfg.Channels}
}

// InitParams implements Model.
func (m PixelCNN) InitParams(seed uint64) (graph.Feeds, error) {
	return pixelcnn.InitParams(m.Cfg, seed)
}

// Package glow builds the multi-scale Glow flow of Kingma and Dhariwal (2018), as the paper's
// Appendix D uses it, as oodgpu graphs: squeeze, ActNorm, the LU-parameterized invertible 1x1
// convolution, affine coupling with a small convolutional network ending in a zero-initialized
// layer, and splits with learned Gaussian priors. Its log-likelihood is exact, in nats or bits per
// dimension under uniform dequantization.
package glow

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// Config sizes a Glow.
type Config struct {
	Levels   int `json:"levels"`   // multi-scale levels (each squeezes, runs Steps, then splits)
	Steps    int `json:"steps"`    // flow steps per level
	Hidden   int `json:"hidden"`   // width of the coupling networks
	Channels int `json:"channels"` // input channels (1 grey, 3 colour)
	Size     int `json:"size"`     // input height and width
	// ImageSize is the size of the images before zero padding to Size (28 for MNIST-like data
	// padded to 32); 0 means Size.
	ImageSize int    `json:"image_size,omitempty"`
	Bins      int    `json:"bins"` // quantization levels of the data (256 for 8-bit images)
	Seed      uint64 `json:"seed"` // fixes the permutations of the 1x1 convolutions
}

// Default is the FashionMNIST model of DESIGN.md: 3 levels of 8 steps, hidden width 128, on
// 1x32x32 inputs (28x28 images padded).
func Default() Config {
	return Config{Levels: 3, Steps: 8, Hidden: 128, Channels: 1, Size: 32, Bins: 256, Seed: 1}
}

// Bounds of a Config: far beyond any model oodgpu trains, small enough that building and
// scoring one cannot exhaust memory.
const (
	MaxLevels = 10      // multi-scale levels
	MaxSteps  = 256     // flow steps per level
	MaxHidden = 4096    // coupling network width
	MaxSize   = 1024    // input height and width
	MaxBins   = 1 << 16 // quantization levels
)

// Validate checks that the configuration describes a buildable flow of a sane size.
func (c Config) Validate() error {
	if err := c.validateRanges(); err != nil {
		return err
	}
	params, activation := c.sizes()
	return graph.CheckModelSize("glow", params, activation)
}

// validateRanges checks each field on its own; Levels is checked before 2^Levels is formed.
func (c Config) validateRanges() error {
	switch {
	case c.Levels < 1 || c.Levels > MaxLevels:
		return fmt.Errorf("glow: config: levels %d outside 1..%d", c.Levels, MaxLevels)
	case c.Steps < 1 || c.Steps > MaxSteps:
		return fmt.Errorf("glow: config: steps %d outside 1..%d", c.Steps, MaxSteps)
	case c.Hidden < 1 || c.Hidden > MaxHidden:
		return fmt.Errorf("glow: config: hidden width %d outside 1..%d", c.Hidden, MaxHidden)
	case c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("glow: config: channels %d: want 1 (grey) or 3 (colour)", c.Channels)
	case c.Size < 1 || c.Size > MaxSize:
		return fmt.Errorf("glow: config: size %d outside 1..%d", c.Size, MaxSize)
	case c.Size%(1<<c.Levels) != 0:
		return fmt.Errorf("glow: config: size %d must be divisible by 2^levels = %d", c.Size, 1<<c.Levels)
	case c.ImageSize < 0 || c.ImageSize > c.Size:
		return fmt.Errorf("glow: config: image size %d must be in [0, size %d]", c.ImageSize, c.Size)
	case c.Bins < 2 || c.Bins > MaxBins:
		return fmt.Errorf("glow: config: bins %d outside 2..%d", c.Bins, MaxBins)
	}
	return nil
}

// sizes returns the number of parameters and the number of values of the largest activation of
// one image, for a configuration whose fields are in range. They are counted in float64, which
// no such configuration can overflow, and exact below 2^53.
func (c Config) sizes() (params, activation float64) {
	ch, s, hid := float64(c.Channels), float64(c.Size), float64(c.Hidden)
	activation = ch * s * s
	for l := 0; l < c.Levels; l++ {
		ch, s = 4*ch, s/2 // squeeze
		actnorm := 2 * ch
		invconv := 2*ch*ch + ch
		coupling := (9*hid*ch/2 + 2*hid) + (hid*hid + 2*hid) + (9*ch*hid + 2*ch)
		params += float64(c.Steps) * (actnorm + invconv + coupling)
		activation = max(activation, max(ch, hid)*s*s)
		if l < c.Levels-1 {
			params += 9*ch*ch/2 + 2*ch // the split's prior
			ch /= 2
		}
	}
	return params + 2*ch, activation // the top prior
}

// Dims is the number of dimensions of one image, C*H*W.
func (c Config) Dims() int { return c.Channels * c.Size * c.Size }

// MarshalConfig encodes c for a weight file's metadata.
func (c Config) MarshalConfig() (json.RawMessage, error) { return json.Marshal(c) }

func expf(v float32) float64 { return math.Exp(float64(v)) }

// Dequantize turns 8-bit pixels given in [0, 1] (k/255) into the model's input in place:
// (k + u)/Bins - 0.5 with u uniform in [0, 1) drawn from r (uniform dequantization).
func (c Config) Dequantize(x []float32, r *rand.Rand) {
	for i, v := range x {
		k := math.Round(float64(v) * 255)
		x[i] = float32((k+r.Float64())/float64(c.Bins) - 0.5)
	}
}

// Image is the size of the images the model scores before padding.
func (c Config) Image() int {
	if c.ImageSize > 0 {
		return c.ImageSize
	}
	return c.Size
}

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

// Validate checks that the configuration describes a buildable flow.
func (c Config) Validate() error {
	switch {
	case c.Levels < 1 || c.Steps < 1 || c.Hidden < 1 || c.Channels < 1 || c.Bins < 2:
		return fmt.Errorf("glow: config %+v: levels, steps, hidden, channels must be >= 1 and bins >= 2", c)
	case c.ImageSize < 0 || c.ImageSize > c.Size:
		return fmt.Errorf("glow: config: image size %d must be in [0, size %d]", c.ImageSize, c.Size)
	case c.Size < 1 || c.Size%(1<<c.Levels) != 0:
		return fmt.Errorf("glow: config: size %d must be divisible by 2^levels = %d", c.Size, 1<<c.Levels)
	}
	return nil
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

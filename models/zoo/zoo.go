// Package zoo embeds oodgpu's default detector: a Glow trained on FashionMNIST with its fitted
// detectors, so that `oodgpu score` works without any download. docs/MODELS.md gives the
// commands and seeds that rebuild it.
package zoo

import (
	_ "embed"

	"github.com/oodgpu/oodgpu/models/weights"
)

// DefaultName names the embedded model in messages and metadata.
const DefaultName = "embedded glow-fashionmnist"

//go:embed glow-fashionmnist.safetensors
var defaultModel []byte

// Default decodes the embedded default model.
func Default() (*weights.File, error) {
	return weights.Decode(defaultModel)
}

// DefaultBytes returns the embedded default model's safetensors bytes (for serving them as
// they are). Callers must not modify them.
func DefaultBytes() []byte { return defaultModel }

package weights

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MetaKey is the "__metadata__" key under which oodgpu stores its Meta, as JSON (safetensors
// metadata values are strings).
const MetaKey = "oodgpu"

// FormatVersion is the Meta.Format this package writes and the only one it reads.
const FormatVersion = 1

// ErrNoMeta is returned by File.Meta for a safetensors file that oodgpu did not write.
var ErrNoMeta = errors.New("weights: not an oodgpu weight file (no oodgpu metadata)")

// Meta is oodgpu's description of a weight file: what model the tensors belong to, how it was
// configured and trained, and the detector statistics fitted on it.
type Meta struct {
	// Format is the version of this layout, FormatVersion.
	Format int `json:"format"`
	// Kind is the model family: "glow", "vae", "ddpm".
	Kind string `json:"kind"`
	// Config is the model's configuration, as the model package encodes it.
	Config json.RawMessage `json:"config,omitempty"`
	// TrainingData is the dataset spec the model was trained on, such as "fashionmnist:train".
	TrainingData string `json:"training_data,omitempty"`
	// Detector holds the detector's fitted statistics, if it has been fitted.
	Detector json.RawMessage `json:"detector,omitempty"`
}

// Meta decodes the oodgpu metadata of f. It returns an error wrapping ErrNoMeta when f has none, and
// an error when the format version is unsupported or the metadata is malformed.
func (f *File) Meta() (Meta, error) {
	s, ok := f.Metadata[MetaKey]
	if !ok {
		return Meta{}, ErrNoMeta
	}
	var version struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal([]byte(s), &version); err != nil {
		return Meta{}, fmt.Errorf("weights: invalid oodgpu metadata: %w", err)
	}
	switch {
	case version.Format == nil:
		return Meta{}, errors.New("weights: invalid oodgpu metadata: no format version")
	case *version.Format != FormatVersion:
		return Meta{}, fmt.Errorf("weights: unsupported oodgpu metadata format %d (this build reads format %d)", *version.Format, FormatVersion)
	}
	// Unmarshal above has checked the syntax (including data after the object).
	var m Meta
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("weights: invalid oodgpu metadata: %w", err)
	}
	if m.Kind == "" {
		return Meta{}, errors.New("weights: invalid oodgpu metadata: no model kind")
	}
	return m, nil
}

// SetMeta stores m as f's oodgpu metadata, keeping any other metadata. A zero Format is set to
// FormatVersion; Kind is required.
func (f *File) SetMeta(m Meta) error {
	if m.Format == 0 {
		m.Format = FormatVersion
	}
	if m.Format != FormatVersion {
		return fmt.Errorf("weights: set metadata: unsupported format %d (this build writes format %d)", m.Format, FormatVersion)
	}
	if m.Kind == "" {
		return errors.New("weights: set metadata: no model kind")
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("weights: set metadata: %w", err)
	}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	f.Metadata[MetaKey] = string(b)
	return nil
}

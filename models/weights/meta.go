package weights

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
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
	if err := m.Validate(); err != nil {
		return Meta{}, fmt.Errorf("weights: invalid oodgpu metadata: %w", err)
	}
	return m, nil
}

// MaxTextLen bounds the length in bytes of Meta's text fields.
const MaxTextLen = 1024

// Validate checks the fields this package knows: the format version, a kind and a training data
// spec that are short printable text, and a config and detector that are JSON objects when
// present. The model and detector packages check what the config and detector hold.
func (m Meta) Validate() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("format %d: this build handles format %d", m.Format, FormatVersion)
	case m.Kind == "":
		return errors.New("no model kind")
	}
	if err := checkText("model kind", m.Kind); err != nil {
		return err
	}
	if err := checkText("training data", m.TrainingData); err != nil {
		return err
	}
	if err := checkObject("config", m.Config); err != nil {
		return err
	}
	return checkObject("detector", m.Detector)
}

// checkText reports an error unless s is printable UTF-8 text of at most MaxTextLen bytes.
func checkText(field, s string) error {
	if len(s) > MaxTextLen {
		return fmt.Errorf("%s is %d bytes long, over %d", field, len(s), MaxTextLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%s %q holds a control or unprintable character", field, s)
		}
	}
	return nil
}

// checkObject reports an error unless raw is empty (absent) or a JSON object.
func checkObject(field string, raw json.RawMessage) error {
	if v := bytes.TrimSpace(raw); len(raw) > 0 && (len(v) == 0 || v[0] != '{') {
		return fmt.Errorf("%s must be a JSON object, got %.20s", field, raw)
	}
	return nil
}

// SetMeta stores m as f's oodgpu metadata, keeping any other metadata. A zero Format is set to
// FormatVersion; Kind is required.
func (f *File) SetMeta(m Meta) error {
	if m.Format == 0 {
		m.Format = FormatVersion
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("weights: set metadata: %w", err)
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

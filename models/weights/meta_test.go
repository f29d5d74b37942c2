package weights

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

func TestMetaRoundTrip(t *testing.T) {
	f := &File{
		Tensors:  map[string]*graph.Tensor{"w": {Shape: graph.Shape{2}, Data: []float32{1, 2}}},
		Metadata: map[string]string{"framework": "oodgpu"},
	}
	want := Meta{
		Kind:         "glow",
		Config:       json.RawMessage(`{"levels":3,"steps":8}`),
		TrainingData: "fashionmnist:train",
		Detector:     json.RawMessage(`{"mean":[1.5,2],"cov":[[1,0],[0,1]]}`),
	}
	if err := f.SetMeta(want); err != nil {
		t.Fatal(err)
	}
	if f.Metadata["framework"] != "oodgpu" {
		t.Error("SetMeta dropped other metadata")
	}
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Meta()
	if err != nil {
		t.Fatal(err)
	}
	want.Format = FormatVersion
	if got.Format != want.Format || got.Kind != want.Kind || got.TrainingData != want.TrainingData ||
		string(got.Config) != string(want.Config) || string(got.Detector) != string(want.Detector) {
		t.Errorf("Meta = %+v, want %+v", got, want)
	}

	// Optional fields may be left out, and SetMeta on a file without metadata creates it.
	h := &File{}
	if err := h.SetMeta(Meta{Kind: "vae"}); err != nil {
		t.Fatal(err)
	}
	if s := h.Metadata[MetaKey]; s != `{"format":1,"kind":"vae"}` {
		t.Errorf("stored metadata %s", s)
	}
	if m, err := h.Meta(); err != nil || m.Kind != "vae" || m.Config != nil || m.Detector != nil {
		t.Errorf("Meta = %+v, %v", m, err)
	}
}

func TestMetaErrors(t *testing.T) {
	cases := []struct {
		name     string
		metadata map[string]string
		want     string
	}{
		{"foreign file", nil, "weights: not an oodgpu weight file (no oodgpu metadata)"},
		{"foreign metadata", map[string]string{"format": "pt"}, "weights: not an oodgpu weight file (no oodgpu metadata)"},
		{"future format", map[string]string{MetaKey: `{"format":2,"kind":"glow","new":true}`}, "weights: unsupported oodgpu metadata format 2 (this build reads format 1)"},
		{"no format", map[string]string{MetaKey: `{"kind":"glow"}`}, "no format version"},
		{"not JSON", map[string]string{MetaKey: `glow`}, "invalid oodgpu metadata"},
		{"not an object", map[string]string{MetaKey: `[1]`}, "invalid oodgpu metadata"},
		{"unknown field", map[string]string{MetaKey: `{"format":1,"kind":"glow","trainingData":"x"}`}, `unknown field "trainingData"`},
		{"wrong type", map[string]string{MetaKey: `{"format":1,"kind":3}`}, "invalid oodgpu metadata"},
		{"trailing data", map[string]string{MetaKey: `{"format":1,"kind":"glow"} {}`}, "invalid oodgpu metadata: invalid character"},
		{"no kind", map[string]string{MetaKey: `{"format":1}`}, "no model kind"},
		{"control character in the kind", map[string]string{MetaKey: `{"format":1,"kind":"glow\u001b[2J"}`}, "model kind \"glow\\x1b[2J\" holds a control"},
		{"long training data", map[string]string{MetaKey: `{"format":1,"kind":"glow","training_data":"` + strings.Repeat("x", 2000) + `"}`}, "training data is 2000 bytes long, over 1024"},
		{"config not an object", map[string]string{MetaKey: `{"format":1,"kind":"glow","config":[3]}`}, "config must be a JSON object, got [3]"},
		{"null config", map[string]string{MetaKey: `{"format":1,"kind":"glow","config":null}`}, "config must be a JSON object, got null"},
		{"detector not an object", map[string]string{MetaKey: `{"format":1,"kind":"glow","detector":"x"}`}, `detector must be a JSON object, got "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := (&File{Metadata: c.metadata}).Meta()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Meta error %v, want it to contain %q", err, c.want)
			}
		})
	}
	_, err := (&File{}).Meta()
	if !errors.Is(err, ErrNoMeta) {
		t.Errorf("Meta of a foreign file: %v, want ErrNoMeta", err)
	}

	f := &File{}
	for _, m := range []Meta{
		{Format: 2, Kind: "glow"},
		{Kind: ""},
		{Kind: "glow", Config: json.RawMessage(`{bad`)},
		{Kind: "glow", Config: json.RawMessage(`  `)},
		{Kind: "glow", Detector: json.RawMessage(`[]`)},
		{Kind: "glow\n"},
		{Kind: "glow", TrainingData: "\xff"}, // JSON decoding would have replaced it
	} {
		if err := f.SetMeta(m); err == nil {
			t.Errorf("SetMeta(%+v) succeeded", m)
		}
	}
	if f.Metadata != nil {
		t.Error("a failed SetMeta changed the file")
	}
}

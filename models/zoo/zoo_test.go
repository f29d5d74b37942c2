package zoo

import (
	"testing"
)

func TestDefaultModelDecodes(t *testing.T) {
	f, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Meta()
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "glow" || len(m.Detector) == 0 || len(f.Tensors) < 300 {
		t.Fatalf("default model: kind %q, %d tensors, detector %d bytes", m.Kind, len(f.Tensors), len(m.Detector))
	}
	if len(defaultModel) > 16<<20 {
		t.Fatalf("default model is %d bytes, over 16 MB", len(defaultModel))
	}
}

package scorer

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/models/zoo"
)

// FuzzLoadMeta replaces the oodgpu metadata of the default model by the fuzzer's string, writes
// the file with the weights package and loads it with Decode: no metadata may panic the loader,
// and a model that loads must score an image on the CPU executor without panicking (errors are
// fine), its rows encode as JSON, and a row with a NaN or infinite number is OOD with a reason.
// Scoring runs only when the input size is at most the default's 32, which keeps an
// iteration to a fraction of a second: Glow's tensors do not depend on the size, so larger sizes
// load and would make an iteration slow.
func FuzzLoadMeta(f *testing.F) {
	base, err := zoo.Default()
	if err != nil {
		f.Fatal(err)
	}
	orig := base.Metadata[weights.MetaKey]
	f.Add(orig)
	for _, c := range badMetaCases {
		f.Add(editedMeta(f, orig, c.edit))
	}
	f.Add(editedMeta(f, orig, withSVM))
	f.Add(editedMeta(f, orig, setConfig("image_size", 1)))
	f.Add(editedMeta(f, orig, setConfig("size", 64)))
	f.Add(`{"format":1,"kind":"glow"}`)
	f.Fuzz(func(t *testing.T, meta string) {
		file := &weights.File{Tensors: base.Tensors, Metadata: map[string]string{weights.MetaKey: meta}, Half: base.Half}
		b, err := weights.Encode(file)
		if err != nil {
			return
		}
		m, err := Decode("fuzz.safetensors", b)
		if err != nil {
			return
		}
		if g, ok := m.Net.(models.Glow); !ok || g.Cfg.Size > 32 {
			return
		}
		shape := m.ImageShape()
		set := &data.Set{Name: "fuzz", N: 1, Shape: shape, Pix: make([]uint8, shape.Size())}
		for i := range set.Pix {
			set.Pix[i] = uint8(i * 7)
		}
		rows, err := m.Score(context.Background(), cpu.New(), set, []string{"fuzz"}, 1, 1, nil)
		if err != nil {
			return
		}
		if _, err := json.Marshal(rows); err != nil {
			t.Fatalf("encoding rows: %v", err)
		}
		for _, r := range rows {
			if !finite(r.NLL) || !finite(r.Score) || !finite(r.Typicality) {
				if r.Verdict != OOD || r.Invalid == "" {
					t.Fatalf("row with non-finite numbers is %q (invalid %q): %+v", r.Verdict, r.Invalid, r)
				}
			}
		}
	})
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

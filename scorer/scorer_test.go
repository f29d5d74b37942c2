package scorer

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/models/zoo"
)

func defaultModel(t *testing.T) *Model {
	t.Helper()
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromFile(zoo.DefaultName, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecodeRejectsBadFiles(t *testing.T) {
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	good, err := weights.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "model.safetensors"},
		{"not safetensors", []byte("\x89PNG\r\n\x1a\n0000000000"), "model.safetensors"},
		{"truncated", good[:len(good)/2], "model.safetensors"},
	}
	for _, c := range cases {
		if _, err := Decode("model.safetensors", c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if _, err := Decode("model.safetensors", good); err != nil {
		t.Errorf("re-encoded default model: %v", err)
	}
}

func TestScoreExamples(t *testing.T) {
	m := defaultModel(t)
	paths := []string{"../examples/fashionmnist-test-0.png", "../examples/noise-generated.png"}
	var sets []*data.Set
	for _, p := range paths {
		s, err := data.LoadImageFile(p, m.ImageShape())
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, s)
	}
	ctx := context.Background()
	var rows []Row
	for i, s := range sets {
		got, err := m.Score(ctx, cpu.New(), s, []string{paths[i]}, 1, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, got...)
	}
	layers, err := m.ZLayers(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if math.IsNaN(r.Score) || math.IsInf(r.Score, 0) || r.Invalid != "" || len(r.ZScores) != len(layers) {
			t.Errorf("%s: score %v, invalid %q, %d z-scores for %d layers", r.Input, r.Score, r.Invalid, len(r.ZScores), len(layers))
		}
		if r.NLL < 0.5 || r.NLL > 10 {
			t.Errorf("%s: NLL %.3f bits/dim is not plausible for this model", r.Input, r.NLL)
		}
	}
	if rows[0].Verdict != InDistribution || rows[1].Verdict != OOD {
		t.Errorf("verdicts %q (FashionMNIST) and %q (uniform noise), want %q and %q", rows[0].Verdict, rows[1].Verdict, InDistribution, OOD)
	}
	if _, err := m.Score(ctx, cpu.New(), sets[0], []string{"a", "b"}, 1, 1, nil); err == nil {
		t.Error("two names for one image were accepted")
	}
	if _, err := m.Score(ctx, cpu.New(), sets[0], []string{"a"}, 3, 1, nil); err == nil {
		t.Error("B = 3 without a fitted detector was accepted")
	}
}

// TestZooModels opens every weight file in models/zoo: each is a model with detectors for
// B = 1 and 5, trained on the data its metadata names; together they stay within the 24 MB the
// repository allows for weights.
func TestZooModels(t *testing.T) {
	paths, err := filepath.Glob("../models/zoo/*.safetensors")
	if err != nil || len(paths) < 2 {
		t.Fatalf("zoo files %v: %v", paths, err)
	}
	var total int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	if total > 24_000_000 {
		t.Errorf("models/zoo holds %d bytes of weights, over 24 MB", total)
	}
	for _, p := range paths {
		m, err := Load(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for _, b := range []int{1, 5} {
			if _, err := m.Detector(b); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		if !strings.Contains(filepath.Base(p), strings.SplitN(m.Meta.TrainingData, ":", 2)[0]) {
			t.Errorf("%s was trained on %q", p, m.Meta.TrainingData)
		}
	}
}

func TestChunkFor(t *testing.T) {
	tests := []struct {
		groups []int
		n      int
		want   int
	}{
		{[]int{1}, 1, 1},
		{[]int{1}, 7, 7},
		{[]int{1}, 40, 40},
		{[]int{1}, 100, 25},  // 4 x 25 on one plan, not 40, 40, 20
		{[]int{1}, 1000, 40}, // the bench's sets: unchanged
		{[]int{1, 5}, 1000, 40},
		{[]int{1, 5}, 13, 15},  // rounded up to a whole group
		{[]int{1}, 97, 40},     // no divisor from 20 to 40: 40, 40, 17
		{[]int{1, 5}, 150, 30}, // a multiple of 5 that divides 150
	}
	for _, tc := range tests {
		if got := ChunkFor(tc.groups, tc.n); got != tc.want {
			t.Errorf("ChunkFor(%v, %d) = %d, want %d", tc.groups, tc.n, got, tc.want)
		}
	}
}

package models

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/ddpm"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/pixelcnn"
	"github.com/oodgpu/oodgpu/models/vae"
	"github.com/oodgpu/oodgpu/models/weights"
)

// TestKinds opens each kind from its metadata, builds it and feeds two 28x28 images to it.
func TestKinds(t *testing.T) {
	gc := glow.Config{Levels: 2, Steps: 1, Hidden: 4, Channels: 1, Size: 32, ImageSize: 28, Bins: 256, Seed: 1}
	dc := ddpm.Config{Channels: 1, Size: 32, ImageSize: 28, Base: 8, Mults: []int{1, 2}, Steps: 10, BetaStart: 1e-4, BetaEnd: 0.02}
	vc := vae.Config{Channels: 1, Size: 32, ImageSize: 28, Hidden: 4, Latent: 2}
	pc := pixelcnn.Config{Channels: 1, Size: 32, ImageSize: 28, Filters: 4, Levels: 2, Blocks: 1, Mixtures: 2}
	set := &data.Set{N: 2, Shape: data.Shape{H: 28, W: 28, C: 1}, Pix: make([]uint8, 2*28*28)}
	for i := range set.Pix {
		set.Pix[i] = uint8(i)
	}
	for _, c := range []struct {
		kind string
		cfg  any
	}{{"glow", gc}, {"vae", vc}, {"ddpm", dc}, {"pixelcnn", pc}} {
		raw, err := json.Marshal(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		m, err := FromMeta(weights.Meta{Kind: c.kind, Config: raw})
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if m.Kind() != c.kind || m.ImageShape() != set.Shape {
			t.Errorf("%s: kind %s, image shape %v", c.kind, m.Kind(), m.ImageShape())
		}
		g := graph.New()
		obj, err := m.Build(g, 2)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if obj.LogLik.Shape()[0] != 2 || obj.NLL.Shape()[0] != 2 {
			t.Errorf("%s: objective shapes %v and %v", c.kind, obj.LogLik.Shape(), obj.NLL.Shape())
		}
		for _, inputs := range []func(*data.Set, []int, *rand.Rand) (graph.Feeds, error){m.Inputs, m.TrainInputs} {
			feeds, err := inputs(set, []int{0, 1}, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatalf("%s: %v", c.kind, err)
			}
			for _, in := range g.Inputs() {
				if f, ok := feeds[in.LeafName()]; !ok || !f.Shape.Equal(in.Shape()) {
					t.Errorf("%s: input %s %v: fed %v", c.kind, in.LeafName(), in.Shape(), f)
				}
			}
		}
		params, err := m.InitParams(1)
		if err != nil || len(params) != len(g.Params()) {
			t.Errorf("%s: %d initial parameters for %d: %v", c.kind, len(params), len(g.Params()), err)
		}
	}
}

func TestFromMetaErrors(t *testing.T) {
	for _, c := range []struct {
		meta weights.Meta
		want string
	}{
		{weights.Meta{Kind: "pixelsnail", Config: json.RawMessage(`{}`)}, "pixelsnail"},
		{weights.Meta{Kind: "pixelcnn", Config: json.RawMessage(`{"channels": 1, "size": 32, "filters": 32, "levels": 2, "blocks": 2, "mixtures": 1000}`)},
			"mixtures 1000 outside 1..256"},
		{weights.Meta{Kind: "pixelcnn", Config: json.RawMessage(`{"channels": 1, "size": 32, "filters": 32, "levels": 2, "blocks": 2, "mixture": 5}`)},
			`unknown field "mixture"`},
		{weights.Meta{Kind: "vae", Config: json.RawMessage(`{"channels": 1, "size": 12, "hidden": 4, "latent": 2}`)}, "size 12"},
		{weights.Meta{Kind: "ddpm", Config: json.RawMessage(`[1, 2]`)}, "ddpm: config"},
		{weights.Meta{Kind: "glow", Config: json.RawMessage(`{"levels": 64, "steps": 8, "hidden": 128, "channels": 1, "size": 32, "bins": 256}`)},
			"levels 64 outside 1..10"},
		{weights.Meta{Kind: "ddpm", Config: json.RawMessage(`{"channels": 1, "size": 32, "base": 8, "mults": [` +
			strings.Repeat("1, ", 64) + `1], "steps": 10, "beta_start": 0.0001, "beta_end": 0.02}`)}, "65 channel multipliers"},
		{weights.Meta{Kind: "glow", Config: json.RawMessage(`{"level": 3, "steps": 8, "hidden": 128, "channels": 1, "size": 32, "bins": 256}`)},
			`unknown field "level"`},
		{weights.Meta{Kind: "vae"}, "vae: the weight file holds no model config"},
		{weights.Meta{Kind: "glow", Config: json.RawMessage(`null`)}, "glow: config: levels 0"},
	} {
		if _, err := FromMeta(c.meta); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.meta.Kind, err, c.want)
		}
	}
}

// TestSample draws a few images from each kind with initial parameters: the right count and
// shape, and the same pixels for the same seed.
func TestSample(t *testing.T) {
	kinds := []Model{
		Glow{glow.Config{Levels: 2, Steps: 1, Hidden: 4, Channels: 1, Size: 8, ImageSize: 6, Bins: 256, Seed: 1}},
		VAE{vae.Config{Channels: 3, Size: 8, Hidden: 4, Latent: 2}},
		DDPM{Cfg: ddpm.Config{Channels: 1, Size: 8, Base: 8, Mults: []int{1, 2}, Steps: 5, BetaStart: 1e-4, BetaEnd: 0.02}, Step: 1},
		PixelCNN{pixelcnn.Config{Channels: 1, Size: 8, ImageSize: 6, Filters: 4, Levels: 2, Blocks: 1, Mixtures: 2}},
	}
	for _, m := range kinds {
		params, err := m.InitParams(3)
		if err != nil {
			t.Fatal(err)
		}
		var sets []*data.Set
		for range 2 {
			s, err := Sample(context.Background(), cpu.New(), m, params, SampleOptions{N: 3, Seed: 9, Temperature: 0.7})
			if err != nil {
				t.Fatalf("%s: %v", m.Kind(), err)
			}
			sets = append(sets, s)
		}
		if sets[0].N != 3 || sets[0].Shape != m.ImageShape() || len(sets[0].Pix) != 3*m.ImageShape().Size() {
			t.Errorf("%s: %d samples of %v", m.Kind(), sets[0].N, sets[0].Shape)
		}
		if string(sets[0].Pix) != string(sets[1].Pix) {
			t.Errorf("%s: the same seed gave different samples", m.Kind())
		}
	}
}

// TestDenoiseStep checks DDPM's sampling step against the paper's Eq. 11 where the predicted
// clean image lies in the data range, and that the last step returns that image clipped.
func TestDenoiseStep(t *testing.T) {
	cfg := ddpm.Config{Steps: 1000, BetaStart: 1e-4, BetaEnd: 0.02}
	abar := cfg.AlphaBar(cfg.Steps)
	for step := cfg.Steps; step >= 1; step-- {
		beta := cfg.Beta(step)
		s := newDenoiseStep(abar, beta)
		for _, c := range []struct{ x0, eps, z float64 }{{0.3, 0.5, -1.2}, {-0.9, -2, 0.4}, {1, 0, 0}} {
			xt := math.Sqrt(abar)*c.x0 + math.Sqrt(1-abar)*c.eps
			eq11 := (xt-beta/math.Sqrt(1-abar)*c.eps)/math.Sqrt(1-beta) + math.Sqrt(beta)*c.z
			if got := s.next(xt, c.eps, c.z); math.Abs(got-eq11) > 1e-9 {
				t.Fatalf("t = %d, %+v: %g, Eq. 11 gives %g", step, c, got, eq11)
			}
		}
		abar /= 1 - beta
	}
	last := newDenoiseStep(cfg.AlphaBar(1), cfg.Beta(1))
	for _, c := range []struct{ xt, eps, want float64 }{{5, 0, 1}, {-3, 0.1, -1}, {0.2, 0, 0.2 / math.Sqrt(cfg.AlphaBar(1))}} {
		if got := last.next(c.xt, c.eps, 0); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("t = 1 from x_1 = %g, eps %g: %g, want %g", c.xt, c.eps, got, c.want)
		}
	}
}

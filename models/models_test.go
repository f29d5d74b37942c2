package models

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/ddpm"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/vae"
	"github.com/oodgpu/oodgpu/models/weights"
)

// TestKinds opens each kind from its metadata, builds it and feeds two 28x28 images to it.
func TestKinds(t *testing.T) {
	gc := glow.Config{Levels: 2, Steps: 1, Hidden: 4, Channels: 1, Size: 32, ImageSize: 28, Bins: 256, Seed: 1}
	dc := ddpm.Config{Channels: 1, Size: 32, ImageSize: 28, Base: 8, Mults: []int{1, 2}, Steps: 10, BetaStart: 1e-4, BetaEnd: 0.02}
	vc := vae.Config{Channels: 1, Size: 32, ImageSize: 28, Hidden: 4, Latent: 2}
	set := &data.Set{N: 2, Shape: data.Shape{H: 28, W: 28, C: 1}, Pix: make([]uint8, 2*28*28)}
	for i := range set.Pix {
		set.Pix[i] = uint8(i)
	}
	for _, c := range []struct {
		kind string
		cfg  any
	}{{"glow", gc}, {"vae", vc}, {"ddpm", dc}} {
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
		{weights.Meta{Kind: "pixelcnn", Config: json.RawMessage(`{}`)}, "pixelcnn"},
		{weights.Meta{Kind: "vae", Config: json.RawMessage(`{"channels": 1, "size": 12, "hidden": 4, "latent": 2}`)}, "size 12"},
		{weights.Meta{Kind: "ddpm", Config: json.RawMessage(`[1, 2]`)}, "ddpm: config"},
	} {
		if _, err := FromMeta(c.meta); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.meta.Kind, err, c.want)
		}
	}
}

package vae

import (
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
	"github.com/oodgpu/oodgpu/models/configtest"
)

func TestConfigRanges(t *testing.T) {
	cases := []configtest.ConfigCase[Config]{
		{Name: "two channels", Edit: func(c *Config) { c.Channels = 2 }, Want: "channels 2: want 1 (grey) or 3 (colour)"},
		{Name: "hidden 0", Edit: func(c *Config) { c.Hidden = 0 }, Want: "hidden width 0 outside"},
		{Name: "hidden 2^40", Edit: func(c *Config) { c.Hidden = 1 << 40 }, Want: "hidden width 1099511627776 outside"},
		{Name: "latent 0", Edit: func(c *Config) { c.Latent = 0 }, Want: "latent dimensions 0 outside"},
		{Name: "latent 2^40", Edit: func(c *Config) { c.Latent = 1 << 40 }, Want: "latent dimensions 1099511627776 outside"},
		{Name: "size 12", Edit: func(c *Config) { c.Size = 12 }, Want: "size 12 must be a multiple of 8"},
		{Name: "size 2^20", Edit: func(c *Config) { c.Size = 1 << 20 }, Want: "size 1048576 must be"},
		{Name: "image size over size", Edit: func(c *Config) { c.ImageSize = 33 }, Want: "image size 33"},
		{Name: "too many parameters", Edit: func(c *Config) { c.Size, c.Latent = 1024, 4096 }, Want: "parameters, over the limit"},
		{Name: "too large activations", Edit: func(c *Config) { c.Size, c.Hidden, c.Latent = 1024, 128, 1 }, Want: "activations of 134217728 values per image"},
	}
	configtest.CheckConfigRanges(t, Default, func(g *graph.Graph, c Config) error {
		_, err := Build(g, c, 1)
		return err
	}, cases)
}

// TestSizes checks the counts Validate bounds against the graphs Build makes: the parameter
// count exactly, and the largest activation of one image, found as the largest node that
// doubles from batch 1 to batch 2.
func TestSizes(t *testing.T) {
	for _, cfg := range []Config{Default(), {Channels: 1, Size: 32, Hidden: 8, Latent: 4}, {Channels: 3, Size: 16, Hidden: 4, Latent: 3}, {Channels: 3, Size: 8, Hidden: 1, Latent: 200}} {
		params, activation := cfg.sizes()
		n, largest, err := graphtest.BuiltSizes(func(g *graph.Graph, batch int) error {
			_, err := Build(g, cfg, batch)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if float64(n) != params || float64(largest) != activation {
			t.Errorf("%+v: %d parameters and a largest activation of %d, sizes says %.0f and %.0f",
				cfg, n, largest, params, activation)
		}
	}
}

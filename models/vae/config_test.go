package vae

import (
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

func TestConfigRanges(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"two channels", func(c *Config) { c.Channels = 2 }, "channels 2: want 1 (grey) or 3 (colour)"},
		{"hidden 0", func(c *Config) { c.Hidden = 0 }, "hidden width 0 outside"},
		{"hidden 2^40", func(c *Config) { c.Hidden = 1 << 40 }, "hidden width 1099511627776 outside"},
		{"latent 0", func(c *Config) { c.Latent = 0 }, "latent dimensions 0 outside"},
		{"latent 2^40", func(c *Config) { c.Latent = 1 << 40 }, "latent dimensions 1099511627776 outside"},
		{"size 12", func(c *Config) { c.Size = 12 }, "size 12 must be a multiple of 8"},
		{"size 2^20", func(c *Config) { c.Size = 1 << 20 }, "size 1048576 must be"},
		{"image size over size", func(c *Config) { c.ImageSize = 33 }, "image size 33"},
		{"too many parameters", func(c *Config) { c.Size, c.Latent = 1024, 4096 }, "parameters, over the limit"},
		{"too large activations", func(c *Config) { c.Size, c.Hidden, c.Latent = 1024, 128, 1 }, "activations of 134217728 values per image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, c.want)
			}
			if _, err := Build(graph.New(), cfg, 1); err == nil {
				t.Error("Build accepted the config")
			}
		})
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

// TestSizes checks the counts Validate bounds against the graphs Build makes: the parameter
// count exactly, and the largest activation of one image, found as the largest node that
// doubles from batch 1 to batch 2.
func TestSizes(t *testing.T) {
	for _, cfg := range []Config{Default(), {Channels: 3, Size: 16, Hidden: 4, Latent: 3}, {Channels: 3, Size: 8, Hidden: 1, Latent: 200}} {
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

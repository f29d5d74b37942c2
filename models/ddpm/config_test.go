package ddpm

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
		{"65 multipliers", func(c *Config) { c.Mults = make([]int, 65) }, "65 channel multipliers, want 1..8"},
		{"no multipliers", func(c *Config) { c.Mults = nil }, "0 channel multipliers"},
		{"multiplier 0", func(c *Config) { c.Mults = []int{1, 0} }, "each must be in 1..64"},
		{"multiplier 2^40", func(c *Config) { c.Mults = []int{1, 1 << 40} }, "each must be in 1..64"},
		{"two channels", func(c *Config) { c.Channels = 2 }, "channels 2: want 1 (grey) or 3 (colour)"},
		{"base 12", func(c *Config) { c.Base = 12 }, "base 12 must be a multiple of 8"},
		{"base 2^20", func(c *Config) { c.Base = 1 << 20 }, "base 1048576"},
		{"size 0", func(c *Config) { c.Size = 0 }, "size 0 outside"},
		{"size 2^20", func(c *Config) { c.Size = 1 << 20 }, "size 1048576 outside"},
		{"size 30", func(c *Config) { c.Size = 30 }, "size 30 must be divisible by 4"},
		{"image size over size", func(c *Config) { c.ImageSize = 33 }, "image size 33"},
		{"steps 0", func(c *Config) { c.Steps = 0 }, "steps 0 outside"},
		{"steps 10^9", func(c *Config) { c.Steps = 1e9 }, "steps 1000000000 outside"},
		{"beta end 1", func(c *Config) { c.BetaEnd = 1 }, "need 0 < beta_start <= beta_end < 1"},
		{"betas reversed", func(c *Config) { c.BetaStart = 0.1 }, "need 0 < beta_start"},
		{"beta 0", func(c *Config) { c.BetaStart = 0 }, "need 0 < beta_start"},
		{"too many parameters", func(c *Config) { c.Base, c.Mults = 1024, []int{8, 8} }, "parameters, over the limit"},
		{"attention over every pixel pair", func(c *Config) { c.Size, c.Mults = 128, []int{1} }, "activations of 268435456 values per image"},
		{"too large activations", func(c *Config) { c.Base, c.Size, c.Mults, c.Attention = 64, 1024, []int{1}, false }, "activations of 134217728 values per image"},
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
	small := Config{Channels: 3, Size: 8, Base: 8, Mults: []int{1, 2}, Steps: 10, BetaStart: 1e-4, BetaEnd: 0.02}
	attention := small
	attention.Attention = true
	wide := Config{Channels: 1, Size: 16, Base: 16, Mults: []int{2, 1, 3}, Attention: true, Steps: 10, BetaStart: 1e-4, BetaEnd: 0.02}
	for _, cfg := range []Config{Default(), small, attention, wide} {
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

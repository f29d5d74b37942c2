package ddpm

import (
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
	"github.com/oodgpu/oodgpu/models/configtest"
)

func TestConfigRanges(t *testing.T) {
	cases := []configtest.ConfigCase[Config]{
		{Name: "65 multipliers", Edit: func(c *Config) { c.Mults = make([]int, 65) }, Want: "65 channel multipliers, want 1..8"},
		{Name: "no multipliers", Edit: func(c *Config) { c.Mults = nil }, Want: "0 channel multipliers"},
		{Name: "multiplier 0", Edit: func(c *Config) { c.Mults = []int{1, 0} }, Want: "each must be in 1..64"},
		{Name: "multiplier 2^40", Edit: func(c *Config) { c.Mults = []int{1, 1 << 40} }, Want: "each must be in 1..64"},
		{Name: "two channels", Edit: func(c *Config) { c.Channels = 2 }, Want: "channels 2: want 1 (grey) or 3 (colour)"},
		{Name: "base 12", Edit: func(c *Config) { c.Base = 12 }, Want: "base 12 must be a multiple of 8"},
		{Name: "base 2^20", Edit: func(c *Config) { c.Base = 1 << 20 }, Want: "base 1048576"},
		{Name: "size 0", Edit: func(c *Config) { c.Size = 0 }, Want: "size 0 outside"},
		{Name: "size 2^20", Edit: func(c *Config) { c.Size = 1 << 20 }, Want: "size 1048576 outside"},
		{Name: "size 30", Edit: func(c *Config) { c.Size = 30 }, Want: "size 30 must be divisible by 4"},
		{Name: "image size over size", Edit: func(c *Config) { c.ImageSize = 33 }, Want: "image size 33"},
		{Name: "steps 0", Edit: func(c *Config) { c.Steps = 0 }, Want: "steps 0 outside"},
		{Name: "steps 10^9", Edit: func(c *Config) { c.Steps = 1e9 }, Want: "steps 1000000000 outside"},
		{Name: "beta end 1", Edit: func(c *Config) { c.BetaEnd = 1 }, Want: "need 0 < beta_start <= beta_end < 1"},
		{Name: "betas reversed", Edit: func(c *Config) { c.BetaStart = 0.1 }, Want: "need 0 < beta_start"},
		{Name: "beta 0", Edit: func(c *Config) { c.BetaStart = 0 }, Want: "need 0 < beta_start"},
		{Name: "too many parameters", Edit: func(c *Config) { c.Base, c.Mults = 1024, []int{8, 8} }, Want: "parameters, over the limit"},
		{Name: "attention over every pixel pair", Edit: func(c *Config) { c.Size, c.Mults = 128, []int{1} }, Want: "activations of 268435456 values per image"},
		{Name: "too large activations", Edit: func(c *Config) { c.Base, c.Size, c.Mults, c.Attention = 64, 1024, []int{1}, false }, Want: "activations of 134217728 values per image"},
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

package glow

import (
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
	"github.com/oodgpu/oodgpu/models/configtest"
)

func TestConfigErrors(t *testing.T) {
	cases := []configtest.ConfigCase[Config]{
		{Name: "levels 64", Edit: func(c *Config) { c.Levels = 64 }, Want: "levels 64 outside 1..10"},
		{Name: "levels 0", Edit: func(c *Config) { c.Levels = 0 }, Want: "levels 0 outside"},
		{Name: "negative levels", Edit: func(c *Config) { c.Levels = -1 }, Want: "levels -1 outside"},
		{Name: "levels past the size", Edit: func(c *Config) { c.Levels = 6 }, Want: "size 32 must be divisible by 2^levels = 64"},
		{Name: "steps 0", Edit: func(c *Config) { c.Steps = 0 }, Want: "steps 0 outside"},
		{Name: "steps 10^9", Edit: func(c *Config) { c.Steps = 1e9 }, Want: "steps 1000000000 outside"},
		{Name: "hidden 0", Edit: func(c *Config) { c.Hidden = 0 }, Want: "hidden width 0"},
		{Name: "hidden 2^40", Edit: func(c *Config) { c.Hidden = 1 << 40 }, Want: "hidden width 1099511627776"},
		{Name: "two channels", Edit: func(c *Config) { c.Channels = 2 }, Want: "channels 2: want 1 (grey) or 3 (colour)"},
		{Name: "size 0", Edit: func(c *Config) { c.Size = 0 }, Want: "size 0 outside"},
		{Name: "size 2^20", Edit: func(c *Config) { c.Size = 1 << 20 }, Want: "size 1048576 outside"},
		{Name: "size not divisible", Edit: func(c *Config) { c.Size = 36 }, Want: "size 36 must be divisible by 2^levels = 8"},
		{Name: "image size over size", Edit: func(c *Config) { c.ImageSize = 33 }, Want: "image size 33"},
		{Name: "negative image size", Edit: func(c *Config) { c.ImageSize = -1 }, Want: "image size -1"},
		{Name: "one bin", Edit: func(c *Config) { c.Bins = 1 }, Want: "bins 1 outside"},
		{Name: "too many bins", Edit: func(c *Config) { c.Bins = 1 << 20 }, Want: "bins 1048576 outside"},
		{Name: "too many parameters", Edit: func(c *Config) { c.Hidden, c.Steps = 4096, 256 }, Want: "parameters, over the limit"},
		{Name: "too large activations", Edit: func(c *Config) { c.Hidden, c.Size, c.Steps = 4096, 1024, 1 }, Want: "activations of 1073741824 values per image"},
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
	for _, cfg := range []Config{
		Default(),
		{Levels: 2, Steps: 1, Hidden: 4, Channels: 3, Size: 8, Bins: 256},
		{Levels: 4, Steps: 2, Hidden: 16, Channels: 3, Size: 64, Bins: 256},
		{Levels: 1, Steps: 3, Hidden: 2, Channels: 1, Size: 2, Bins: 2},
	} {
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

package glow

import (
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"levels 64", func(c *Config) { c.Levels = 64 }, "levels 64 outside 1..10"},
		{"levels 0", func(c *Config) { c.Levels = 0 }, "levels 0 outside"},
		{"negative levels", func(c *Config) { c.Levels = -1 }, "levels -1 outside"},
		{"levels past the size", func(c *Config) { c.Levels = 6 }, "size 32 must be divisible by 2^levels = 64"},
		{"steps 0", func(c *Config) { c.Steps = 0 }, "steps 0 outside"},
		{"steps 10^9", func(c *Config) { c.Steps = 1e9 }, "steps 1000000000 outside"},
		{"hidden 0", func(c *Config) { c.Hidden = 0 }, "hidden width 0"},
		{"hidden 2^40", func(c *Config) { c.Hidden = 1 << 40 }, "hidden width 1099511627776"},
		{"two channels", func(c *Config) { c.Channels = 2 }, "channels 2: want 1 (grey) or 3 (colour)"},
		{"size 0", func(c *Config) { c.Size = 0 }, "size 0 outside"},
		{"size 2^20", func(c *Config) { c.Size = 1 << 20 }, "size 1048576 outside"},
		{"size not divisible", func(c *Config) { c.Size = 36 }, "size 36 must be divisible by 2^levels = 8"},
		{"image size over size", func(c *Config) { c.ImageSize = 33 }, "image size 33"},
		{"negative image size", func(c *Config) { c.ImageSize = -1 }, "image size -1"},
		{"one bin", func(c *Config) { c.Bins = 1 }, "bins 1 outside"},
		{"too many bins", func(c *Config) { c.Bins = 1 << 20 }, "bins 1048576 outside"},
		{"too many parameters", func(c *Config) { c.Hidden, c.Steps = 4096, 256 }, "parameters, over the limit"},
		{"too large activations", func(c *Config) { c.Hidden, c.Size, c.Steps = 4096, 1024, 1 }, "activations of 1073741824 values per image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate(%+v) = %v, want an error containing %q", cfg, err, c.want)
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

// Package configtest checks, for the tests of every model kind, that a configuration's Validate
// refuses what it must and that Build refuses the same.
package configtest

import (
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// ConfigCase is an edit of a model's default configuration that its Validate must refuse with
// an error containing Want.
type ConfigCase[C any] struct {
	Name string
	Edit func(c *C)
	Want string
}

// CheckConfigRanges runs each case on a fresh def(): Validate must refuse the edited
// configuration with the case's error, and build (the model's Build at batch 1) must refuse it
// too; def() itself must validate.
func CheckConfigRanges[C interface{ Validate() error }](t *testing.T, def func() C, build func(g *graph.Graph, c C) error, cases []ConfigCase[C]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			cfg := def()
			c.Edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.Want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, c.Want)
			}
			if err := build(graph.New(), cfg); err == nil {
				t.Error("Build accepted the config")
			}
		})
	}
	if err := def().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

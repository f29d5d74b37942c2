//go:build !cgo && !js

package gpu

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// The stub must stay usable wherever the real executor is.
var _ graph.Executor = (*Executor)(nil)

// TestNoGPUSupport checks that every entry point of a build without cgo reports ErrNoGPUSupport,
// which callers also see as ErrNoAdapter, with a message that names the cause.
func TestNoGPUSupport(t *testing.T) {
	_, newErr := New(Options{})
	infos, chosen, adaptersErr := Adapters(Options{Adapter: "0"})
	_, runErr := (&Executor{}).Run(context.Background(), nil, nil)
	cases := []struct {
		name string
		err  error
	}{
		{"New", newErr},
		{"Adapters", adaptersErr},
		{"Run", runErr},
	}
	for _, c := range cases {
		if !errors.Is(c.err, ErrNoGPUSupport) || !errors.Is(c.err, ErrNoAdapter) {
			t.Errorf("%s: %v, want ErrNoGPUSupport wrapping ErrNoAdapter", c.name, c.err)
		}
		if c.err != nil && !strings.Contains(c.err.Error(), "CGO_ENABLED=0") {
			t.Errorf("%s: %q does not say how the binary was built", c.name, c.err)
		}
	}
	if len(infos) != 0 || chosen != -1 {
		t.Errorf("Adapters listed %v and chose %d without a binding", infos, chosen)
	}
}

// TestWebGPUSkipped stands for the WebGPU tests, which need the native binding: it says why they
// did not run, or fails under OODGPU_REQUIRE_GPU=1 (as in CI).
func TestWebGPUSkipped(t *testing.T) {
	const reason = "the WebGPU tests need cgo (a C compiler and CGO_ENABLED=1) for the wgpu-native binding"
	if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
		t.Fatalf("OODGPU_REQUIRE_GPU=1 but this test binary was built without cgo: %s", reason)
	}
	t.Skipf("skipping: %s", reason)
}

//go:build !cgo && !js

package gpu

import (
	"context"
	"fmt"

	"github.com/oodgpu/oodgpu/graph"
)

// Executor stands in for the WebGPU executor in a binary built without cgo. New never returns
// one, so its methods only answer ErrNoGPUSupport; it exists so that callers compile unchanged.
type Executor struct{}

// New returns ErrNoGPUSupport: this build has no WebGPU binding.
func New(Options) (*Executor, error) { return nil, ErrNoGPUSupport }

// Adapters lists no adapters and returns ErrNoGPUSupport: this build has no WebGPU binding.
func Adapters(Options) ([]AdapterInfo, int, error) { return nil, -1, ErrNoGPUSupport }

// Name describes the executor.
func (*Executor) Name() string { return "webgpu (not built in)" }

// Adapter describes no adapter.
func (*Executor) Adapter() AdapterInfo { return AdapterInfo{Index: -1} }

// Run returns ErrNoGPUSupport.
func (*Executor) Run(context.Context, *graph.Plan, graph.Feeds) ([]*graph.Tensor, error) {
	return nil, fmt.Errorf("gpu: %w", ErrNoGPUSupport)
}

// Forget has nothing to release.
func (*Executor) Forget(*graph.Plan) {}

// BuildSupport says what GPU support this binary was built with: none, as it was built without
// cgo.
func BuildSupport() string { return "none (built without cgo, CGO_ENABLED=0): the CPU executor only" }

// Profile returns ErrNoGPUSupport.
func (*Executor) Profile(context.Context, *graph.Plan, graph.Feeds) ([]KernelTime, error) {
	return nil, fmt.Errorf("gpu: %w", ErrNoGPUSupport)
}

// Bind returns ErrNoGPUSupport.
func (*Executor) Bind(graph.Feeds) error { return fmt.Errorf("gpu: %w", ErrNoGPUSupport) }

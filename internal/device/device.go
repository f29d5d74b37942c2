// Package device opens the executor that a --device choice asks for, with the fallback rules
// the oodgpu CLI and the Beam workers share: a hardware WebGPU adapter when one works, else the
// CPU executor, saying why.
package device

import (
	"errors"
	"fmt"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// The choices of --device.
const (
	Auto = "auto" // a hardware WebGPU adapter if one works, else the CPU executor
	GPU  = "gpu"  // any WebGPU adapter, software ones included; an error without one
	CPU  = "cpu"  // the CPU executor
)

// Check says whether choice is one of Auto, GPU and CPU.
func Check(choice string) error {
	switch choice {
	case Auto, GPU, CPU:
		return nil
	}
	return fmt.Errorf("--device %q: want auto, gpu or cpu", choice)
}

// Open opens the executor choice asks for, on the WebGPU adapter named by adapter (an index or a
// name substring, see gpu.Options; "" for the best one). In auto mode without an adapter named,
// a software adapter (lavapipe, SwiftShader: far slower than the CPU executor), a missing or
// broken one, or a build without GPU support (CGO_ENABLED=0) falls back to the CPU executor, and
// notice is called with a one-line reason.
func Open(choice, adapter string, notice func(string)) (graph.Executor, error) {
	if err := Check(choice); err != nil {
		return nil, err
	}
	if choice == CPU {
		return cpu.New(), nil
	}
	e, err := gpu.New(gpu.Options{Adapter: adapter})
	if err == nil && choice == Auto && adapter == "" && e.Adapter().Type == "cpu" {
		notice(fmt.Sprintf("the only WebGPU adapter is a software one (%s); using the CPU executor (--device gpu to use it)", e.Adapter().Name))
		return cpu.New(), nil
	}
	if err == nil {
		return e, nil
	}
	if choice == GPU {
		return nil, fmt.Errorf("--device gpu: %w", err)
	}
	if !errors.Is(err, gpu.ErrNoAdapter) {
		err = fmt.Errorf("%w (%v)", gpu.ErrNoAdapter, err)
	}
	notice(fmt.Sprintf("%v; using the CPU executor", err))
	return cpu.New(), nil
}

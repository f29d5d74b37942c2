package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// deviceFlags are the flags that choose where graphs run.
type deviceFlags struct {
	device  string // auto, gpu or cpu
	adapter string // index or name substring, see gpu.Options
}

func (f *deviceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.device, "device", "auto",
		"where to run: auto (a hardware WebGPU adapter if one works, else CPU), gpu (any adapter, fail without one), cpu")
	cmd.Flags().StringVar(&f.adapter, "adapter", "",
		"WebGPU adapter by index or name substring (default: $OODGPU_ADAPTER, else the best one)")
}

// executor opens the executor the flags ask for. In auto mode a missing or broken adapter, or a
// binary built without GPU support (CGO_ENABLED=0), falls back to the CPU executor with a
// one-line notice on stderr.
func (f *deviceFlags) executor(stderr io.Writer) (graph.Executor, error) {
	switch f.device {
	case "cpu":
		return cpu.New(), nil
	case "gpu", "auto":
		e, err := gpu.New(gpu.Options{Adapter: f.adapter})
		if err == nil && f.device == "auto" && f.adapter == "" && e.Adapter().Type == "cpu" {
			// A software adapter (lavapipe, SwiftShader) is far slower than the CPU executor.
			fmt.Fprintf(stderr, "oodgpu: the only WebGPU adapter is a software one (%s); using the CPU executor (--device gpu to use it)\n",
				e.Adapter().Name)
			return cpu.New(), nil
		}
		if err == nil {
			return e, nil
		}
		if f.device == "gpu" {
			return nil, fmt.Errorf("--device gpu: %w", err)
		}
		if !errors.Is(err, gpu.ErrNoAdapter) {
			err = fmt.Errorf("%w (%v)", gpu.ErrNoAdapter, err)
		}
		fmt.Fprintf(stderr, "oodgpu: %v; using the CPU executor\n", err)
		return cpu.New(), nil
	}
	return nil, fmt.Errorf("--device %q: want auto, gpu or cpu", f.device)
}

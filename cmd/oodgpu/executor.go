package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/internal/device"
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

// executor opens the executor the flags ask for (device.Open), saying on stderr when auto mode
// falls back to the CPU executor.
func (f *deviceFlags) executor(stderr io.Writer) (graph.Executor, error) {
	return device.Open(f.device, f.adapter, func(msg string) { fmt.Fprintf(stderr, "oodgpu: %s\n", msg) })
}

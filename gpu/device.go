// Package gpu is oodgpu's WebGPU executor: it lowers a compiled graph.Plan to WGSL dispatches
// (package shaders), encodes every dispatch of a run into one command buffer, submits it once and
// reads back only the plan's outputs. Natively it runs on wgpu-native (Vulkan, Metal, DX12),
// which needs cgo; built with GOOS=js it runs on the browser's navigator.gpu. Built without cgo
// for any other target, New and Adapters return ErrNoGPUSupport and callers use the CPU executor.
package gpu

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrNoAdapter is returned (wrapped) when no usable WebGPU adapter exists. Callers fall back to
// the CPU executor.
var ErrNoAdapter = errors.New("no usable WebGPU adapter")

// ErrNoGPUSupport is returned by New and Adapters in a binary built without cgo
// (CGO_ENABLED=0), which leaves the native WebGPU binding out. It wraps ErrNoAdapter, so callers
// that fall back to the CPU executor on ErrNoAdapter do so here too.
var ErrNoGPUSupport error = noGPUSupport{}

// noGPUSupport is ErrNoGPUSupport: its own message, unwrapping to ErrNoAdapter.
type noGPUSupport struct{}

func (noGPUSupport) Error() string {
	return "this oodgpu was built without GPU support (CGO_ENABLED=0)"
}

func (noGPUSupport) Unwrap() error { return ErrNoAdapter }

// AdapterInfo describes one WebGPU adapter.
type AdapterInfo struct {
	Index   int
	Name    string
	Backend string
	Type    string
	Driver  string
}

func (a AdapterInfo) String() string {
	s := fmt.Sprintf("#%d %s (%s, %s)", a.Index, a.Name, a.Type, a.Backend)
	if a.Driver != "" {
		s += " driver " + a.Driver
	}
	return s
}

// Software reports whether the adapter runs on the CPU: a CPU implementation of Vulkan
// (lavapipe, SwiftShader) or a browser's fallback adapter.
func (a AdapterInfo) Software() bool { return a.Type == "cpu" || a.Type == "fallback" }

// Options choose the adapter and the kernels.
type Options struct {
	// Adapter selects an adapter by index ("1") or by a case-insensitive substring of its name
	// ("llvmpipe"). Empty means the environment variable OODGPU_ADAPTER, and if that is empty the
	// best adapter: discrete GPU, then integrated, then others, then CPU implementations.
	Adapter string
	// Conv selects the convolution kernels; the zero value picks them for the adapter.
	Conv ConvKernels
}

// ConvKernels selects how convolutions run.
type ConvKernels int

const (
	// ConvAuto uses the direct kernels on software adapters and the tiled ones on GPUs.
	ConvAuto ConvKernels = iota
	// ConvTiled stages 64x64 tiles through workgroup memory, with two barriers per K step: what
	// a GPU's shared memory is for.
	ConvTiled
	// ConvDirect has each invocation read its operands straight from the buffers, with no
	// barrier: faster where the adapter emulates workgroups on a CPU.
	ConvDirect
)

// choose returns the index of the adapter that want selects among infos (see Options.Adapter).
func choose(infos []AdapterInfo, ranks []int, want string) (int, error) {
	if want == "" {
		want = os.Getenv("OODGPU_ADAPTER")
	}
	if len(infos) == 0 {
		return -1, ErrNoAdapter
	}
	if want != "" {
		for _, a := range infos {
			if fmt.Sprint(a.Index) == want {
				return a.Index, nil
			}
		}
		for _, a := range infos {
			if strings.Contains(strings.ToLower(a.Name), strings.ToLower(want)) {
				return a.Index, nil
			}
		}
		return -1, fmt.Errorf("%w matching %q among %d adapters", ErrNoAdapter, want, len(infos))
	}
	best := 0
	for i := range infos {
		if ranks[i] < ranks[best] {
			best = i
		}
	}
	return best, nil
}

// KernelTime is the time a run of a plan spends in one kernel (entry point), summed over its
// dispatches (Executor.Profile).
type KernelTime struct {
	Kernel     string // family.entry, "fused.*" for generated chains, "clear" for buffer clears
	Dispatches int
	Total      time.Duration
}

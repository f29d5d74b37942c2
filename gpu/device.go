// Package gpu is oodgpu's WebGPU executor: it lowers a compiled graph.Plan to WGSL dispatches
// (package shaders), encodes every dispatch of a run into one command buffer, submits it once and
// reads back only the plan's outputs. Natively it runs on wgpu-native (Vulkan, Metal, DX12);
// built with GOOS=js it runs on the browser's navigator.gpu.
package gpu

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/oliverbestmann/webgpu/wgpu"
)

// ErrNoAdapter is returned (wrapped) when no usable WebGPU adapter exists. Callers fall back to
// the CPU executor.
var ErrNoAdapter = errors.New("no usable WebGPU adapter")

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

// Options choose the adapter.
type Options struct {
	// Adapter selects an adapter by index ("1") or by a case-insensitive substring of its name
	// ("llvmpipe"). Empty means the environment variable OODGPU_ADAPTER, and if that is empty the
	// best adapter: discrete GPU, then integrated, then others, then CPU implementations.
	Adapter string
}

// rank orders adapters by preference, lower first: by type (discrete, integrated, other, CPU),
// then native APIs before OpenGL, which wgpu supports only as a compatibility backend.
func rank(t wgpu.AdapterType, b wgpu.BackendType) int {
	r := 2
	switch t {
	case wgpu.AdapterTypeDiscreteGPU:
		r = 0
	case wgpu.AdapterTypeIntegratedGPU:
		r = 1
	case wgpu.AdapterTypeCPU:
		r = 3
	}
	r *= 2
	if b == wgpu.BackendTypeOpenGL || b == wgpu.BackendTypeOpenGLES {
		r++
	}
	return r
}

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

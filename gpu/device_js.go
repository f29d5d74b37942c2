//go:build js

package gpu

import (
	"fmt"

	"github.com/oliverbestmann/webgpu/wgpu"
)

// Adapters reports the browser's adapter. Browsers expose one adapter and no name through these
// bindings, so it is listed as "browser WebGPU adapter".
func Adapters(opts Options) ([]AdapterInfo, int, error) {
	inst := wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, -1, fmt.Errorf("%w: this browser has no navigator.gpu", ErrNoAdapter)
	}
	if _, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance}); err != nil {
		return nil, -1, fmt.Errorf("%w: %v", ErrNoAdapter, err)
	}
	return []AdapterInfo{browserInfo()}, 0, nil
}

func browserInfo() AdapterInfo {
	return AdapterInfo{Name: "browser WebGPU adapter", Backend: "browser", Type: "unknown"}
}

func openDevice(opts Options) (*device, error) {
	inst := wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, fmt.Errorf("%w: this browser has no navigator.gpu", ErrNoAdapter)
	}
	a, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoAdapter, err)
	}
	// Default limits: browsers reject limit names they do not know, and the bindings' Limits
	// struct carries a few that were dropped from the standard.
	dev, err := a.RequestDevice(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoAdapter, err)
	}
	return &device{inst: inst, adapter: a, dev: dev, queue: dev.GetQueue(), info: browserInfo(), limits: dev.GetLimits()}, nil
}

func bindGroupLayout(p *wgpu.ComputePipeline) *wgpu.BindGroupLayout { return p.GetBindGroupLayout(0) }

func pipelineDescriptor(_ string, m *wgpu.ShaderModule, entry string) *wgpu.ComputePipelineDescriptor {
	return &wgpu.ComputePipelineDescriptor{Compute: wgpu.ProgrammableStageDescriptor{Module: m, EntryPoint: entry}}
}

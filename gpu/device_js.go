//go:build js

package gpu

import (
	"fmt"
	"strings"
	"syscall/js"

	"github.com/oliverbestmann/webgpu/jsx"
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

// browserInfo reads GPUAdapter.info of the page's adapter (the bindings leave it empty).
func browserInfo() AdapterInfo {
	info := AdapterInfo{Name: "browser WebGPU adapter", Backend: "browser", Type: "unknown"}
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return info
	}
	a, ok := jsx.Await(gpu.Call("requestAdapter"))
	if !ok || !a.Truthy() || !a.Get("info").Truthy() {
		return info
	}
	in := a.Get("info")
	parts := []string{}
	for _, k := range []string{"vendor", "architecture", "device", "description"} {
		if v := in.Get(k); v.Type() == js.TypeString && v.String() != "" {
			parts = append(parts, v.String())
		}
	}
	if len(parts) > 0 {
		info.Name = strings.Join(parts, " ")
	}
	if v := in.Get("isFallbackAdapter"); v.Type() == js.TypeBoolean && v.Bool() {
		info.Type = "fallback"
	}
	return info
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

// BuildSupport says what GPU support this build has: the browser's WebGPU (navigator.gpu).
func BuildSupport() string { return "the browser's WebGPU (navigator.gpu)" }

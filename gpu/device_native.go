//go:build cgo && !js

package gpu

import (
	"fmt"
	"runtime"

	"github.com/oliverbestmann/webgpu/wgpu"
)

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

// enumerate lists the native adapters.
func enumerate(inst *wgpu.Instance) ([]*wgpu.Adapter, []AdapterInfo, []int) {
	adapters := inst.EnumerateAdapters(nil)
	infos := make([]AdapterInfo, len(adapters))
	ranks := make([]int, len(adapters))
	for i, a := range adapters {
		in := a.GetInfo()
		name := in.Device
		if name == "" {
			name = in.Description
		}
		infos[i] = AdapterInfo{Index: i, Name: name, Backend: in.BackendType.String(), Type: in.AdapterType.String(),
			Driver: in.Description}
		ranks[i] = rank(in.AdapterType, in.BackendType)
	}
	return adapters, infos, ranks
}

// Adapters lists the WebGPU adapters of this machine and the index New would choose (-1 if none).
func Adapters(opts Options) ([]AdapterInfo, int, error) {
	inst, err := newInstance()
	if err != nil {
		return nil, -1, err
	}
	defer inst.Release()
	_, infos, ranks := enumerate(inst)
	i, err := choose(infos, ranks, opts.Adapter)
	if err != nil {
		return infos, -1, err
	}
	return infos, i, nil
}

func newInstance() (inst *wgpu.Instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: creating a WebGPU instance failed: %v", ErrNoAdapter, r)
		}
	}()
	inst = wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, fmt.Errorf("%w: WebGPU instance unavailable", ErrNoAdapter)
	}
	return inst, nil
}

// openDevice selects an adapter and opens a device with the adapter's full limits.
func openDevice(opts Options) (*device, error) {
	inst, err := newInstance()
	if err != nil {
		return nil, err
	}
	adapters, infos, ranks := enumerate(inst)
	i, err := choose(infos, ranks, opts.Adapter)
	if err != nil {
		inst.Release()
		return nil, err
	}
	a := adapters[i]
	limits := a.GetLimits()
	dev, err := a.RequestDevice(&wgpu.DeviceDescriptor{Label: "oodgpu", RequiredLimits: &limits})
	if err != nil {
		inst.Release()
		return nil, fmt.Errorf("%w: opening %s: %v", ErrNoAdapter, infos[i], err)
	}
	// The device has exactly the limits requested (Device.GetLimits trips cgo pointer checks).
	return &device{inst: inst, adapter: a, dev: dev, queue: dev.GetQueue(), info: infos[i], limits: limits}, nil
}

func bindGroupLayout(p *wgpu.ComputePipeline) *wgpu.BindGroupLayout { return p.GetBindGroupLayout(0) }

func pipelineDescriptor(label string, m *wgpu.ShaderModule, entry string) *wgpu.ComputePipelineDescriptor {
	return &wgpu.ComputePipelineDescriptor{Label: label,
		Compute: wgpu.ProgrammableStageDescriptor{Module: m, EntryPoint: entry}}
}

// BuildSupport says what GPU support this binary was built with: here the native WebGPU
// executor on wgpu-native, with the backends wgpu uses on this operating system.
func BuildSupport() string {
	v := uint32(wgpu.GetVersion()) // one byte each: major, minor, patch, build
	return fmt.Sprintf("native WebGPU, wgpu-native %d.%d.%d.%d (%s)", v>>24, v>>16&0xff, v>>8&0xff, v&0xff,
		nativeBackends[runtime.GOOS])
}

// nativeBackends are the graphics APIs wgpu-native drives on each operating system, the preferred
// first.
var nativeBackends = map[string]string{
	"linux":   "Vulkan, OpenGL ES",
	"windows": "DX12, Vulkan, OpenGL ES",
	"darwin":  "Metal",
	"android": "Vulkan, OpenGL ES",
	"ios":     "Metal",
}

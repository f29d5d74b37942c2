//go:build cgo || js

package gpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/shaders"
)

// device is an opened WebGPU device.
type device struct {
	inst    *wgpu.Instance
	adapter *wgpu.Adapter
	dev     *wgpu.Device
	queue   *wgpu.Queue
	info    AdapterInfo
	limits  wgpu.Limits
}

// Executor runs plans on a WebGPU device. Runs are serialized; it is safe for concurrent use.
type Executor struct {
	mu        sync.Mutex
	d         *device
	modules   map[string]*wgpu.ShaderModule
	pipelines map[string]*wgpu.ComputePipeline
	programs  map[*graph.Plan]*program
	residents map[string]*resident // bound parameters, by name (Bind)
	submits   int
	uploaded  uint64 // feed bytes copied to the device so far
	tiles     shaders.Options
	// convSuffix is appended to the convolution entry points: "_direct" for the direct kernels.
	convSuffix string
}

// New opens the adapter chosen by opts. Errors wrap ErrNoAdapter when no adapter is usable.
func New(opts Options) (e *Executor, err error) {
	defer recoverInto(&err)
	d, err := openDevice(opts)
	if err != nil {
		return nil, err
	}
	e = &Executor{d: d, modules: map[string]*wgpu.ShaderModule{}, pipelines: map[string]*wgpu.ComputePipeline{},
		programs: map[*graph.Plan]*program{}, residents: map[string]*resident{},
		tiles: shaders.Options{KStep: shaders.KStepFor(d.limits.MaxComputeWorkgroupStorageSize)}}
	if opts.Conv == ConvDirect || (opts.Conv == ConvAuto && d.info.Software()) {
		e.convSuffix = "_direct"
	}
	return e, nil
}

// recoverInto turns a panic of the WebGPU bindings (they panic on validation errors) into an error.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("gpu: %v", r)
	}
}

// Name describes the executor and its adapter.
func (e *Executor) Name() string { return "webgpu " + e.d.info.String() }

// KStep is the K step of the GEMM tiles chosen from the adapter's limits.
func (e *Executor) KStep() int { return e.tiles.KStep }

// Adapter describes the adapter in use.
func (e *Executor) Adapter() AdapterInfo { return e.d.info }

// Submits counts the command buffers submitted so far (one per run).
func (e *Executor) Submits() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.submits
}

// Uploaded counts the bytes of feeds copied to the device so far (parameters kept resident by
// Bind are counted once, when bound, not here).
func (e *Executor) Uploaded() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.uploaded
}

// Forget releases the device buffers kept for plan p.
func (e *Executor) Forget(p *graph.Plan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if prog := e.programs[p]; prog != nil {
		e.release(prog)
		delete(e.programs, p)
	}
}

// pipeline returns the compute pipeline of entry point entry in kernel family family.
func (e *Executor) pipeline(family, entry string) (*wgpu.ComputePipeline, error) {
	key := family + "." + entry
	if p := e.pipelines[key]; p != nil {
		return p, nil
	}
	m := e.modules[family]
	if m == nil {
		src, err := shaders.Source(family, e.tiles)
		if err != nil {
			return nil, err
		}
		m, err = e.d.dev.TryCreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: family + ".wgsl",
			WGSLSource: &wgpu.ShaderSourceWGSL{Code: src}})
		if err != nil {
			return nil, fmt.Errorf("gpu: compiling %s.wgsl: %w", family, err)
		}
		e.modules[family] = m
	}
	p, err := e.d.dev.TryCreateComputePipeline(pipelineDescriptor(key, m, entry))
	if err != nil {
		return nil, fmt.Errorf("gpu: pipeline %s: %w", key, err)
	}
	e.pipelines[key] = p
	return p, nil
}

// Run executes p with one command-buffer submission and returns the outputs.
func (e *Executor) Run(ctx context.Context, p *graph.Plan, feeds graph.Feeds) (out []*graph.Tensor, err error) {
	if err := p.CheckFeeds(feeds); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gpu: run cancelled: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	defer recoverInto(&err)
	prog := e.programs[p]
	if prog == nil {
		prog, err = e.compile(p)
		if err != nil {
			return nil, err
		}
		e.programs[p] = prog
	}
	return e.execute(prog, feeds)
}

func (e *Executor) execute(prog *program, feeds graph.Feeds) ([]*graph.Tensor, error) {
	dev := e.d.dev
	enc, err := dev.TryCreateCommandEncoder(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	// Uploads ride in the same command buffer: a mapped-at-creation buffer per feed, copied into
	// place. (Queue.WriteBuffer needs extra page set-up in browsers; this path works everywhere.)
	var uploads []*wgpu.Buffer
	defer func() {
		for _, b := range uploads {
			b.Destroy()
		}
	}()
	// The constant steps are valid as long as every resident parameter holds its bound tensor.
	setup, bound := !prog.setupDone, true
	for n, r := range prog.feedFrom {
		if feeds[n.LeafName()] != r.bound {
			setup, bound = true, false
		}
	}
	for _, n := range prog.plan.Feeds {
		t := feeds[n.LeafName()]
		r := prog.feedFrom[n]
		if r != nil && r.current == t {
			continue // already on the device
		}
		if r != nil {
			// The buffer is shared with other programs: it holds t from now on, and only a
			// bound tensor is known not to change between runs.
			r.current = nil
			if t == r.bound {
				r.current = t
			}
		}
		up, err := dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Label: "upload " + n.LeafName(),
			Contents: floatBytes(t.Data), Usage: wgpu.BufferUsageCopySrc})
		if err != nil {
			return nil, fmt.Errorf("gpu: upload %q: %w", n.LeafName(), err)
		}
		uploads = append(uploads, up)
		e.uploaded += uint64(4 * len(t.Data))
		if err := enc.TryCopyBufferToBuffer(up, 0, prog.buffer[n.ID()], 0, uint64(4*len(t.Data))); err != nil {
			return nil, fmt.Errorf("gpu: upload %q: %w", n.LeafName(), err)
		}
	}
	var pass *wgpu.ComputePassEncoder
	endPass := func() error {
		if pass == nil {
			return nil
		}
		err := pass.TryEnd()
		pass.Release()
		pass = nil
		return err
	}
	cmds := prog.cmds
	if setup {
		cmds = append(slices.Clip(prog.setup), prog.cmds...)
	}
	for _, c := range cmds {
		if c.clear != nil {
			if err := endPass(); err != nil {
				return nil, fmt.Errorf("gpu: %w", err)
			}
			if err := enc.TryClearBuffer(c.clear, 0, c.clear.GetSize()); err != nil {
				return nil, fmt.Errorf("gpu: clear: %w", err)
			}
			continue
		}
		if pass == nil {
			pass = enc.BeginComputePass(nil)
		}
		pass.SetPipeline(c.pipeline)
		pass.SetBindGroup(0, c.bind, nil)
		pass.DispatchWorkgroups(c.x, c.y, c.z)
	}
	if err := endPass(); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	for i, o := range prog.plan.Outputs {
		if err := enc.TryCopyBufferToBuffer(prog.buffer[o.ID()], 0, prog.staging[i], 0, prog.staging[i].GetSize()); err != nil {
			return nil, fmt.Errorf("gpu: readback: %w", err)
		}
	}
	cmd, err := enc.TryFinish(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	e.d.queue.Submit(cmd)
	e.submits++
	prog.setupDone = bound
	out := make([]*graph.Tensor, len(prog.plan.Outputs))
	for i, o := range prog.plan.Outputs {
		data, err := e.read(prog.staging[i], o.Shape().Size())
		if err != nil {
			return nil, err
		}
		out[i] = &graph.Tensor{Shape: append(graph.Shape(nil), o.Shape()...), Data: data}
	}
	return out, nil
}

// read maps a staging buffer and copies n floats out of it.
func (e *Executor) read(b *wgpu.Buffer, n int) ([]float32, error) {
	size := b.GetSize()
	done, status := false, wgpu.MapAsyncStatusSuccess
	if err := b.TryMapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.MapAsyncStatus) {
		done, status = true, s
	}); err != nil {
		return nil, fmt.Errorf("gpu: readback: %w", err)
	}
	for !done {
		e.d.dev.Poll(true, nil)
	}
	if status != wgpu.MapAsyncStatusSuccess {
		return nil, fmt.Errorf("gpu: readback failed: %v", status)
	}
	raw := b.GetMappedRange(0, uint(size))
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if err := b.TryUnmap(); err != nil {
		return nil, fmt.Errorf("gpu: readback: %w", err)
	}
	return out, nil
}

func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func u32Bytes(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

//go:build cgo || js

package gpu

import (
	"fmt"

	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/graph"
)

// resident is a parameter kept on the device across runs and plans.
type resident struct {
	name  string
	bound *graph.Tensor // the tensor Bind was given; its data must not change while bound
	// current is the tensor whose values the buffer holds now (nil: unknown), so that a run
	// uploads only when its feed is not what the buffer already holds.
	current  *graph.Tensor
	buf      *wgpu.Buffer
	programs int  // programs compiled against this buffer
	replaced bool // a later Bind replaced it: destroyed once no program uses it
}

// Bind keeps params on the device: they are uploaded now, once, and every later run of any plan
// that is given one of these very tensors (the same *graph.Tensor) for a parameter of that name
// and shape reads the device copy instead of uploading it again. A run given another tensor for
// the name uploads that one, as without Bind. Binding a name again with another tensor replaces
// its resident copy. The caller must not change a bound tensor's data.
func (e *Executor) Bind(params graph.Feeds) (err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer recoverInto(&err)
	for name, t := range params {
		if t == nil || len(t.Data) != t.Shape.Size() {
			return fmt.Errorf("gpu: bind: parameter %q is nil or its data does not match its shape", name)
		}
		if r := e.residents[name]; r != nil {
			if r.bound == t {
				continue
			}
			e.retire(r)
		}
		b, err := e.d.dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Label: "resident " + name,
			Contents: floatBytes(t.Data), Usage: storageUsage})
		if err != nil {
			return fmt.Errorf("gpu: bind: uploading %q: %w", name, err)
		}
		e.residents[name] = &resident{name: name, bound: t, current: t, buf: b}
	}
	return nil
}

// Resident reports how many parameters are bound and their bytes on the device.
func (e *Executor) Resident() (params int, bytes uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.residents {
		params++
		bytes += r.buf.GetSize()
	}
	return params, bytes
}

// retire drops r from the bound set; its buffer goes once no program uses it.
func (e *Executor) retire(r *resident) {
	delete(e.residents, r.name)
	r.replaced = true
	if r.programs == 0 {
		r.buf.Destroy()
	}
}

// residentFor returns the resident copy a program compiled now should use for feed n, or nil.
func (e *Executor) residentFor(n *graph.Node) *resident {
	r := e.residents[n.LeafName()]
	if r == nil || !r.bound.Shape.Equal(n.Shape()) {
		return nil
	}
	return r
}

// release gives back what prog holds: its own buffers, and its claim on resident ones.
func (e *Executor) release(prog *program) {
	prog.destroy()
	for _, r := range prog.residents {
		r.programs--
		if r.replaced && r.programs == 0 {
			r.buf.Destroy()
		}
	}
	prog.residents = nil
}

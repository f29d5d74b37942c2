//go:build cgo || js

package gpu

import (
	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/graph"
)

// place is where a reduction writes its output o: buf[offset + o*stride].
type place struct {
	buf            *wgpu.Buffer
	offset, stride int
}

// placeOf returns where node n's reduction writes: in place in a concatenation (see
// placeConcats), or its own buffer.
func (prog *program) placeOf(n *graph.Node) place {
	if pl, ok := prog.places[n]; ok {
		return pl
	}
	return place{buf: prog.buffer[n.ID()], stride: 1}
}

// placeConcats lets reductions write straight into the plan outputs that concatenate them: the
// gradient features are one concatenation of a squared norm per parameter, hundreds of one-value
// pieces whose copies would each be a dispatch. Such an output gets a buffer of its own (not a
// shared slot, which other values may hold while the pieces are computed); each piece that is a
// reduction (possibly reshaped) read by nothing else writes its place in it; the other pieces
// are copied as usual. It returns the outputs' buffers and the copies that are no longer needed.
func placeConcats(prog *program, p *graph.Plan, newBuffer func(string, int) (*wgpu.Buffer, error)) (map[*graph.Node]*wgpu.Buffer, map[*graph.Node][]bool, error) {
	readers := map[*graph.Node]int{}
	for _, n := range p.Steps {
		for _, in := range n.Inputs() {
			readers[in]++
		}
	}
	isOutput := map[*graph.Node]bool{}
	for _, o := range p.Outputs {
		isOutput[o] = true
	}
	bufs, skip := map[*graph.Node]*wgpu.Buffer{}, map[*graph.Node][]bool{}
	for _, o := range p.Outputs {
		if _, ok := o.Op().(*graph.Concat); !ok || bufs[o] != nil {
			continue
		}
		ins := o.Inputs()
		shapes := make([]graph.Shape, len(ins))
		for i, in := range ins {
			shapes[i] = in.Shape()
		}
		copies, _ := graph.Copies(o.Op(), shapes)
		var buf *wgpu.Buffer
		skipped := make([]bool, len(copies))
		for k, c := range copies {
			prod := ins[c.Input]
			for prod.Op() != nil && readers[prod] == 1 && !isOutput[prod] {
				if _, ok := prod.Op().(*graph.Reshape); !ok {
					break
				}
				prod = prod.Inputs()[0]
			}
			if readers[prod] != 1 || isOutput[prod] || !reduction(prod) {
				continue
			}
			c = c.Collapse() // at most one axis left where the piece lies along a line of o
			if len(c.Src.Shape) > 1 || c.Src.Offset != 0 || (c.Src.Size() > 1 && c.Src.Strides[0] != 1) {
				continue
			}
			stride := 1
			if c.Src.Size() > 1 {
				stride = c.Dst.Strides[0]
			}
			if buf == nil {
				var err error
				if buf, err = newBuffer("output "+o.String(), o.Shape().Size()); err != nil {
					return nil, nil, err
				}
			}
			prog.places[prod] = place{buf: buf, offset: c.Dst.Offset, stride: stride}
			skipped[k] = true
		}
		if buf != nil {
			bufs[o], skip[o] = buf, skipped
		}
	}
	return bufs, skip, nil
}

// reduction reports whether n's value is written by a reduction kernel, which can write it in
// place (reduce, avgpool, the fused weight-gradient norm's final sum).
func reduction(n *graph.Node) bool {
	switch n.Op().(type) {
	case *graph.Reduce, *graph.AvgPool, *graph.ConvWeightGradSqNorm:
		return true
	}
	return false
}

package graph

import "slices"

// View is a strided view of a tensor's flat data: the element at index (i0, ..., ik) of Shape is
// data[Offset + i0*Strides[0] + ... + ik*Strides[k]]. A stride of 0 repeats an element
// (broadcasting); strides need not be decreasing (a permutation reads in another order).
//
// The data-movement ops and the reductions are described here once, as views of their operands
// and results, and every executor reads them from these functions: the CPU kernels walk them,
// the WebGPU lowering passes them to one strided copy and one reduction kernel.
type View struct {
	Shape   []int
	Strides []int
	Offset  int
}

// ContiguousView is the row-major view of a whole tensor of shape s.
func ContiguousView(s Shape) View {
	return View{Shape: slices.Clone(s), Strides: s.Strides()}
}

// Size is the number of elements of the view.
func (v View) Size() int { return Shape(v.Shape).Size() }

// Copy is one strided copy of a data-movement op: element i of the index space Src.Shape (which
// Dst.Shape equals) is read from operand Input at Src and written to the result at Dst. The
// destination never repeats an element, so the index space may be walked in any order.
type Copy struct {
	Input    int
	Src, Dst View
}

// Collapse returns c with the axes of size 1 dropped and the neighbouring axes that both views
// walk contiguously merged (CollapseStrides): the same copy, over as few axes as possible.
func (c Copy) Collapse() Copy {
	shape, st := CollapseStrides(c.Src.Shape, c.Src.Strides, c.Dst.Strides)
	return Copy{
		Input: c.Input,
		Src:   View{Shape: shape, Strides: st[0], Offset: c.Src.Offset},
		Dst:   View{Shape: shape, Strides: st[1], Offset: c.Dst.Offset},
	}
}

// Reduction is a reduction over a strided view of one operand: output k, the k-th index of
// Kept.Shape in row-major order (the result is written contiguously), reduces the elements at
// Kept's offset of k plus Reduced's offset of r, for every index r of Reduced.Shape. Reduced's
// Offset is 0.
type Reduction struct {
	Kept, Reduced View
}

// Collapse returns r with each view's unit axes dropped and its contiguous axes merged
// (CollapseStrides); each view keeps rank at least 1.
func (r Reduction) Collapse() Reduction {
	ks, kst := CollapseStrides(r.Kept.Shape, r.Kept.Strides)
	rs, rst := CollapseStrides(r.Reduced.Shape, r.Reduced.Strides)
	return Reduction{
		Kept:    View{Shape: ks, Strides: kst[0], Offset: r.Kept.Offset},
		Reduced: View{Shape: rs, Strides: rst[0], Offset: r.Reduced.Offset},
	}
}

// Copies returns the strided copies that compute the result of a data-movement op (Permute,
// BroadcastTo, Slice, Pad, Concat, SpaceToDepth, DepthToSpace, Upsample) from operands of the
// given shapes, as the op accepted them when the graph was built. Pad's result is zero wherever
// no copy writes. ok is false for any other op.
func Copies(op Op, in []Shape) (copies []Copy, ok bool) {
	switch o := op.(type) {
	case *Permute:
		return []Copy{o.Copy(in[0])}, true
	case *BroadcastTo:
		return []Copy{o.Copy(in[0])}, true
	case *Slice:
		return []Copy{o.Copy(in[0])}, true
	case *Pad:
		return []Copy{o.Copy(in[0])}, true
	case *Concat:
		return o.Copies(in), true
	case *SpaceToDepth:
		return []Copy{o.Copy(in[0])}, true
	case *DepthToSpace:
		return []Copy{o.Copy(in[0])}, true
	case *Upsample:
		return []Copy{o.Copy(in[0])}, true
	}
	return nil, false
}

// Reductions returns the strided reduction of a Reduce or an AvgPool of an operand of shape x;
// ok is false for any other op.
func Reductions(op Op, x Shape) (r Reduction, ok bool) {
	switch o := op.(type) {
	case *Reduce:
		return o.Reduction(x), true
	case *AvgPool:
		return o.Reduction(x), true
	}
	return Reduction{}, false
}

// gatherCopy reads src and writes the result contiguously in the order of src's index space.
func gatherCopy(src View) Copy {
	return Copy{Src: src, Dst: ContiguousView(src.Shape)}
}

// Copy reads x with its strides permuted: result axis i is x's axis Perm[i].
func (o *Permute) Copy(x Shape) Copy {
	xst := x.Strides()
	st := make([]int, len(o.Perm))
	shape := make([]int, len(o.Perm))
	for i, p := range o.Perm {
		shape[i], st[i] = x[p], xst[p]
	}
	return gatherCopy(View{Shape: shape, Strides: st})
}

// Copy reads x with stride 0 along the axes it is broadcast over (BroadcastStrides).
func (o *BroadcastTo) Copy(x Shape) Copy {
	return gatherCopy(View{Shape: slices.Clone(o.To), Strides: BroadcastStrides(x, o.To)})
}

// Copy reads the box [Start, End) of x with x's own strides, starting at Start's offset.
func (o *Slice) Copy(x Shape) Copy {
	xst := x.Strides()
	shape := make([]int, len(x))
	off := 0
	for i := range x {
		shape[i] = o.End[i] - o.Start[i]
		off += o.Start[i] * xst[i]
	}
	return gatherCopy(View{Shape: shape, Strides: xst, Offset: off})
}

// Copy writes x, read contiguously, into the box of the result that starts at Lo; the rest of the
// result is zero.
func (o *Pad) Copy(x Shape) Copy {
	y := make(Shape, len(x))
	for i := range x {
		y[i] = o.Lo[i] + x[i] + o.Hi[i]
	}
	yst := y.Strides()
	off := 0
	for i, l := range o.Lo {
		off += l * yst[i]
	}
	return Copy{Src: ContiguousView(x), Dst: View{Shape: slices.Clone(x), Strides: yst, Offset: off}}
}

// Copies writes each operand, read contiguously, into its slab of the result along Axis, the
// operands in order.
func (o *Concat) Copies(in []Shape) []Copy {
	y := slices.Clone(in[0])
	y[o.Axis] = 0
	for _, s := range in {
		y[o.Axis] += s[o.Axis]
	}
	yst := y.Strides()
	copies := make([]Copy, len(in))
	at := 0
	for i, s := range in {
		copies[i] = Copy{Input: i, Src: ContiguousView(s),
			Dst: View{Shape: slices.Clone(s), Strides: yst, Offset: at * yst[o.Axis]}}
		at += s[o.Axis]
	}
	return copies
}

// Copy is Glow's squeeze: x [N C H W] is read as [N C b b H/b W/b], pixel (b*h + i, b*w + j) at
// index (n, c, i, j, h, w), and written contiguously, so that result channel c*b*b + i*b + j holds
// the pixels at row offset i and column offset j of each b x b block of channel c.
func (o *SpaceToDepth) Copy(x Shape) Copy {
	b := o.Block
	n, c, h, w := x[0], x[1], x[2], x[3]
	return gatherCopy(View{
		Shape:   []int{n, c, b, b, h / b, w / b},
		Strides: []int{c * h * w, h * w, w, 1, b * w, b},
	})
}

// Copy is Glow's unsqueeze, SpaceToDepth's inverse: the result y [N C H*b W*b] is written as
// [N C H b W b], element (n, c, h, i, w, j) read from x [N C*b*b H W] at channel c*b*b + i*b + j,
// pixel (h, w).
func (o *DepthToSpace) Copy(x Shape) Copy {
	b := o.Block
	n, c, h, w := x[0], x[1]/(b*b), x[2], x[3]
	return gatherCopy(View{
		Shape:   []int{n, c, h, b, w, b},
		Strides: []int{c * b * b * h * w, b * b * h * w, w, b * h * w, 1, h * w},
	})
}

// Copy repeats pixels: the result is written as [N C H f W f] from x [N C H W] read with stride 0
// along the two repeat axes.
func (o *Upsample) Copy(x Shape) Copy {
	f := o.Factor
	n, c, h, w := x[0], x[1], x[2], x[3]
	return gatherCopy(View{
		Shape:   []int{n, c, h, f, w, f},
		Strides: []int{c * h * w, h * w, w, 0, 1, 0},
	})
}

// Reduction splits x's axes into the kept ones (in order, one output each) and the reduced
// ones (Axes), both with x's row-major strides.
func (o *Reduce) Reduction(x Shape) Reduction {
	xst := x.Strides()
	var r Reduction
	for i, d := range x {
		v := &r.Kept
		if slices.Contains(o.Axes, i) {
			v = &r.Reduced
		}
		v.Shape, v.Strides = append(v.Shape, d), append(v.Strides, xst[i])
	}
	return r
}

// Reduction views x [N C H W] as [N C H/k k W/k k]: the kept axes are (N, C, H/k, W/k), the
// reduced ones the two window axes (k, k).
func (o *AvgPool) Reduction(x Shape) Reduction {
	k := o.Size
	n, c, h, w := x[0], x[1], x[2], x[3]
	return Reduction{
		Kept:    View{Shape: []int{n, c, h / k, w / k}, Strides: []int{c * h * w, h * w, k * w, k}},
		Reduced: View{Shape: []int{k, k}, Strides: []int{w, 1}},
	}
}

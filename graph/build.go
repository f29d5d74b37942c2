package graph

import (
	"slices"
)

// Unary applies fn elementwise.
func (g *Graph) Unary(fn UnaryFn, x *Node) *Node { return g.add(&Unary{Fn: fn}, x) }

// Neg is -x.
func (g *Graph) Neg(x *Node) *Node { return g.Unary(Neg, x) }

// Exp is e^x.
func (g *Graph) Exp(x *Node) *Node { return g.Unary(Exp, x) }

// Log is the natural logarithm.
func (g *Graph) Log(x *Node) *Node { return g.Unary(Log, x) }

// Sqrt is the square root.
func (g *Graph) Sqrt(x *Node) *Node { return g.Unary(Sqrt, x) }

// Square is x*x.
func (g *Graph) Square(x *Node) *Node { return g.Unary(Square, x) }

// Abs is |x|.
func (g *Graph) Abs(x *Node) *Node { return g.Unary(Abs, x) }

// Sigmoid is 1/(1+e^-x).
func (g *Graph) Sigmoid(x *Node) *Node { return g.Unary(Sigmoid, x) }

// Tanh is the hyperbolic tangent.
func (g *Graph) Tanh(x *Node) *Node { return g.Unary(Tanh, x) }

// Relu is max(x, 0).
func (g *Graph) Relu(x *Node) *Node { return g.Unary(Relu, x) }

// Silu is x*sigmoid(x).
func (g *Graph) Silu(x *Node) *Node { return g.Unary(Silu, x) }

// Softplus is log(1+e^x).
func (g *Graph) Softplus(x *Node) *Node { return g.Unary(Softplus, x) }

// LogSigmoid is log(sigmoid(x)).
func (g *Graph) LogSigmoid(x *Node) *Node { return g.Unary(LogSigmoid, x) }

// Add is a+b with broadcasting.
func (g *Graph) Add(a, b *Node) *Node { return g.add(&Binary{Fn: Add}, a, b) }

// Sub is a-b with broadcasting.
func (g *Graph) Sub(a, b *Node) *Node { return g.add(&Binary{Fn: Sub}, a, b) }

// Mul is a*b with broadcasting.
func (g *Graph) Mul(a, b *Node) *Node { return g.add(&Binary{Fn: Mul}, a, b) }

// Div is a/b with broadcasting.
func (g *Graph) Div(a, b *Node) *Node { return g.add(&Binary{Fn: Div}, a, b) }

// AddScalar is x+c.
func (g *Graph) AddScalar(x *Node, c float32) *Node { return g.add(&Affine{Scale: 1, Shift: c}, x) }

// MulScalar is x*c.
func (g *Graph) MulScalar(x *Node, c float32) *Node { return g.add(&Affine{Scale: c}, x) }

// Affine is x*scale + shift.
func (g *Graph) Affine(x *Node, scale, shift float32) *Node {
	return g.add(&Affine{Scale: scale, Shift: shift}, x)
}

// Reduce applies fn over the given axes (negative axes count from the end; none means all axes).
func (g *Graph) Reduce(fn ReduceFn, x *Node, keepDims bool, axes ...int) *Node {
	if g.err != nil {
		return g.bad
	}
	norm, ok := normAxes(axes, len(x.shape))
	if !ok {
		return g.failf("graph: %s: axes %v out of range for %v", fn, axes, x.shape)
	}
	return g.add(&Reduce{Fn: fn, Axes: norm, KeepDims: keepDims}, x)
}

// Sum sums over axes (all when none are given), dropping them.
func (g *Graph) Sum(x *Node, axes ...int) *Node { return g.Reduce(Sum, x, false, axes...) }

// Mean averages over axes (all when none are given), dropping them.
func (g *Graph) Mean(x *Node, axes ...int) *Node { return g.Reduce(Mean, x, false, axes...) }

// LogSumExp is log(sum(exp(x))) over axes, computed stably, dropping them.
func (g *Graph) LogSumExp(x *Node, axes ...int) *Node { return g.Reduce(LogSumExp, x, false, axes...) }

// SumSquares is sum(x^2) over axes, dropping them.
func (g *Graph) SumSquares(x *Node, axes ...int) *Node {
	return g.Reduce(SumSquares, x, false, axes...)
}

func normAxes(axes []int, rank int) ([]int, bool) {
	if len(axes) == 0 {
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, true
	}
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank || slices.Contains(out, a) {
			return nil, false
		}
		out = append(out, a)
	}
	slices.Sort(out)
	return out, true
}

// Matmul is a @ b over the last two axes, broadcasting leading axes.
func (g *Graph) Matmul(a, b *Node) *Node { return g.add(&Matmul{}, a, b) }

// MatmulT is op(a) @ op(b), where op transposes the last two axes when the flag is set.
func (g *Graph) MatmulT(a, b *Node, transA, transB bool) *Node {
	return g.add(&Matmul{TransA: transA, TransB: transB}, a, b)
}

// Conv2D convolves x [N Cin H W] with w [Cout Cin KH KW].
func (g *Graph) Conv2D(x, w *Node, stride, pad int) *Node {
	return g.add(&Conv2D{ConvGeom{Stride: stride, Pad: pad}}, x, w)
}

// ConvTranspose2D is the transposed convolution of x [N Cin H W] with w [Cin Cout KH KW].
func (g *Graph) ConvTranspose2D(x, w *Node, stride, pad, outPad int) *Node {
	return g.add(&ConvTranspose2D{ConvGeom: ConvGeom{Stride: stride, Pad: pad}, OutPad: outPad}, x, w)
}

// Upsample repeats pixels factor times in H and W (nearest neighbour).
func (g *Graph) Upsample(x *Node, factor int) *Node { return g.add(&Upsample{Factor: factor}, x) }

// AvgPool averages non-overlapping size x size windows.
func (g *Graph) AvgPool(x *Node, size int) *Node { return g.add(&AvgPool{Size: size}, x) }

// Reshape gives x a new shape with the same number of elements. One dimension may be -1.
func (g *Graph) Reshape(x *Node, shape ...int) *Node {
	if g.err != nil {
		return g.bad
	}
	to := Shape(shape).clone()
	infer, known := -1, 1
	for i, d := range to {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d > 0:
			known *= d
		default:
			return g.failf("graph: reshape %v to %v: bad dimension %d", x.shape, to, d)
		}
	}
	if infer >= 0 {
		if known == 0 || x.shape.Size()%known != 0 {
			return g.failf("graph: reshape %v to %v: size does not divide", x.shape, to)
		}
		to[infer] = x.shape.Size() / known
	}
	return g.add(&Reshape{To: to}, x)
}

// Permute reorders axes: output axis i is input axis perm[i].
func (g *Graph) Permute(x *Node, perm ...int) *Node {
	return g.add(&Permute{Perm: slices.Clone(perm)}, x)
}

// Transpose swaps the last two axes.
func (g *Graph) Transpose(x *Node) *Node {
	r := len(x.shape)
	if r < 2 {
		return g.failf("graph: transpose needs rank >= 2, got %v", x.shape)
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[r-1], perm[r-2] = r-2, r-1
	return g.Permute(x, perm...)
}

// Pad pads with zeros, lo[i] before and hi[i] after axis i.
func (g *Graph) Pad(x *Node, lo, hi []int) *Node {
	return g.add(&Pad{Lo: slices.Clone(lo), Hi: slices.Clone(hi)}, x)
}

// PadSpatial pads the last two axes of x [N C H W] with p zeros on every side.
func (g *Graph) PadSpatial(x *Node, p int) *Node {
	return g.Pad(x, []int{0, 0, p, p}, []int{0, 0, p, p})
}

// Slice keeps start[i] <= index < end[i] on every axis.
func (g *Graph) Slice(x *Node, start, end []int) *Node {
	return g.add(&Slice{Start: slices.Clone(start), End: slices.Clone(end)}, x)
}

// SliceAxis keeps start <= index < end along one axis.
func (g *Graph) SliceAxis(x *Node, axis, start, end int) *Node {
	if g.err != nil {
		return g.bad
	}
	if axis < 0 {
		axis += len(x.shape)
	}
	if axis < 0 || axis >= len(x.shape) {
		return g.failf("graph: slice: axis %d out of range for %v", axis, x.shape)
	}
	st := make([]int, len(x.shape))
	en := x.shape.clone()
	st[axis], en[axis] = start, end
	return g.Slice(x, st, en)
}

// Split cuts axis into parts of equal size.
func (g *Graph) Split(x *Node, axis, parts int) []*Node {
	out := make([]*Node, parts)
	if g.err != nil || parts < 1 || axis < 0 || axis >= len(x.shape) || x.shape[axis]%parts != 0 {
		g.failf("graph: split %v along axis %d into %d equal parts is impossible", x.shape, axis, parts)
		for i := range out {
			out[i] = g.bad
		}
		return out
	}
	step := x.shape[axis] / parts
	for i := range out {
		out[i] = g.SliceAxis(x, axis, i*step, (i+1)*step)
	}
	return out
}

// Concat joins xs along axis.
func (g *Graph) Concat(axis int, xs ...*Node) *Node {
	if g.err != nil {
		return g.bad
	}
	if len(xs) > 0 && axis < 0 {
		axis += len(xs[0].shape)
	}
	return g.add(&Concat{Axis: axis}, xs...)
}

// SpaceToDepth is Glow's squeeze.
func (g *Graph) SpaceToDepth(x *Node, block int) *Node {
	return g.add(&SpaceToDepth{Block: block}, x)
}

// DepthToSpace is Glow's unsqueeze.
func (g *Graph) DepthToSpace(x *Node, block int) *Node {
	return g.add(&DepthToSpace{Block: block}, x)
}

// BroadcastTo expands x to shape.
func (g *Graph) BroadcastTo(x *Node, shape ...int) *Node {
	return g.add(&BroadcastTo{To: Shape(shape).clone()}, x)
}

// Binary applies fn elementwise with broadcasting.
func (g *Graph) Binary(fn BinaryFn, a, b *Node) *Node { return g.add(&Binary{Fn: fn}, a, b) }

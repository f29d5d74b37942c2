package cpu

import (
	"math"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/vec"
)

const elemGrain = 1 << 14

func unary[T float](fn graph.UnaryFn, x, y []T) {
	parallelFor(len(y), elemGrain, func(lo, hi int) {
		unaryRun(fn, x[lo:hi], y[lo:hi])
	})
}

// unaryRun runs float32 through package vec where it has a loop for fn (the cheap functions and
// the exponential, sigmoid, softplus and log-sigmoid); float64 (the finite-difference reference)
// has loops of its own for the cheap functions, and the others go through graph.UnaryFn.Apply,
// the reference definition.
func unaryRun[T float](fn graph.UnaryFn, x, y []T) {
	x = x[:len(y)]
	if unary32(fn, any(x), any(y)) {
		return
	}
	switch fn {
	case graph.Neg:
		for i, v := range x {
			y[i] = -v
		}
	case graph.Square:
		for i, v := range x {
			y[i] = v * v
		}
	case graph.Relu:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case graph.Step:
		for i, v := range x {
			if v > 0 {
				y[i] = 1
			} else {
				y[i] = 0
			}
		}
	case graph.Exp:
		for i, v := range x {
			y[i] = T(math.Exp(float64(v)))
		}
	default:
		for i, v := range x {
			y[i] = T(fn.Apply(float64(v)))
		}
	}
}

// unary32 runs fn through package vec when x and y are float32 and vec has a loop for it.
func unary32(fn graph.UnaryFn, x, y any) bool {
	x32, ok := x.([]float32)
	if !ok {
		return false
	}
	y32 := y.([]float32)
	switch fn {
	case graph.Neg:
		vec.Neg(y32, x32)
	case graph.Square:
		vec.Square(y32, x32)
	case graph.Relu:
		vec.Relu(y32, x32)
	case graph.Step:
		vec.Step(y32, x32)
	case graph.Exp:
		vec.Exp(y32, x32)
	case graph.Sigmoid:
		vec.Sigmoid(y32, x32)
	case graph.Softplus:
		vec.Softplus(y32, x32)
	case graph.LogSigmoid:
		vec.LogSigmoid(y32, x32)
	default:
		return false
	}
	return true
}

func affine[T float](scale, shift T, x, y []T) {
	parallelFor(len(y), elemGrain, func(lo, hi int) {
		affineRun(scale, shift, x[lo:hi], y[lo:hi])
	})
}

// affineRun sets y = x*scale + shift, through package vec for float32.
func affineRun[T float](scale, shift T, x, y []T) {
	if y32, ok := any(y).([]float32); ok {
		vec.Affine(y32, any(x).([]float32), float32(scale), float32(shift))
		return
	}
	for i, v := range x[:len(y)] {
		y[i] = v*scale + shift
	}
}

// binary evaluates fn with broadcasting; as, bs are the operands' shapes, out the result's.
func binary[T float](fn graph.BinaryFn, a []T, as graph.Shape, b []T, bs graph.Shape, y []T, out graph.Shape) {
	if as.Equal(out) && bs.Equal(out) {
		parallelFor(len(y), elemGrain, func(lo, hi int) {
			binaryRun(fn, y[lo:hi], a[lo:hi], 1, b[lo:hi], 1)
		})
		return
	}
	shape, st := graph.CollapseStrides(out, contiguous(out), graph.BroadcastStrides(as, out), graph.BroadcastStrides(bs, out))
	last := len(shape) - 1
	parallelFor(len(y), max(elemGrain, shape[last]), func(lo, hi int) {
		walk(shape, st, lo, hi, func(off []int, n int) {
			binaryRun(fn, y[off[0]:off[0]+n], a[off[1]:], st[1][last], b[off[2]:], st[2][last])
		})
	})
}

// binaryRun computes y[i] = fn(a[i*sa], b[i*sb]) for i < len(y).
func binaryRun[T float](fn graph.BinaryFn, y, a []T, sa int, b []T, sb int) {
	n := len(y)
	switch {
	case sa == 1 && sb == 1:
		binaryContiguous(fn, y, a[:n], b[:n])
		return
	case sa == 1 && sb == 0:
		binaryScalar(fn, y, a[:n], b[0], false)
		return
	case sa == 0 && sb == 1:
		binaryScalar(fn, y, b[:n], a[0], true)
		return
	}
	switch fn {
	case graph.Add:
		for i := range y {
			y[i] = a[i*sa] + b[i*sb]
		}
	case graph.Sub:
		for i := range y {
			y[i] = a[i*sa] - b[i*sb]
		}
	case graph.Mul:
		for i := range y {
			y[i] = a[i*sa] * b[i*sb]
		}
	case graph.Div:
		for i := range y {
			y[i] = a[i*sa] / b[i*sb]
		}
	}
}

func binaryContiguous[T float](fn graph.BinaryFn, y, a, b []T) {
	if y32, ok := any(y).([]float32); ok {
		a32, b32 := any(a).([]float32), any(b).([]float32)
		switch fn {
		case graph.Add:
			vec.Add(y32, a32, b32)
		case graph.Sub:
			vec.Sub(y32, a32, b32)
		case graph.Mul:
			vec.Mul(y32, a32, b32)
		case graph.Div:
			vec.Div(y32, a32, b32)
		}
		return
	}
	switch fn {
	case graph.Add:
		for i := range y {
			y[i] = a[i] + b[i]
		}
	case graph.Sub:
		for i := range y {
			y[i] = a[i] - b[i]
		}
	case graph.Mul:
		for i := range y {
			y[i] = a[i] * b[i]
		}
	case graph.Div:
		for i := range y {
			y[i] = a[i] / b[i]
		}
	}
}

// binaryScalar computes y = fn(v, c), or fn(c, v) when swapped, for a vector v and a scalar c.
func binaryScalar[T float](fn graph.BinaryFn, y, v []T, c T, swapped bool) {
	if y32, ok := any(y).([]float32); ok {
		v32, c32 := any(v).([]float32), float32(c)
		switch {
		case fn == graph.Add:
			vec.AddScalar(y32, v32, c32)
		case fn == graph.Mul:
			vec.MulScalar(y32, v32, c32)
		case fn == graph.Sub && !swapped:
			vec.SubScalar(y32, v32, c32)
		case fn == graph.Sub:
			vec.ScalarSub(y32, v32, c32)
		case fn == graph.Div && !swapped:
			vec.DivScalar(y32, v32, c32)
		default:
			vec.ScalarDiv(y32, v32, c32)
		}
		return
	}
	switch {
	case fn == graph.Add:
		for i := range y {
			y[i] = v[i] + c
		}
	case fn == graph.Mul:
		for i := range y {
			y[i] = v[i] * c
		}
	case fn == graph.Sub && !swapped:
		for i := range y {
			y[i] = v[i] - c
		}
	case fn == graph.Sub:
		for i := range y {
			y[i] = c - v[i]
		}
	case fn == graph.Div && !swapped:
		for i := range y {
			y[i] = v[i] / c
		}
	default:
		for i := range y {
			y[i] = c / v[i]
		}
	}
}

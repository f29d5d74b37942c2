package graph

import (
	"fmt"
	"strings"
)

// Shape lists a tensor's dimensions, outermost first. Image tensors are NCHW.
type Shape []int

// Size is the number of elements, the product of the dimensions (1 for a scalar).
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether s and t have the same rank and dimensions.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// String formats the shape as [d0 d1 ...].
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Strides returns the row-major element strides of s.
func (s Shape) Strides() []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

func (s Shape) clone() Shape { return append(Shape(nil), s...) }

// padLeft returns s with ones prepended up to the given rank.
func (s Shape) padLeft(rank int) Shape {
	if len(s) >= rank {
		return s.clone()
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = 1
	}
	copy(out[rank-len(s):], s)
	return out
}

// BroadcastShapes returns the shape that a and b broadcast to, aligning dimensions from the right
// (NumPy rules: each pair of dimensions must be equal or one of them 1).
func BroadcastShapes(a, b Shape) (Shape, error) {
	rank := max(len(a), len(b))
	pa, pb := a.padLeft(rank), b.padLeft(rank)
	out := make(Shape, rank)
	for i := range out {
		switch {
		case pa[i] == pb[i]:
			out[i] = pa[i]
		case pa[i] == 1:
			out[i] = pb[i]
		case pb[i] == 1:
			out[i] = pa[i]
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast (dimension %d: %d vs %d)", a, b, i, pa[i], pb[i])
		}
	}
	return out, nil
}

// BroadcastStrides returns, for a tensor of shape in broadcast to shape out, the element strides to
// use when walking out: zero along broadcast dimensions.
func BroadcastStrides(in, out Shape) []int {
	p := in.padLeft(len(out))
	st := p.Strides()
	for i := range p {
		if p[i] == 1 && out[i] != 1 {
			st[i] = 0
		}
	}
	return st
}

// CollapseStrides simplifies a strided walk over shape shared by several operands (strides[k] for
// operand k): it drops axes of size 1 and merges neighbouring axes that every operand walks
// contiguously, so that kernels index as few axes as possible and run long inner loops. The
// result has rank at least 1.
func CollapseStrides(shape []int, strides ...[]int) ([]int, [][]int) {
	var s []int
	st := make([][]int, len(strides))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] == 1 {
			continue
		}
		if len(s) > 0 {
			last := len(s) - 1
			merge := true
			for k := range strides {
				if strides[k][i] != st[k][last]*s[last] {
					merge = false
				}
			}
			if merge {
				s[last] *= shape[i]
				continue
			}
		}
		s = append(s, shape[i])
		for k := range strides {
			st[k] = append(st[k], strides[k][i])
		}
	}
	if len(s) == 0 {
		s = []int{1}
		for k := range st {
			st[k] = []int{0}
		}
	}
	reverseInts(s)
	for k := range st {
		reverseInts(st[k])
	}
	return s, st
}

func reverseInts(v []int) {
	for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
}

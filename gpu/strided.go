package gpu

import (
	"fmt"

	"github.com/oodgpu/oodgpu/graph"
)

func contiguous(shape []int) []int { return graph.Shape(shape).Strides() }

func prod(s []int) int { return graph.Shape(s).Size() }

// collapse simplifies a strided walk over shape shared by several operands (strides[k] for
// operand k): it drops axes of size 1 and merges neighbouring axes that every operand walks
// contiguously, so kernels index as few axes as possible. The result has rank 1 to maxRank.
func collapse(shape []int, strides ...[]int) ([]int, [][]int, error) {
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
	if len(s) > maxRank {
		return nil, nil, fmt.Errorf("strided view of rank %d after merging axes (at most %d)", len(s), maxRank)
	}
	reverse(s)
	for k := range st {
		reverse(st[k])
	}
	return s, st, nil
}

func reverse(v []int) {
	for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
}

func padTo(v []int, n int) []uint32 {
	out := make([]uint32, n)
	for i, x := range v {
		out[i] = uint32(x)
	}
	return out
}

func pad6(v []int) []uint32 { return padTo(v, maxRank) }

//go:build cgo || js

package gpu

import (
	"fmt"

	"github.com/oodgpu/oodgpu/graph"
)

func contiguous(shape []int) []int { return graph.Shape(shape).Strides() }

func prod(s []int) int { return graph.Shape(s).Size() }

// collapse is graph.CollapseStrides, limited to the maxRank axes the kernels index.
func collapse(shape []int, strides ...[]int) ([]int, [][]int, error) {
	s, st := graph.CollapseStrides(shape, strides...)
	if err := fits(graph.View{Shape: s}); err != nil {
		return nil, nil, err
	}
	return s, st, nil
}

// fits checks that collapsed views have at most the maxRank axes the kernels index.
func fits(views ...graph.View) error {
	for _, v := range views {
		if len(v.Shape) > maxRank {
			return fmt.Errorf("strided view of rank %d after merging axes (at most %d)", len(v.Shape), maxRank)
		}
	}
	return nil
}

package graph

import (
	"reflect"
	"testing"
)

func TestCollapseStrides(t *testing.T) {
	cases := []struct {
		shape     []int
		strides   [][]int
		wantShape []int
		want      [][]int
	}{
		// Contiguous: one axis.
		{[]int{2, 3, 4}, [][]int{{12, 4, 1}}, []int{24}, [][]int{{1}}},
		// A per-channel operand broadcast over [N C H W]: H and W merge, N and C stay.
		{[]int{2, 3, 4, 5}, [][]int{{60, 20, 5, 1}, {0, 1, 0, 0}}, []int{2, 3, 20}, [][]int{{60, 20, 1}, {0, 1, 0}}},
		// Unit axes vanish, even innermost ones (strides then need not be 1).
		{[]int{4, 1}, [][]int{{7, 1}}, []int{4}, [][]int{{7}}},
		// All unit axes: one axis of size 1.
		{[]int{1, 1}, [][]int{{1, 1}}, []int{1}, [][]int{{0}}},
		// A transposition cannot merge.
		{[]int{3, 4}, [][]int{{4, 1}, {1, 3}}, []int{3, 4}, [][]int{{4, 1}, {1, 3}}},
	}
	for _, c := range cases {
		s, st := CollapseStrides(c.shape, c.strides...)
		if !reflect.DeepEqual(s, c.wantShape) || !reflect.DeepEqual(st, c.want) {
			t.Errorf("CollapseStrides(%v, %v) = %v, %v; want %v, %v", c.shape, c.strides, s, st, c.wantShape, c.want)
		}
	}
}

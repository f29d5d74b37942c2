package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// TestIm2colSameMatchesRows checks the shifted-plane im2col of same-size convolutions against
// the row-by-row one on every kernel offset, including planes narrower than the padding.
func TestIm2colSameMatchesRows(t *testing.T) {
	for _, tc := range []struct{ ci, h, w, k int }{
		{3, 16, 16, 3}, {2, 4, 4, 3}, {1, 5, 7, 3}, {2, 6, 3, 5}, {1, 1, 1, 3}, {2, 2, 9, 5}, {1, 3, 1, 3},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d_k%d", tc.ci, tc.h, tc.w, tc.k), func(t *testing.T) {
			geom := graph.ConvGeom{Stride: 1, Pad: tc.k / 2}
			c := newConvShape(graph.Shape{1, tc.ci, tc.h, tc.w}, graph.Shape{1, tc.ci, tc.k, tc.k}, geom)
			r := rand.New(rand.NewPCG(5, 5))
			x := make([]float32, tc.ci*tc.h*tc.w)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			got, want := make([]float32, c.k()*c.p()), make([]float32, c.k()*c.p())
			for i := range got {
				got[i] = 99 // every element must be written
			}
			im2colSame(c, x, got)
			im2colRows(c, x, want)
			if !slices.Equal(got, want) {
				t.Fatalf("shifted-plane im2col differs from the row-by-row one:\n%v\n%v", got, want)
			}
		})
	}
}

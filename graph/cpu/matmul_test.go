package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// TestMatmulFloat32 checks the float32 matmul (sgemm) against the float64 one (gonum's Dgemm) on
// both of its paths: fewer products than cores, each split over the cores (a single product
// larger than sgemm's parallel threshold), and a broadcast batch run one product per core.
func TestMatmulFloat32(t *testing.T) {
	cases := []struct {
		a, b, y []int
		ta, tb  bool
	}{
		{[]int{150, 130}, []int{130, 140}, []int{150, 140}, false, false},
		{[]int{130, 150}, []int{140, 130}, []int{150, 140}, true, true},
		{[]int{5, 17, 9}, []int{9, 33}, []int{5, 17, 33}, false, false},
		{[]int{3, 1, 9, 17}, []int{2, 33, 9}, []int{3, 2, 17, 33}, true, true},
	}
	r := rand.New(rand.NewPCG(4, 5))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v%v/%v%v", c.a, c.ta, c.b, c.tb), func(t *testing.T) {
			op := &graph.Matmul{TransA: c.ta, TransB: c.tb}
			a32, a64 := randomPair(r, graph.Shape(c.a).Size())
			b32, b64 := randomPair(r, graph.Shape(c.b).Size())
			n := graph.Shape(c.y).Size()
			y32, y64 := make([]float32, n), make([]float64, n)
			matmul(op, a32, c.a, b32, c.b, y32, c.y)
			matmul(op, a64, c.a, b64, c.b, y64, c.y)
			_, k, _, _ := op.MatmulDims(c.a, c.b)
			// The operands are standard normal: the sum of |products| is about k.
			tol := 4 * float64(k) * float64(k) * 0x1p-24
			for i := range y64 {
				if d := math.Abs(float64(y32[i]) - y64[i]); !(d <= tol) {
					t.Fatalf("y[%d] = %v, float64 %v (|diff| %.3g > %.3g)", i, y32[i], y64[i], d, tol)
				}
			}
		})
	}
}

// randomPair returns the same standard normal values as float32 and as float64.
func randomPair(r *rand.Rand, n int) ([]float32, []float64) {
	s32, s64 := make([]float32, n), make([]float64, n)
	for i := range s32 {
		s32[i] = float32(r.NormFloat64())
		s64[i] = float64(s32[i])
	}
	return s32, s64
}

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/shiftconv"
)

// TestShiftedConvMatchesFloat64 checks the float32 forward pass, data gradient and weight
// gradient of convolutions that run shifted (where this CPU has shiftconv's kernels) against the
// float64 ones, which run on the GEMM: Glow's shapes, output channels that do not fill a block of
// four, odd plane sizes and a 5x5 kernel.
func TestShiftedConvMatchesFloat64(t *testing.T) {
	tests := []struct{ n, ci, h, w, co, k int }{
		{3, 128, 16, 16, 4, 3}, // Glow's last 3x3 of a coupling, level 1
		{2, 128, 8, 8, 8, 3},   // level 2
		{2, 128, 4, 4, 16, 3},  // level 3
		{2, 2, 16, 16, 128, 3}, // its first 3x3: few im2col rows
		{2, 8, 4, 4, 128, 3},   // few rows on a small plane
		{2, 24, 16, 16, 24, 1}, // a 1x1 convolution's weight gradient
		{2, 6, 5, 7, 3, 3},     // odd sizes, three outputs
		{2, 3, 9, 6, 5, 5},     // a 5x5 kernel, five outputs
		{1, 1, 1, 1, 1, 3},     // one pixel
		// Weight gradients of images stacked (stackedGeom): whole stacks and a shorter one after them.
		{40, 8, 4, 4, 128, 3}, // level 3's first 3x3
		{30, 4, 8, 8, 128, 3}, // level 2's
		{70, 16, 4, 4, 24, 1}, // a 1x1 convolution on a small plane
		{9, 3, 5, 7, 6, 3},    // odd sizes
	}
	if !shiftconv.Accelerated() {
		t.Log("shiftconv has no assembly kernels on this CPU or build: every convolution here runs on the GEMM")
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%dx%dx%dx%d_co%d_k%d", tc.n, tc.ci, tc.h, tc.w, tc.co, tc.k)
		t.Run(name, func(t *testing.T) {
			c := newConvShape(graph.Shape{tc.n, tc.ci, tc.h, tc.w}, graph.Shape{tc.co, tc.ci, tc.k, tc.k},
				graph.ConvGeom{Stride: 1, Pad: tc.k / 2})
			t.Logf("shifted: forward %v, weight gradient %v", c.shiftedForward(), c.shiftedWeightGrad())
			r := rand.New(rand.NewPCG(7, uint64(tc.ci*tc.co)))
			x32, x64 := randomPair(r, tc.n*tc.ci*tc.h*tc.w)
			w32, w64 := randomPair(r, tc.co*c.k())
			gy32, gy64 := randomPair(r, tc.n*tc.co*c.p())
			// Standard normal operands: a sum of m products has |terms| summing to about m.
			check := func(what string, got []float32, want []float64, m int) {
				t.Helper()
				tol := 4 * float64(m+2) * float64(m+2) * 0x1p-24
				for i, v := range want {
					if d := math.Abs(float64(got[i]) - v); !(d <= tol) {
						t.Fatalf("%s[%d] = %v, float64 %v (|diff| %.3g > %.3g)", what, i, got[i], v, d, tol)
					}
				}
			}
			y32, y64 := make([]float32, len(gy32)), make([]float64, len(gy64))
			convForward(c, x32, w32, y32)
			convForward(c, x64, w64, y64)
			check("y", y32, y64, c.k())
			gx32, gx64 := make([]float32, len(x32)), make([]float64, len(x64))
			convBackwardData(c, gy32, w32, gx32)
			convBackwardData(c, gy64, w64, gx64)
			check("gx", gx32, gx64, tc.co*tc.k*tc.k)
			dw32, dw64 := make([]float32, len(w32)), make([]float64, len(w64))
			convWeightGrad(c, x32, gy32, tc.n, dw32)
			convWeightGrad(c, x64, gy64, tc.n, dw64)
			check("dw", dw32, dw64, tc.n*c.p())
		})
	}
}

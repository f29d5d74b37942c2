package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// refWeightGradSqNorms computes, in float64 and straight from the definition of a convolution,
// the squared norm of each group's summed weight gradient.
func refWeightGradSqNorms(c convShape, x, gy []float64, groupSize int) []float64 {
	norms := make([]float64, c.n/groupSize)
	for g := range norms {
		dw := make([]float64, c.co*c.ci*c.kh*c.kw)
		for b := g * groupSize; b < (g+1)*groupSize; b++ {
			for o := 0; o < c.co; o++ {
				for ch := 0; ch < c.ci; ch++ {
					for i := 0; i < c.kh; i++ {
						for j := 0; j < c.kw; j++ {
							var s float64
							for oy := 0; oy < c.oh; oy++ {
								for ox := 0; ox < c.ow; ox++ {
									iy, ix := oy*c.Stride-c.Pad+i, ox*c.Stride-c.Pad+j
									if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w {
										continue
									}
									s += gy[((b*c.co+o)*c.oh+oy)*c.ow+ox] * x[((b*c.ci+ch)*c.h+iy)*c.w+ix]
								}
							}
							dw[((o*c.ci+ch)*c.kh+i)*c.kw+j] += s
						}
					}
				}
			}
		}
		for _, v := range dw {
			norms[g] += v * v
		}
	}
	return norms
}

// TestNormFormsAgree checks the direct and the Gram forms of the per-group weight-gradient norm
// against each other and against the float64 definition, in float32 and float64, on layers
// where the planner picks each form.
func TestNormFormsAgree(t *testing.T) {
	tests := []struct {
		n, ci, h, co, k, stride, pad, group int
	}{
		{n: 2, ci: 128, h: 4, co: 128, k: 1, group: 1},          // Glow's 1x1 at the last level: Gram
		{n: 2, ci: 8, h: 4, co: 128, k: 3, pad: 1, group: 1},    // its first 3x3 there: Gram
		{n: 3, ci: 2, h: 16, co: 32, k: 3, pad: 1, group: 1},    // few inputs, many positions: direct
		{n: 4, ci: 16, h: 5, co: 24, k: 3, stride: 2, group: 2}, // strided, two images a group
		{n: 5, ci: 3, h: 7, co: 5, k: 2, pad: 1, group: 5},      // one group of five
		{n: 3, ci: 16, h: 8, co: 4, k: 3, pad: 1, group: 1},     // few outputs: dot products
		{n: 4, ci: 8, h: 9, co: 3, k: 3, pad: 1, group: 2},      // few outputs, odd size, pairs
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%dx%dx%dx%d_co%d_k%d_s%d_p%d_B%d", tc.n, tc.ci, tc.h, tc.h, tc.co, tc.k, max(tc.stride, 1), tc.pad, tc.group)
		t.Run(name, func(t *testing.T) {
			geom := graph.ConvGeom{Stride: max(tc.stride, 1), Pad: tc.pad}
			c := newConvShape(graph.Shape{tc.n, tc.ci, tc.h, tc.h}, graph.Shape{tc.co, tc.ci, tc.k, tc.k}, geom)
			r := rand.New(rand.NewPCG(3, uint64(tc.ci)))
			x64, gy64 := make([]float64, tc.n*tc.ci*tc.h*tc.h), make([]float64, tc.n*tc.co*c.p())
			x32, gy32 := make([]float32, len(x64)), make([]float32, len(gy64))
			for i := range x64 {
				x32[i] = float32(r.NormFloat64())
				x64[i] = float64(x32[i])
			}
			for i := range gy64 {
				gy32[i] = float32(r.NormFloat64())
				gy64[i] = float64(gy32[i])
			}
			want := refWeightGradSqNorms(c, x64, gy64, tc.group)
			op := graph.ConvWeightGradSqNorm{ConvWeightGrad: graph.ConvWeightGrad{ConvGeom: geom, KH: tc.k, KW: tc.k, GroupSize: tc.group}}
			t.Logf("planner's form: %v", op.Form(graph.Shape{tc.n, tc.ci, tc.h, tc.h}, graph.Shape{tc.n, tc.co, c.oh, c.ow}))
			for _, form := range []graph.NormForm{graph.NormDirect, graph.NormGram} {
				got32, got64 := make([]float32, len(want)), make([]float64, len(want))
				convWeightGradSqNorm(c, x32, gy32, tc.group, form, got32)
				convWeightGradSqNorm(c, x64, gy64, tc.group, form, got64)
				for g, w := range want {
					if d := math.Abs(float64(got32[g]) - w); !(d <= 1e-4*math.Abs(w)) {
						t.Errorf("%v, float32, group %d: %g, want %g", form, g, got32[g], w)
					}
					if d := math.Abs(got64[g] - w); !(d <= 1e-11*math.Abs(w)) {
						t.Errorf("%v, float64, group %d: %g, want %g", form, g, got64[g], w)
					}
				}
			}
		})
	}
}

func TestChooseNormForm(t *testing.T) {
	tests := []struct {
		positions, dIn, dOut int
		want                 graph.NormForm
	}{
		{16, 128, 128, graph.NormGram},    // 16*256 < 128*128
		{256, 128, 128, graph.NormDirect}, // 256*256 > 128*128
		{64, 128, 128, graph.NormDirect},  // equal cost: direct
		{16, 1152, 16, graph.NormDirect},  // 16*1168 > 1152*16
		{1, 1, 1, graph.NormDirect},       // 1*2 > 1
		{10, 1000, 1000, graph.NormGram},  // 10*2000 < 10^6
	}
	for _, tc := range tests {
		if got := graph.ChooseNormForm(tc.positions, tc.dIn, tc.dOut); got != tc.want {
			t.Errorf("ChooseNormForm(%d, %d, %d) = %v, want %v", tc.positions, tc.dIn, tc.dOut, got, tc.want)
		}
	}
}

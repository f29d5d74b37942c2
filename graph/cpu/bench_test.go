package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

func randomTensor(r *rand.Rand, shape ...int) *graph.Tensor {
	t := graph.Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// BenchmarkMatmul times a square matrix product through a compiled plan on the CPU executor.
func BenchmarkMatmul(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			g := graph.New()
			y := g.Matmul(g.Input("a", n, n), g.Param("b", n, n))
			p, err := graph.Compile(g, y)
			if err != nil {
				b.Fatal(err)
			}
			feeds := graph.Feeds{"a": randomTensor(r, n, n), "b": randomTensor(r, n, n)}
			e := New()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Run(context.Background(), p, feeds); err != nil {
					b.Fatal(err)
				}
			}
			reportFLOPs(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

// BenchmarkGonumSgemm times gonum's float32 Sgemm alone on the same sizes, as the reference.
func BenchmarkGonumSgemm(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randomTensor(r, n, n), randomTensor(r, n, n), graph.Zeros(n, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				gemm(false, false, n, n, n, a.Data, bb.Data, 0, c.Data)
			}
			reportFLOPs(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

// BenchmarkConv2DForwardBackward times one convolution at a Glow-like shape (batch 64, 16x16,
// 128 channels) forward and backward: the data gradient and the weight gradient, through Grad.
func BenchmarkConv2DForwardBackward(b *testing.B) {
	for _, k := range []int{3, 1} {
		b.Run(fmt.Sprintf("%dx%d", k, k), func(b *testing.B) {
			const n, c, hw = 64, 128, 16
			r := rand.New(rand.NewPCG(2, 2))
			g := graph.New()
			x := g.Input("x", n, c, hw, hw)
			gy := g.Input("gy", n, c, hw, hw)
			w := g.Param("w", c, c, k, k)
			y := g.Conv2D(x, w, 1, k/2)
			loss := g.Sum(g.Mul(y, gy))
			grads, err := g.Grad(loss, []*graph.Node{w})
			if err != nil {
				b.Fatal(err)
			}
			// The data gradient is the transposed convolution of gy, as the backward pass forms it.
			gx := g.ConvTranspose2D(gy, w, 1, k/2, 0)
			p, err := graph.Compile(g, y, gx, grads[0])
			if err != nil {
				b.Fatal(err)
			}
			feeds := graph.Feeds{"x": randomTensor(r, n, c, hw, hw), "gy": randomTensor(r, n, c, hw, hw),
				"w": randomTensor(r, c, c, k, k)}
			e := New()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Run(context.Background(), p, feeds); err != nil {
					b.Fatal(err)
				}
			}
			reportFLOPs(b, 3*2*float64(n*c*c*k*k*hw*hw))
		})
	}
}

func reportFLOPs(b *testing.B, perOp float64) {
	b.ReportMetric(perOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

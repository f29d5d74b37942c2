package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/sgemm"
)

func randomTensor(r *rand.Rand, shape ...int) *graph.Tensor {
	t := graph.Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// BenchmarkMatmul times a square matrix product through a compiled plan on the CPU executor, its
// product written into the same output tensor every run, as a loop over one plan runs it.
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
			e, outs := New(), graph.NewOutputs(p)
			if err := e.RunInto(context.Background(), p, feeds, outs); err != nil { // allocate the slots
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.RunInto(context.Background(), p, feeds, outs); err != nil {
					b.Fatal(err)
				}
			}
			reportFLOPs(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

// gemmShapes are the products the GEMM benchmarks time: square ones, and the 3x3 convolution of
// a Glow step (128 channels, 64 images of 16x16, as one product over the batch) as m x n x k.
var gemmShapes = []struct {
	name    string
	m, n, k int
}{
	{"256", 256, 256, 256},
	{"512", 512, 512, 512},
	{"1024", 1024, 1024, 1024},
	{"glow128x16384x1152", 128, 64 * 16 * 16, 128 * 9},
}

// benchGemm times f on every shape of gemmShapes, reporting GFLOP/s.
func benchGemm(b *testing.B, f func(m, n, k int, a, bb, c []float32)) {
	for _, s := range gemmShapes {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randomTensor(r, s.m, s.k), randomTensor(r, s.k, s.n), graph.Zeros(s.m, s.n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f(s.m, s.n, s.k, a.Data, bb.Data, c.Data)
			}
			reportFLOPs(b, 2*float64(s.m)*float64(s.n)*float64(s.k))
		})
	}
}

// BenchmarkGemm times sgemm's Gemm (one goroutine) and ParallelGemm on gemmShapes, and gonum's
// float32 Sgemm (which splits large products over the cores itself) as the reference.
func BenchmarkGemm(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		benchGemm(b, func(m, n, k int, a, bb, c []float32) { sgemm.Gemm(false, false, m, n, k, a, k, bb, n, 0, c, n) })
	})
	b.Run("parallel", func(b *testing.B) {
		benchGemm(b, func(m, n, k int, a, bb, c []float32) {
			sgemm.ParallelGemm(false, false, m, n, k, a, k, bb, n, 0, c, n)
		})
	})
	b.Run("gonum", func(b *testing.B) {
		var impl gonum.Implementation
		benchGemm(b, func(m, n, k int, a, bb, c []float32) {
			impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
		})
	})
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
			if _, err := e.Run(context.Background(), p, feeds); err != nil { // allocate the slots
				b.Fatal(err)
			}
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

// BenchmarkConvShapes times the forward pass, data gradient and weight gradient of each
// convolution shape in a step of the default Glow (batch 64; per level: the coupling network's
// first 3x3, its 1x1 and its last 3x3), as the executor runs them: shifted where
// convShape.shifted says so, else im2col and GEMM.
func BenchmarkConvShapes(b *testing.B) {
	const n = 64
	for _, s := range []struct{ ci, co, k, hw int }{
		{2, 128, 3, 16}, {128, 128, 1, 16}, {128, 4, 3, 16},
		{4, 128, 3, 8}, {128, 128, 1, 8}, {128, 8, 3, 8},
		{8, 128, 3, 4}, {128, 128, 1, 4}, {128, 16, 3, 4},
	} {
		c := newConvShape(graph.Shape{n, s.ci, s.hw, s.hw}, graph.Shape{s.co, s.ci, s.k, s.k}, graph.ConvGeom{Stride: 1, Pad: s.k / 2})
		r := rand.New(rand.NewPCG(1, 2))
		x := randomTensor(r, n, s.ci, s.hw, s.hw).Data
		w := randomTensor(r, s.co, s.ci, s.k, s.k).Data
		gy := randomTensor(r, n, s.co, s.hw, s.hw).Data
		y, gx, dw := make([]float32, len(gy)), make([]float32, len(x)), make([]float32, len(w))
		flops := 2 * float64(n*s.ci*s.co*s.k*s.k*s.hw*s.hw)
		name := fmt.Sprintf("%dx%d_%d-%d_%dx%d", s.hw, s.hw, s.ci, s.co, s.k, s.k)
		for _, pass := range []struct {
			name string
			run  func()
		}{
			{"forward", func() { convForward(c, x, w, y) }},
			{"data", func() { convBackwardData(c, gy, w, gx) }},
			{"weight", func() { convWeightGrad(c, x, gy, n, dw) }},
		} {
			b.Run(name+"/"+pass.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					pass.run()
				}
				reportFLOPs(b, flops)
			})
		}
	}
}

func reportFLOPs(b *testing.B, perOp float64) {
	b.ReportMetric(perOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkFusedChain times the default Glow's coupling-network ActNorm and ReLU at batch 64,
// 16x16, 128 channels: forward ((x + b) * s, relu, read by a sum standing in for the next layer)
// and the backward chain of its scale (sum over N, H, W of g * step(h) * h), with the planner's
// chains and with every member run alone (Plan.Chains cleared), in one run. The outputs are
// small, so that copying them out does not hide the passes.
func BenchmarkFusedChain(b *testing.B) {
	const n, c, hw = 64, 128, 16
	r := rand.New(rand.NewPCG(3, 3))
	g := graph.New()
	x, gy := g.Input("x", n, c, hw, hw), g.Input("g", n, c, hw, hw)
	bias, scale := g.Param("b", 1, c, 1, 1), g.Param("s", 1, c, 1, 1)
	h := g.Mul(g.Add(x, bias), scale)
	y := g.Sum(g.Relu(h), 1, 2, 3)
	ds := g.Sum(g.Mul(g.Mul(gy, g.Unary(graph.Step, h)), h), 0, 2, 3)
	feeds := graph.Feeds{"x": randomTensor(r, n, c, hw, hw), "g": randomTensor(r, n, c, hw, hw),
		"b": randomTensor(r, 1, c, 1, 1), "s": randomTensor(r, 1, c, 1, 1)}
	for _, fused := range []bool{true, false} {
		name := "fused"
		if !fused {
			name = "unfused"
		}
		b.Run(name, func(b *testing.B) {
			p, err := graph.Compile(g, y, ds)
			if err != nil {
				b.Fatal(err)
			}
			if !fused {
				clear(p.Chains)
			}
			e := New()
			if _, err := e.Run(context.Background(), p, feeds); err != nil { // allocate the slots
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Run(context.Background(), p, feeds); err != nil {
					b.Fatal(err)
				}
			}
			// The values a pass must read and write at least: x, h (stored), g, and h again.
			b.ReportMetric(4*4*float64(n*c*hw*hw)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// The benchmarks time whole runs of small plans whose operands are made on the device from a
// one-row input (a broadcast), so uploads are negligible, and whose result is reduced to one
// number, so readback is too. Figures count only the benchmarked kernel's work over the whole
// run: a lower bound on the kernel's own throughput.

func runPlan(b *testing.B, e *Executor, g *graph.Graph, feeds graph.Feeds, outs ...*graph.Node) {
	b.Helper()
	p, err := graph.Compile(g, outs...)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Forget(p)
	if _, err := e.Run(context.Background(), p, feeds); err != nil { // compile pipelines, allocate
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(context.Background(), p, feeds); err != nil {
			b.Fatal(err)
		}
	}
}

func report(b *testing.B, work float64, unit string) {
	b.ReportMetric(work*float64(b.N)/b.Elapsed().Seconds()/1e9, unit)
}

// rowInput is an input [1, n] filled with v, and its feeds.
func rowInput(g *graph.Graph, n int, v float32) (*graph.Node, graph.Feeds) {
	return g.Input("row", 1, n), graph.Feeds{"row": graph.Full(v, 1, n)}
}

// BenchmarkMatmul times four chained n x n products per run.
func BenchmarkMatmul(b *testing.B) {
	e := executor(b)
	sizes := []int{256, 512, 1024}
	if e.Adapter().Type != "cpu" {
		sizes = append(sizes, 2048, 4096)
	}
	const chain = 4
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			g := graph.New()
			row, feeds := rowInput(g, n, 1/float32(n))
			a := g.BroadcastTo(row, n, n)
			c := a
			for i := 0; i < chain; i++ {
				c = g.Matmul(c, a)
			}
			runPlan(b, e, g, feeds, g.Sum(c))
			report(b, chain*2*float64(n)*float64(n)*float64(n), "GFLOP/s")
		})
	}
}

// BenchmarkConv2D times a Glow-like convolution (batch 64, 16x16, 128 channels) forward, its data
// gradient (the transposed convolution) and its weight gradient.
func BenchmarkConv2D(b *testing.B) {
	e := executor(b)
	const n, c, hw = 64, 128, 16
	for _, k := range []int{3, 1} {
		for _, pass := range []string{"forward", "forward+backward"} {
			b.Run(fmt.Sprintf("%dx%d/%s", k, k, pass), func(b *testing.B) {
				g := graph.New()
				row, feeds := rowInput(g, c*hw*hw, 0.01)
				x := g.BroadcastTo(g.Reshape(row, 1, c, hw, hw), n, c, hw, hw)
				w := g.Param("w", c, c, k, k)
				feeds["w"] = graph.Full(0.01, c, c, k, k)
				y := g.Conv2D(x, w, 1, k/2)
				outs := []*graph.Node{g.Sum(y)}
				convs := 1.0
				if pass != "forward" {
					grads, err := g.Grad(g.Sum(y), []*graph.Node{w})
					if err != nil {
						b.Fatal(err)
					}
					outs = append(outs, g.Sum(g.ConvTranspose2D(y, w, 1, k/2, 0)), g.Sum(grads[0]))
					convs = 3
				}
				runPlan(b, e, g, feeds, outs...)
				report(b, convs*2*float64(n*c*c*k*k*hw*hw), "GFLOP/s")
			})
		}
	}
}

// BenchmarkSumSquares times the squared-norm reduction (the feature reduction) over rows of a
// [rows, cols] matrix; GB/s counts the bytes the reduction reads.
func BenchmarkSumSquares(b *testing.B) {
	e := executor(b)
	for _, s := range [][2]int{{64, 1 << 16}, {4096, 1024}, {1 << 16, 16}} {
		rows, cols := s[0], s[1]
		b.Run(fmt.Sprintf("%dx%d", rows, cols), func(b *testing.B) {
			g := graph.New()
			row, feeds := rowInput(g, cols, 0.5)
			x := g.BroadcastTo(row, rows, cols)
			runPlan(b, e, g, feeds, g.Sum(g.SumSquares(x, 1)))
			report(b, 4*float64(rows*cols), "GB/s")
		})
	}
}

package glow

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// BenchmarkTrainStep times one training step (forward and backward) of the default Glow on a
// batch of 64 on the CPU executor.
func BenchmarkTrainStep(b *testing.B) {
	cfg := Default()
	const batch = 64
	params, err := InitParams(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	g := graph.New()
	net, err := Build(g, cfg, batch)
	if err != nil {
		b.Fatal(err)
	}
	loss := g.Mean(net.BitsPerDim)
	grads, err := g.Grad(loss, g.Params())
	if err != nil {
		b.Fatal(err)
	}
	p, err := graph.Compile(g, append([]*graph.Node{loss}, grads...)...)
	if err != nil {
		b.Fatal(err)
	}
	x := graph.Zeros(batch, cfg.Channels, cfg.Size, cfg.Size)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range x.Data {
		x.Data[i] = float32(r.Float64() - 0.5)
	}
	feeds := withParams(graph.Feeds{"x": x}, params)
	e := cpu.New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(context.Background(), p, feeds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
}

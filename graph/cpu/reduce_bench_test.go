package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// glowActivations are the [N C H W] activations of a training step of the default Glow (levels 3,
// steps 8, hidden 128, 1x32x32 inputs) at batch 64: each level's squeezed input, its halves,
// and the coupling networks' hidden layers.
var glowActivations = []graph.Shape{
	{64, 4, 16, 16}, {64, 2, 16, 16}, {64, 128, 16, 16}, // level 0
	{64, 8, 8, 8}, {64, 4, 8, 8}, {64, 128, 8, 8}, // level 1
	{64, 16, 4, 4}, {64, 8, 4, 4}, {64, 128, 4, 4}, // level 2
}

// BenchmarkReduce times the reductions of a Glow training step: per channel (0,2,3), the bias and
// ActNorm gradients; per image (1,2,3), the log-determinants and priors; per image and channel
// (2,3), ActNorm's data-dependent initialization. It reports the bytes read per second.
func BenchmarkReduce(b *testing.B) {
	for _, axes := range [][]int{{0, 2, 3}, {1, 2, 3}, {2, 3}} {
		for _, xs := range glowActivations {
			b.Run(fmt.Sprintf("%v/%v", axes, xs), func(b *testing.B) {
				benchReduce(b, &graph.Reduce{Fn: graph.Sum, Axes: axes}, xs)
			})
		}
	}
}

func benchReduce(b *testing.B, op *graph.Reduce, xs graph.Shape) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randomTensor(r, xs...)
	outs := 1
	for i, d := range xs {
		if !slices.Contains(op.Axes, i) {
			outs *= d
		}
	}
	y := make([]float32, outs)
	b.SetBytes(int64(4 * len(x.Data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reduce(op, x.Data, xs, y)
	}
}

// BenchmarkSqueeze times Glow's squeeze and unsqueeze at batch 64 (inner runs of 2 to 16 floats).
func BenchmarkSqueeze(b *testing.B) {
	for _, xs := range []graph.Shape{{64, 1, 32, 32}, {64, 2, 16, 16}, {64, 4, 8, 8}} {
		r := rand.New(rand.NewPCG(1, 1))
		x := randomTensor(r, xs...)
		y := make([]float32, len(x.Data))
		b.Run(fmt.Sprintf("spacetodepth/%v", xs), func(b *testing.B) {
			b.SetBytes(int64(8 * len(x.Data)))
			for i := 0; i < b.N; i++ {
				spaceToDepth(2, x.Data, xs, y)
			}
		})
		ys := graph.Shape{xs[0], xs[1] * 4, xs[2] / 2, xs[3] / 2}
		b.Run(fmt.Sprintf("depthtospace/%v", ys), func(b *testing.B) {
			b.SetBytes(int64(8 * len(x.Data)))
			for i := 0; i < b.N; i++ {
				depthToSpace(2, x.Data, ys, y)
			}
		})
	}
}

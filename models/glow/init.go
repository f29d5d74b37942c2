package glow

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
)

// InitParams draws the initial parameters of a Glow: coupling convolutions normal with standard
// deviation 0.05, the last layer of every network and of every prior zero, identity ActNorms (see
// DataInit), and 1x1 convolutions equal to their fixed random permutation (L = U = 0, logs = 0):
// a rotation, like Glow's random initial rotations, with perfectly conditioned LU factors.
func InitParams(cfg Config, seed uint64) (graph.Feeds, error) {
	g := graph.New()
	if _, err := Build(g, cfg, 1); err != nil {
		return nil, err
	}
	return graph.InitParams(g, rand.New(rand.NewPCG(seed, 0x610)), func(name string, _ []int) (std, _ float64) {
		if strings.HasSuffix(name, ".weight") && !strings.Contains(name, ".conv3.") && !strings.Contains(name, ".prior.") {
			return 0.05, 0
		}
		return 0, 0
	}), nil
}

// DataInit sets every ActNorm so that its input has zero mean and unit variance per channel on the
// batch x (Glow's data-dependent initialization), in forward order: layer k is set from statistics
// computed with the layers before it already set. One forward pass computes them all, each
// ActNorm normalizing its input by the input's own statistics, as it will once set.
func DataInit(ctx context.Context, exec graph.Executor, cfg Config, params graph.Feeds, x *graph.Tensor) error {
	g := graph.New()
	net, err := buildOn(g, cfg, g.Input("x", x.Shape...), true)
	if err != nil {
		return err
	}
	var outs []*graph.Node
	for _, a := range net.ActNorms {
		outs = append(outs, a.mean, a.variance)
	}
	p, err := graph.Compile(g, outs...)
	if err != nil {
		return fmt.Errorf("glow: data init: %w", err)
	}
	defer exec.Forget(p)
	feeds := graph.Feeds{"x": x}
	maps.Copy(feeds, params)
	stats, err := exec.Run(ctx, p, feeds)
	if err != nil {
		return fmt.Errorf("glow: data init: %w", err)
	}
	for k, a := range net.ActNorms {
		mean, variance := stats[2*k].Data, stats[2*k+1].Data
		bias, logs := params[a.Bias].Data, params[a.Logs].Data
		for c := range bias {
			bias[c] = -mean[c]
			logs[c] = float32(-math.Log(math.Sqrt(float64(variance[c])) + 1e-6))
		}
	}
	return nil
}

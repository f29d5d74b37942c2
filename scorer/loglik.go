package scorer

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/train"
)

// LogLikelihoods returns the model's per-image objective (Objective.LogLik: the log-likelihood
// in nats for Glow and PixelCNN++, the ELBO for the VAE, -L_t for DDPM) for each of set's images:
// forward only, in runs of at most batch images, each run's noise (dequantization, the
// posterior sample, the diffusion noise) drawn from seed and the run's first index, as
// training's test evaluation draws it (train.PerImage).
func (m *Model) LogLikelihoods(ctx context.Context, exec graph.Executor, set *data.Set, batch int, seed uint64) ([]float64, error) {
	build := func(g *graph.Graph, b int) (*graph.Node, error) {
		obj, err := m.Net.Build(g, b)
		return obj.LogLik, err
	}
	inputs := func(idx []int, r *rand.Rand) (graph.Feeds, error) { return m.Net.Inputs(set, idx, r) }
	ll, err := train.PerImage(ctx, exec, build, inputs, set.N, batch, m.Params, seed)
	if err != nil {
		return nil, fmt.Errorf("scorer: %w", err)
	}
	return ll, nil
}

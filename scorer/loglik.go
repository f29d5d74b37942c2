package scorer

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
)

// LogLikelihoods returns the model's per-image objective (Objective.LogLik: the log-likelihood
// in nats for Glow and PixelCNN++, the ELBO for the VAE, -L_t for DDPM) for each of set's images:
// forward only, in runs of at most batch images, each run's noise (dequantization, the
// posterior sample, the diffusion noise) drawn from seed and the run's first index.
func (m *Model) LogLikelihoods(ctx context.Context, exec graph.Executor, set *data.Set, batch int, seed uint64) ([]float64, error) {
	if batch < 1 {
		return nil, fmt.Errorf("scorer: runs of %d images", batch)
	}
	plans := map[int]*graph.Plan{}
	defer func() {
		for _, p := range plans {
			exec.Forget(p)
		}
	}()
	out := make([]float64, 0, set.N)
	for lo := 0; lo < set.N; lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(batch, set.N-lo)
		p := plans[n]
		if p == nil {
			g := graph.New()
			obj, err := m.Net.Build(g, n)
			if err != nil {
				return nil, fmt.Errorf("scorer: %w", err)
			}
			if p, err = graph.Compile(g, obj.LogLik); err != nil {
				return nil, fmt.Errorf("scorer: %w", err)
			}
			plans[n] = p
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = lo + i
		}
		feeds, err := m.Net.Inputs(set, idx, rand.New(rand.NewPCG(seed, uint64(lo))))
		if err != nil {
			return nil, fmt.Errorf("scorer: %w", err)
		}
		maps.Copy(feeds, m.Params)
		res, err := exec.Run(ctx, p, feeds)
		if err != nil {
			return nil, fmt.Errorf("scorer: %w", err)
		}
		for _, v := range res[0].Data {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

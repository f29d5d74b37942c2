package scorer

import (
	"context"
	"maps"

	"github.com/oodgpu/oodgpu/graph"
)

// features runs ll (one image) and its per-layer squared gradient norms on exec.
func (m *Model) features(ctx context.Context, exec graph.Executor, g *graph.Graph, ll *graph.Node, in graph.Feeds) (float64, []float64, error) {
	f, err := g.GradSqNorms(ll, g.Params(), 1)
	if err != nil {
		return 0, nil, err
	}
	plan, err := graph.Compile(g, ll, f)
	if err != nil {
		return 0, nil, err
	}
	defer exec.Forget(plan)
	maps.Copy(in, m.Params)
	out, err := exec.Run(ctx, plan, in)
	if err != nil {
		return 0, nil, err
	}
	row := make([]float64, len(out[1].Data))
	for i, v := range out[1].Data {
		row[i] = float64(v)
	}
	return float64(out[0].Data[0]), row, nil
}

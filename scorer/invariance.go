package scorer

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/glow"
)

// Invariance compares one image under two representations of the same model: x, and
// t = exp(x) per pixel, whose density is p_T(t) = p_X(log t) / prod t (the paper's
// Proposition 1).
type Invariance struct {
	NLLX float64 // bits/dim of the image as x
	NLLT float64 // bits/dim of the image as t = exp(x)
	// LogDetShift is sum(x) / (D ln 2): what NLLT - NLLX must equal.
	LogDetShift float64
	// MaxRelDiff is the largest relative difference between the two per-layer squared
	// gradient norms, over Layers layers: zero up to float32 rounding.
	MaxRelDiff float64
	Layers     int
}

// ExpInvariance computes the likelihoods and gradient features of set's one image under the
// representations x and t = exp(x), with dequantization noise from seed as Score draws it.
func (m *Model) ExpInvariance(ctx context.Context, exec graph.Executor, set *data.Set, seed uint64) (Invariance, error) {
	var inv Invariance
	if set.N != 1 {
		return inv, fmt.Errorf("scorer: invariance: %d images, want 1", set.N)
	}
	cfg, err := m.Glow("the t = exp(x) invariance check")
	if err != nil {
		return inv, err
	}
	feeds, err := m.Extractor(exec, set, []int{1}, 1, seed).Inputs([]int{0}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return inv, err
	}
	x := feeds["x"]
	t := graph.Zeros(x.Shape...)
	for i, v := range x.Data {
		t.Data[i] = float32(math.Exp(float64(v)))
		inv.LogDetShift += float64(v)
	}
	inv.LogDetShift /= float64(len(x.Data)) * math.Ln2

	ga := graph.New()
	netX, err := glow.Build(ga, cfg, 1)
	if err != nil {
		return inv, err
	}
	llX, rowX, err := m.features(ctx, exec, ga, netX.LogLik, graph.Feeds{"x": x})
	if err != nil {
		return inv, err
	}

	gb := graph.New()
	tin := gb.Input("t", x.Shape...)
	netT, err := glow.BuildOn(gb, cfg, gb.Log(tin))
	if err != nil {
		return inv, err
	}
	llTNode := gb.Sub(netT.LogLik, gb.Sum(gb.Log(tin), 1, 2, 3)) // + log|d log t / dt|
	llT, rowT, err := m.features(ctx, exec, gb, llTNode, graph.Feeds{"t": t})
	if err != nil {
		return inv, err
	}

	dims := float64(len(x.Data)) * math.Ln2
	inv.NLLX, inv.NLLT = -llX/dims, -llT/dims
	inv.Layers = len(rowX)
	for j := range rowX {
		if d := math.Abs(rowT[j]-rowX[j]) / math.Max(math.Abs(rowX[j]), 1e-30); d > inv.MaxRelDiff {
			inv.MaxRelDiff = d
		}
	}
	return inv, nil
}

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

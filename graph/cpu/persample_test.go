package cpu

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

func modelParams(t *testing.T, r *rand.Rand) map[string][]float64 {
	t.Helper()
	g := graph.New()
	graphtest.SampleModel(g, 1)
	data := map[string][]float64{}
	for _, p := range g.Params() {
		v := make([]float64, p.Shape().Size())
		for i := range v {
			v[i] = 0.3 * r.NormFloat64()
		}
		data[p.LeafName()] = v
	}
	return data
}

func images(r *rand.Rand, n int) []float64 {
	v := make([]float64, n*3*6*6)
	for i := range v {
		v[i] = r.Float64() - 0.5
	}
	return v
}

// referenceNorms computes, with an ordinary backward pass over just the images of one group,
// ||d/dp sum_b l_b||^2 for every parameter.
func referenceNorms(t *testing.T, params map[string][]float64, x []float64, batch int) []float64 {
	t.Helper()
	g := graph.New()
	loss := g.Sum(graphtest.SampleModel(g, batch))
	grads, err := g.Grad(loss, g.Params())
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, grads...)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string][]float64{"x": x}
	maps.Copy(data, params)
	vals := runF64(t, p, data)
	out := make([]float64, len(grads))
	for j, gr := range grads {
		for _, v := range vals[gr.ID()] {
			out[j] += v * v
		}
	}
	return out
}

// TestGradSqNorms checks the one-pass grouped features against separate backward passes over each
// group's images: group size 1 (per-sample), the whole batch (per-batch), and groups in between.
func TestGradSqNorms(t *testing.T) {
	cases := []struct{ batch, group int }{{1, 1}, {3, 1}, {8, 1}, {3, 3}, {8, 8}, {6, 3}, {10, 5}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("B%d/group%d", c.batch, c.group), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.batch), uint64(c.group)))
			params := modelParams(t, r)
			x := images(r, c.batch)
			g := graph.New()
			l := graphtest.SampleModel(g, c.batch)
			feats, err := g.GradSqNorms(l, g.Params(), c.group)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, n := range g.Nodes() {
				kinds[n.Op().Kind()]++
			}
			if kinds["convweightgradsqnorm"] == 0 || kinds["convweightgrad"] == 0 {
				t.Fatalf("expected both fused and materialized convolution weight norms, got %v", kinds)
			}
			groups, j := c.batch/c.group, len(g.Params())
			if !feats.Shape().Equal(graph.Shape{groups, j}) {
				t.Fatalf("features shape %v, want [%d %d]", feats.Shape(), groups, j)
			}
			p, err := graph.Compile(g, feats)
			if err != nil {
				t.Fatal(err)
			}
			data := map[string][]float64{"x": x}
			maps.Copy(data, params)
			got := runF64(t, p, data)[feats.ID()]
			per := len(x) / c.batch
			for k := 0; k < groups; k++ {
				want := referenceNorms(t, params, x[k*c.group*per:(k+1)*c.group*per], c.group)
				for jj, w := range want {
					v := got[k*j+jj]
					if math.Abs(v-w) > 1e-9+1e-8*math.Abs(w) {
						t.Errorf("group %d, %s: one pass %.12g, separate %.12g", k, g.Params()[jj].LeafName(), v, w)
					}
				}
				if want[j-1] != 0 || got[k*j+j-1] != 0 {
					t.Errorf("unused parameter has a nonzero feature")
				}
			}
		})
	}
}

// TestGradSqNormsFloat32 runs the features through the public float32 executor and compares them
// with the float64 reference.
func TestGradSqNormsFloat32(t *testing.T) {
	const batch = 4
	r := rand.New(rand.NewPCG(5, 5))
	params := modelParams(t, r)
	x := images(r, batch)
	g := graph.New()
	l := graphtest.SampleModel(g, batch)
	feats, err := g.GradSqNorms(l, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, l, feats)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": toTensor(x, g.Inputs()[0].Shape())}
	data := map[string][]float64{"x": x}
	for k, v := range params {
		n, _ := g.Lookup(k)
		feeds[k] = toTensor(v, n.Shape())
		data[k] = v
	}
	out, err := New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	ref := runF64(t, p, data)[feats.ID()]
	for i, v := range out[1].Data {
		if math.Abs(float64(v)-ref[i]) > 1e-6+1e-3*math.Abs(ref[i]) {
			t.Fatalf("feature %d: float32 %g, float64 %g", i, v, ref[i])
		}
	}
}

func toTensor(v []float64, shape graph.Shape) *graph.Tensor {
	t := graph.Zeros(shape...)
	for i := range v {
		t.Data[i] = float32(v[i])
	}
	return t
}

// TestGradSqNormsRejectsMixing checks that per-sample gradients refuse a graph that combines
// samples (here a batch mean) instead of returning wrong features.
func TestGradSqNormsRejectsMixing(t *testing.T) {
	g := graph.New()
	x := g.Input("x", 4, 3)
	w := g.Param("w", 3, 2)
	h := g.Matmul(x, w)
	centred := g.Sub(h, g.Reduce(graph.Mean, h, true, 0))
	if _, err := g.GradSqNorms(g.Sum(centred, 1), []*graph.Node{w}, 1); err == nil {
		t.Fatal("batch-mixing graph accepted")
	}
}

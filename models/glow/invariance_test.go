package glow

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/ood"
)

// features runs a graph's per-image log-likelihood and its per-sample gradient features.
func features(t *testing.T, g *graph.Graph, ll *graph.Node, feeds graph.Feeds) (lls []float32, rows [][]float64) {
	t.Helper()
	f, err := g.GradSqNorms(ll, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, ll, f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	j := f.Shape()[1]
	for r := 0; r < f.Shape()[0]; r++ {
		row := make([]float64, j)
		for c := range row {
			row[c] = float64(out[1].Data[r*j+c])
		}
		rows = append(rows, row)
	}
	return out[0].Data, rows
}

// withParams returns a new feed map holding feeds and params.
func withParams(feeds, params graph.Feeds) graph.Feeds {
	out := graph.Feeds{}
	maps.Copy(out, feeds)
	maps.Copy(out, params)
	return out
}

var tinyConfig = Config{Levels: 2, Steps: 2, Hidden: 8, Channels: 1, Size: 8, Bins: 256, Seed: 3}

// TestRepresentationInvariance is the paper's Proposition 1 on the grey model with the
// per-pixel change of representation t = exp(x): the model of t, log p_T(t) = log p_X(log t) -
// sum log t, has the log-likelihood shifted by the log-determinant and exactly the same gradient
// features.
func TestRepresentationInvariance(t *testing.T) {
	const batch = 6
	params := randomParams(t, tinyConfig, 4)
	x := randomImages(rand.New(rand.NewPCG(8, 8)), tinyConfig, batch)

	ga := graph.New()
	netA, err := Build(ga, tinyConfig, batch)
	if err != nil {
		t.Fatal(err)
	}
	llA, rowsA := features(t, ga, netA.LogLik, withParams(graph.Feeds{"x": x}, params))

	gb := graph.New()
	tin := gb.Input("t", batch, 1, tinyConfig.Size, tinyConfig.Size)
	netB, err := BuildOn(gb, tinyConfig, gb.Log(tin))
	if err != nil {
		t.Fatal(err)
	}
	llT := gb.Sub(netB.LogLik, gb.Sum(gb.Log(tin), 1, 2, 3)) // + log|det dT^-1/dt|
	tt := graph.Zeros(x.Shape...)
	for i, v := range x.Data {
		tt.Data[i] = float32(math.Exp(float64(v)))
	}
	llB, rowsB := features(t, gb, llT, withParams(graph.Feeds{"t": tt}, params))

	for i := range llA {
		shift := 0.0
		per := len(x.Data) / batch
		for _, v := range x.Data[i*per : (i+1)*per] {
			shift -= float64(v) // -sum log t = -sum x
		}
		if d := float64(llB[i]) - float64(llA[i]); math.Abs(d-shift) > 1e-3 {
			t.Fatalf("image %d: log-likelihood shift %g, log-det %g", i, d, shift)
		}
		for j := range rowsA[i] {
			if math.Abs(rowsB[i][j]-rowsA[i][j]) > 1e-4*math.Abs(rowsA[i][j])+1e-12 {
				t.Fatalf("image %d layer %d: features %g and %g differ", i, j, rowsA[i][j], rowsB[i][j])
			}
		}
	}
}

// TestReparameterizationInvariance is the paper's Proposition 4: scaling a layer's weights by a
// and compensating in the next layer (conv1 weight * a; its ActNorm bias * a and log-scale -
// log a) leaves the density unchanged, changes that layer's log features by a constant, and so
// leaves the OOD scores unchanged.
func TestReparameterizationInvariance(t *testing.T) {
	const n, fit, a = 60, 40, 3.0
	params := randomParams(t, tinyConfig, 6)
	re := graph.Feeds{}
	for k, v := range params {
		re[k] = &graph.Tensor{Shape: v.Shape, Data: append([]float32(nil), v.Data...)}
	}
	g := graph.New()
	net, err := Build(g, tinyConfig, n)
	if err != nil {
		t.Fatal(err)
	}
	scaled := 0
	for _, p := range g.Params() {
		name := p.LeafName()
		switch {
		case strings.HasSuffix(name, "coupling.conv1.weight"):
			scale(re[name], a)
			scaled++
		case strings.HasSuffix(name, "coupling.conv1.actnorm.bias"):
			scale(re[name], a)
		case strings.HasSuffix(name, "coupling.conv1.actnorm.logs"):
			for i := range re[name].Data {
				re[name].Data[i] -= float32(math.Log(a))
			}
		}
	}
	if scaled != tinyConfig.Levels*tinyConfig.Steps {
		t.Fatalf("rescaled %d layers", scaled)
	}
	x := randomImages(rand.New(rand.NewPCG(9, 9)), tinyConfig, n)
	ll1, rows1 := features(t, g, net.LogLik, withParams(graph.Feeds{"x": x}, params))
	ll2, rows2 := features(t, g, net.LogLik, withParams(graph.Feeds{"x": x}, re))
	names := make([]string, len(g.Params()))
	for i, p := range g.Params() {
		names[i] = p.LeafName()
	}
	g1, err := ood.FitGaussian(names, rows1[:fit])
	if err != nil {
		t.Fatal(err)
	}
	g2, err := ood.FitGaussian(names, rows2[:fit])
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i := 0; i < n; i++ {
		if math.Abs(float64(ll1[i]-ll2[i])) > 1e-3 {
			t.Fatalf("image %d: the reparameterized density differs: %g vs %g", i, ll1[i], ll2[i])
		}
		for j := range rows1[i] {
			if math.Abs(rows1[i][j]-rows2[i][j]) > 1e-3*rows1[i][j] {
				changed++
			}
		}
		if i < fit {
			continue
		}
		s1, err1 := g1.Score(rows1[i])
		s2, err2 := g2.Score(rows2[i])
		if err1 != nil || err2 != nil || math.Abs(s1-s2) > 1e-3*math.Abs(s1) {
			t.Fatalf("image %d: scores %g and %g (%v %v)", i, s1, s2, err1, err2)
		}
	}
	if changed == 0 {
		t.Fatal("the reparameterization did not change any feature: the test tests nothing")
	}
}

func scale(t *graph.Tensor, a float32) {
	for i := range t.Data {
		t.Data[i] *= a
	}
}

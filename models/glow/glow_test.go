package glow

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// randomParams returns initial parameters with every tensor perturbed, so that couplings, priors
// and ActNorms are all far from the identity.
func randomParams(t *testing.T, cfg Config, seed uint64) graph.Feeds {
	t.Helper()
	params, err := InitParams(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	perturb(params, 0.1, seed)
	return params
}

// perturb adds seeded normal noise of the given scale to every parameter, in name order.
func perturb(params graph.Feeds, scale float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2))
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for i := range params[k].Data {
			params[k].Data[i] += float32(scale * r.NormFloat64())
		}
	}
}

func randomImages(r *rand.Rand, cfg Config, batch int) *graph.Tensor {
	x := graph.Zeros(batch, cfg.Channels, cfg.Size, cfg.Size)
	for i := range x.Data {
		x.Data[i] = float32(r.Float64() - 0.5)
	}
	return x
}

func TestInitialConvolutionsArePermutations(t *testing.T) {
	cfg := Default()
	params, err := InitParams(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	net, err := Build(graph.New(), cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(net.InvConvs) != cfg.Levels*cfg.Steps {
		t.Fatalf("%d invertible convolutions", len(net.InvConvs))
	}
	for _, ic := range net.InvConvs {
		w, err := InvConvWeight(params, ic)
		if err != nil {
			t.Fatal(err)
		}
		var wwt mat.Dense
		wwt.Mul(w, w.T())
		c, _ := wwt.Dims()
		if !mat.EqualApprox(&wwt, identity(c), 1e-5) {
			t.Fatalf("%s: W W^T is not the identity", ic.Lower)
		}
	}
}

func identity(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		m.Set(i, i, 1)
	}
	return m
}

// TestInvertibility maps images to latents and back.
func TestInvertibility(t *testing.T) {
	cfg := Config{Levels: 3, Steps: 2, Hidden: 8, Channels: 1, Size: 8, Bins: 256, Seed: 3}
	const batch = 3
	params := randomParams(t, cfg, 1)
	x := randomImages(rand.New(rand.NewPCG(1, 1)), cfg, batch)
	ctx, e := context.Background(), cpu.New()

	latents := forwardLatents(t, cfg, params, x)

	gi := graph.New()
	inv, err := BuildInverse(gi, cfg, batch, params)
	if err != nil {
		t.Fatal(err)
	}
	pi, err := graph.Compile(gi, inv.X)
	if err != nil {
		t.Fatal(err)
	}
	ifeeds := graph.Feeds{}
	for i, z := range inv.Latents {
		ifeeds[z.LeafName()] = latents[i]
	}
	for _, n := range gi.Params() {
		ifeeds[n.LeafName()] = params[n.LeafName()]
	}
	back, err := e.Run(ctx, pi, ifeeds)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, v := range x.Data {
		worst = math.Max(worst, math.Abs(float64(back[0].Data[i]-v)))
	}
	if worst > 1e-4 {
		t.Fatalf("x -> z -> x differs by %g", worst)
	}
	t.Logf("largest reconstruction error %.2g", worst)
}

// TestLogDetMatchesJacobian compares the flow's log-determinant with log|det| of its Jacobian
// dz/dx computed by central differences in float64 on a tiny model (D = 16).
func TestLogDetMatchesJacobian(t *testing.T) {
	cfg := Config{Levels: 2, Steps: 2, Hidden: 4, Channels: 1, Size: 4, Bins: 256, Seed: 5}
	params := randomParams(t, cfg, 2)
	g := graph.New()
	net, err := Build(g, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var flat []*graph.Node
	for _, z := range net.Latents {
		flat = append(flat, g.Reshape(z, 1, -1))
	}
	z := g.Concat(1, flat...)
	p, err := graph.Compile(g, z, net.LogDet)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Dims()
	if z.Shape()[1] != d {
		t.Fatalf("latents have %d dimensions, input %d", z.Shape()[1], d)
	}
	feeds := map[string][]float64{}
	for k, v := range params {
		f := make([]float64, len(v.Data))
		for i, x := range v.Data {
			f[i] = float64(x)
		}
		feeds[k] = f
	}
	r := rand.New(rand.NewPCG(4, 4))
	x := make([]float64, d)
	for i := range x {
		x[i] = r.Float64() - 0.5
	}
	feeds["x"] = x
	e := cpu.New()
	out, err := e.RunFloat64(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	logdet := out[1][0]
	const h = 1e-6
	jac := mat.NewDense(d, d, nil)
	for j := 0; j < d; j++ {
		orig := x[j]
		x[j] = orig + h
		up, err := e.RunFloat64(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		x[j] = orig - h
		down, err := e.RunFloat64(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		x[j] = orig
		for i := 0; i < d; i++ {
			jac.Set(i, j, (up[0][i]-down[0][i])/(2*h))
		}
	}
	var lu mat.LU
	lu.Factorize(jac)
	numeric, _ := lu.LogDet()
	if math.Abs(numeric-logdet) > 1e-5*math.Max(1, math.Abs(logdet)) {
		t.Fatalf("log-det %.9f, numerical Jacobian %.9f", logdet, numeric)
	}
	t.Logf("log-det %.6f, numerical %.6f", logdet, numeric)
}

// TestDataInit checks that after data-dependent initialization the first ActNorm's output has
// zero mean and unit variance per channel.
func TestDataInit(t *testing.T) {
	cfg := Config{Levels: 2, Steps: 2, Hidden: 8, Channels: 1, Size: 8, Bins: 256, Seed: 9}
	params, err := InitParams(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rand.New(rand.NewPCG(2, 2)), cfg, 16)
	if err := DataInit(context.Background(), cpu.New(), cfg, params, x); err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	net, err := Build(g, cfg, 16)
	if err != nil {
		t.Fatal(err)
	}
	// The input of the second ActNorm's layer is the first one's output after the 1x1 conv and
	// coupling; check the first ActNorm directly from its input statistics instead.
	a := net.ActNorms[0]
	y := g.Mul(g.Add(a.Input, g.Param("chk.bias", 1, 4, 1, 1)), g.Exp(g.Param("chk.logs", 1, 4, 1, 1)))
	mean := g.Reduce(graph.Mean, y, false, 0, 2, 3)
	msq := g.Reduce(graph.Mean, g.Square(y), false, 0, 2, 3)
	p, err := graph.Compile(g, mean, msq)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": x, "chk.bias": params[a.Bias], "chk.logs": params[a.Logs]}
	out, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	for c := range out[0].Data {
		if math.Abs(float64(out[0].Data[c])) > 1e-4 || math.Abs(float64(out[1].Data[c])-1) > 1e-3 {
			t.Fatalf("channel %d: mean %g, mean square %g", c, out[0].Data[c], out[1].Data[c])
		}
	}
}

// TestDataInitOnePass checks the one forward pass of DataInit against its definition, layer by
// layer: set ActNorm k from the statistics of its input with the layers before it set, then the
// next, each from a run of the ordinary graph.
func TestDataInitOnePass(t *testing.T) {
	cfg := Config{Levels: 3, Steps: 3, Hidden: 8, Channels: 1, Size: 8, Bins: 256, Seed: 4}
	params, err := InitParams(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rand.New(rand.NewPCG(6, 6)), cfg, 12)
	want := graph.Feeds{}
	for name, v := range params {
		want[name] = &graph.Tensor{Shape: v.Shape, Data: slices.Clone(v.Data)}
	}
	if err := DataInit(context.Background(), cpu.New(), cfg, params, x); err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	net, err := Build(g, cfg, x.Shape[0])
	if err != nil {
		t.Fatal(err)
	}
	var outs []*graph.Node
	for _, a := range net.ActNorms {
		mean := g.Reduce(graph.Mean, a.Input, true, 0, 2, 3)
		outs = append(outs, g.Reshape(mean, -1), g.Reduce(graph.Mean, g.Square(g.Sub(a.Input, mean)), false, 0, 2, 3))
	}
	p, err := graph.Compile(g, outs...)
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range net.ActNorms {
		feeds := graph.Feeds{"x": x}
		maps.Copy(feeds, want)
		stats, err := cpu.New().Run(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		for c := range want[a.Bias].Data {
			want[a.Bias].Data[c] = -stats[2*k].Data[c]
			want[a.Logs].Data[c] = float32(-math.Log(math.Sqrt(float64(stats[2*k+1].Data[c])) + 1e-6))
		}
		for _, name := range []string{a.Bias, a.Logs} {
			for c, w := range want[name].Data {
				if got := params[name].Data[c]; !(math.Abs(float64(got-w)) <= 1e-4*max(1, math.Abs(float64(w)))) {
					t.Fatalf("ActNorm %d of %d, %s[%d]: one pass %g, layer by layer %g", k, len(net.ActNorms), name, c, got, w)
				}
			}
		}
	}
}

func TestDefaultSize(t *testing.T) {
	g := graph.New()
	if _, err := Build(g, Default(), 1); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range g.Params() {
		n += p.Shape().Size()
	}
	t.Logf("default Glow: %d parameters in %d tensors", n, len(g.Params()))
	if n < 700_000 || n > 900_000 {
		t.Fatalf("default Glow has %d parameters, DESIGN.md sizes it at about 804k", n)
	}
}

// realisticParams returns a model in a realistic state for images x: data-initialized ActNorms,
// and small seeded values in the zero-initialized layers so that every coupling and prior is
// active.
func realisticParams(t *testing.T, cfg Config, x *graph.Tensor, seed uint64) graph.Feeds {
	t.Helper()
	params, err := InitParams(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := DataInit(context.Background(), cpu.New(), cfg, params, x); err != nil {
		t.Fatal(err)
	}
	perturb(params, 0.01, seed)
	return params
}

// featureGraph builds the default-sized features graph: log-likelihoods and the grouped
// squared gradient norms for each group size.
func featureGraph(t *testing.T, cfg Config, n int, groups ...int) (*graph.Graph, []*graph.Node) {
	t.Helper()
	g := graph.New()
	net, err := Build(g, cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	outs := []*graph.Node{net.LogLik}
	for _, b := range groups {
		f, err := g.GradSqNorms(net.LogLik, g.Params(), b)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, f)
	}
	return g, outs
}

// TestSamplerRoundTrip samples images from noise and runs them forward: the forward pass must
// recover the sampler's latents, and at temperature 0 the top latent is the prior mean.
func TestSamplerRoundTrip(t *testing.T) {
	cfg := Config{Levels: 3, Steps: 2, Hidden: 8, Channels: 1, Size: 8, Bins: 256, Seed: 3}
	const batch = 2
	params := randomParams(t, cfg, 7)
	ctx, e := context.Background(), cpu.New()
	for _, temp := range []float32{0, 0.8} {
		gs := graph.New()
		smp, err := BuildSampler(gs, cfg, batch, params, temp)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := graph.Compile(gs, append([]*graph.Node{smp.X}, smp.Latents...)...)
		if err != nil {
			t.Fatal(err)
		}
		feeds := graph.Feeds{}
		r := rand.New(rand.NewPCG(2, 2))
		for _, in := range gs.Inputs() {
			n := graph.Zeros(in.Shape()...)
			for i := range n.Data {
				n.Data[i] = float32(r.NormFloat64())
			}
			feeds[in.LeafName()] = n
		}
		for _, p := range gs.Params() {
			feeds[p.LeafName()] = params[p.LeafName()]
		}
		out, err := e.Run(ctx, ps, feeds)
		if err != nil {
			t.Fatal(err)
		}
		back := forwardLatents(t, cfg, params, out[0])
		for i := range back {
			for j, v := range back[i].Data {
				if w := out[1+i].Data[j]; math.Abs(float64(v-w)) > 1e-3*(1+math.Abs(float64(w))) {
					t.Fatalf("temperature %g, latent %d[%d]: sampled %g, recovered %g", temp, i, j, w, v)
				}
			}
		}
		if temp == 0 {
			top := out[len(out)-1]
			mean := params["top.mean"].Data
			c := top.Shape[1]
			per := top.Shape[2] * top.Shape[3]
			for j, v := range top.Data {
				if m := mean[(j/per)%c]; math.Abs(float64(v-m)) > 1e-6 {
					t.Fatalf("temperature 0: top latent %g, prior mean %g", v, m)
				}
			}
		}
	}
}

// forwardLatents runs images x forward through the flow and returns its latents.
func forwardLatents(t *testing.T, cfg Config, params graph.Feeds, x *graph.Tensor) []*graph.Tensor {
	t.Helper()
	g := graph.New()
	net, err := Build(g, cfg, x.Shape[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, net.Latents...)
	if err != nil {
		t.Fatal(err)
	}
	feeds := withParams(graph.Feeds{"x": x}, params)
	latents, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return latents
}

package glow

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// TestGPUMatchesCPU runs the default-sized Glow's log-likelihoods and per-sample and per-batch
// features on the WebGPU executor and compares them with the CPU executor.
func TestGPUMatchesCPU(t *testing.T) {
	e, err := gpu.New(gpu.Options{})
	if err != nil {
		if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
			t.Fatalf("OODGPU_REQUIRE_GPU=1 but no WebGPU adapter: %v", err)
		}
		t.Skipf("skipping: no WebGPU adapter (%v)", err)
	}
	cfg := Default()
	const n = 4
	params, err := InitParams(cfg, 21)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rand.New(rand.NewPCG(21, 21)), cfg, n)
	if err := DataInit(context.Background(), cpu.New(), cfg, params, x); err != nil {
		t.Fatal(err)
	}
	perturb(params, 0.01, 21)
	g := graph.New()
	net, err := Build(g, cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := g.GradSqNorms(net.LogLik, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := g.GradSqNorms(net.LogLik, g.Params(), 2)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": x}
	for k, v := range params {
		feeds[k] = v
	}
	if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, net.LogLik, b1, b2); err != nil {
		t.Fatal(err)
	}
}

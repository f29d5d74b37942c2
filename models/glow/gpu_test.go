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

// TestGPUMatchesCPU runs a Glow of the default's architecture (three levels, splits, every
// layer kind) at a reduced depth and width, its log-likelihoods and per-sample and per-batch
// features, on the WebGPU executor and compares them with the CPU executor.
func TestGPUMatchesCPU(t *testing.T) {
	e, err := gpu.New(gpu.Options{})
	if err != nil {
		if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
			t.Fatalf("OODGPU_REQUIRE_GPU=1 but no WebGPU adapter: %v", err)
		}
		t.Skipf("skipping: no WebGPU adapter (%v)", err)
	}
	cfg := parityConfig()
	const n = 4
	x := randomImages(rand.New(rand.NewPCG(21, 21)), cfg, n)
	params := realisticParams(t, cfg, x, 21)
	g, outs := featureGraph(t, cfg, n, 1, 2)
	feeds := withParams(graph.Feeds{"x": x}, params)
	if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, outs...); err != nil {
		t.Fatal(err)
	}
}

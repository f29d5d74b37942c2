package glow

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/oracle"
)

// TestPyTorchParity runs a Glow of the default's architecture at a reduced depth and width
// (parityConfig; the default size costs minutes under the race detector for no added coverage)
// on ten images and has scripts/glow_parity.py
// recompute the log-likelihoods and every per-layer squared gradient norm, for B = 1 and B = 5, in
// PyTorch (float64, one backward pass per image or group). It checks the executor's float32 run
// within 1e-3 relative, and the same plan run in float64 within 1e-6, which isolates the graph and
// autodiff from float32 rounding (on ill-conditioned layers of other random models the float32
// values can differ by more: squared norms sum terms that cancel).
func TestPyTorchParity(t *testing.T) {
	py := oracle.Python(t)
	cfg := parityConfig()
	const n = 10
	x := randomImages(rand.New(rand.NewPCG(5, 5)), cfg, n)
	params := realisticParams(t, cfg, x, 11)
	g, outs := featureGraph(t, cfg, n, 1, 5)
	p, err := graph.Compile(g, outs...)
	if err != nil {
		t.Fatal(err)
	}
	feeds := withParams(graph.Feeds{"x": x}, params)
	out, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	// The same plan in float64 separates the math (graph, autodiff, grouping) from float32 rounding.
	f64 := map[string][]float64{}
	for k, v := range feeds {
		d := make([]float64, len(v.Data))
		for i, x := range v.Data {
			d[i] = float64(x)
		}
		f64[k] = d
	}
	o64, err := cpu.New().RunFloat64(context.Background(), p, f64)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	outputs := map[string]*graph.Tensor{}
	for i, name := range []string{"loglik", "features_b1", "features_b5"} {
		outputs[name] = out[i]
		t64 := graph.Zeros(out[i].Shape...)
		for j, v := range o64[i] {
			t64.Data[j] = float32(v)
		}
		outputs[name+"_f64"] = t64
	}
	if err := WriteOracleDir(dir, cfg, params, x, outputs); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../scripts/glow_parity.py")
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(py, script, dir).CombinedOutput()
	t.Logf("%s", res)
	if err != nil {
		t.Fatalf("parity script: %v", err)
	}
}

// parityConfig is the default Glow's architecture (three levels on 32x32, splits, learned
// priors) with two steps per level and width 32: every layer kind and code path of the default
// at about a twentieth of its work, for the parity tests against PyTorch and the GPU.
func parityConfig() Config {
	cfg := Default()
	cfg.Steps, cfg.Hidden = 2, 32
	return cfg
}

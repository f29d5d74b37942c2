// Package oracle checks a model's graph against a PyTorch re-implementation: it runs the
// per-image objective and its per-layer squared gradient norms (B = 1) in float32 and float64,
// writes them with the model and its inputs for a scripts/*_parity.py script (which uses
// scripts/oracle.py), and runs the script with Debian's python3-torch. Used by the models' tests.
package oracle

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/weights"
)

// Python is the path of Debian's python3 when it has torch; otherwise it skips t (fails it
// under OODGPU_REQUIRE_TORCH=1, as in CI).
func Python(t testing.TB) string {
	t.Helper()
	const py = "/usr/bin/python3"
	err := exec.Command(py, "-c", "import torch").Run()
	if err == nil {
		return py
	}
	if os.Getenv("OODGPU_REQUIRE_TORCH") == "1" {
		t.Fatalf("OODGPU_REQUIRE_TORCH=1 but %s cannot import torch (apt-get install python3-torch): %v", py, err)
	}
	t.Skipf("skipping: %s cannot import torch (apt-get install python3-torch)", py)
	return ""
}

// Check builds objective (one value per image, for the batch of inputs) with build, computes it
// and its per-sample squared gradient norms, and has script recompute them in PyTorch from
// weights.safetensors (params and meta), inputs.safetensors (inputs, and the outputs "objective",
// "features_b1", each also with suffix _f64 from the float64 run of the same plan) and
// parity.json (the feature column order). The model's kind and cfg (as JSON) go into the weight
// file's metadata, where the script reads its configuration. The script's output is logged; t
// fails if it exits non-zero.
func Check(t *testing.T, script string, batch int, build func(g *graph.Graph, batch int) (*graph.Node, error),
	params, inputs graph.Feeds, kind string, cfg any) {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	meta := weights.Meta{Kind: kind, Config: raw}
	py := Python(t)
	g := graph.New()
	obj, err := build(g, batch)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := g.GradSqNorms(obj, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := graph.Compile(g, obj, feats)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{}
	f64 := map[string][]float64{}
	for _, src := range []graph.Feeds{params, inputs} {
		for k, v := range src {
			feeds[k] = v
			d := make([]float64, len(v.Data))
			for i, x := range v.Data {
				d[i] = float64(x)
			}
			f64[k] = d
		}
	}
	ctx := context.Background()
	out, err := cpu.New().Run(ctx, plan, feeds)
	if err != nil {
		t.Fatal(err)
	}
	o64, err := cpu.New().RunFloat64(ctx, plan, f64)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	wf, err := weights.FromFeeds(g, params)
	if err != nil {
		t.Fatal(err)
	}
	if err := wf.SetMeta(meta); err != nil {
		t.Fatal(err)
	}
	if err := weights.Save(filepath.Join(dir, "weights.safetensors"), wf); err != nil {
		t.Fatal(err)
	}
	in := &weights.File{Tensors: map[string]*graph.Tensor{}}
	maps.Copy(in.Tensors, inputs)
	for i, name := range []string{"objective", "features_b1"} {
		in.Tensors[name] = out[i]
		t64 := graph.Zeros(out[i].Shape...)
		for j, v := range o64[i] {
			t64.Data[j] = float32(v)
		}
		in.Tensors[name+"_f64"] = t64
	}
	if err := weights.Save(filepath.Join(dir, "inputs.safetensors"), in); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range g.Params() {
		names = append(names, p.LeafName())
	}
	b, err := json.Marshal(map[string]any{"params": names})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "parity.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(py, path, dir).CombinedOutput()
	t.Logf("%s", res)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(script), err)
	}
}

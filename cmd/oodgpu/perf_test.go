package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/weights"
)

// writeTinyGlow writes a freshly initialized two-level Glow of width 8 for 28x28 grey images.
func writeTinyGlow(t *testing.T, path string) {
	t.Helper()
	cfg := glow.Default()
	cfg.Levels, cfg.Steps, cfg.Hidden, cfg.ImageSize = 2, 1, 8, 28
	net := models.Glow{Cfg: cfg}
	params, err := net.InitParams(1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	if _, err := net.Build(g, 1); err != nil {
		t.Fatal(err)
	}
	f, err := weights.FromFeeds(g, params)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Config()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetMeta(weights.Meta{Kind: "glow", Config: raw}); err != nil {
		t.Fatal(err)
	}
	if err := weights.Save(path, f); err != nil {
		t.Fatal(err)
	}
}

// lossColumn is the last column of a training row: its loss after the last timed step.
var lossColumn = regexp.MustCompile(`(?m)^\| (oodgpu|PyTorch)[^\n]* \| ([0-9.]+) \|$`)

// TestPerfTrain times a training step of a tiny Glow end to end on the CPU executor: both
// sections, features first; with torch, PyTorch's row, whose loss after the same steps from the
// same weights and batch must match ours.
func TestPerfTrain(t *testing.T) {
	datatest.FashionMNIST(t)
	model := filepath.Join(t.TempDir(), "tiny.safetensors")
	writeTinyGlow(t, model)
	out := run(t, "perf", "--train", "--device", "cpu", "--model", model, "--data", "fashionmnist:test[:8]",
		"--batch", "8", "--steps", "1")
	features, training := strings.Index(out, "### Per-sample feature throughput"), strings.Index(out, "### Training step throughput (batch 8, 1 steps")
	if features < 0 || training < features {
		t.Fatalf("want the feature section, then the training one; perf printed\n%s", out)
	}
	rows := lossColumn.FindAllStringSubmatch(out[training:], -1)
	if len(rows) == 0 || rows[0][1] != "oodgpu" {
		t.Fatalf("no oodgpu training row; perf printed\n%s", out)
	}
	if err := torchMissing(); err != nil {
		if os.Getenv("OODGPU_REQUIRE_TORCH") == "1" {
			t.Fatalf("OODGPU_REQUIRE_TORCH=1 but %v", err)
		}
		if !strings.Contains(out[training:], "No PyTorch row: ") {
			t.Fatalf("without torch, want the reason for the missing row; perf printed\n%s", out)
		}
		t.Logf("PyTorch half skipped: %v", err)
		return
	}
	if len(rows) != 2 {
		t.Fatalf("want oodgpu's and PyTorch's training rows; perf printed\n%s", out)
	}
	ours, _ := strconv.ParseFloat(rows[0][2], 64)
	theirs, _ := strconv.ParseFloat(rows[1][2], 64)
	if !(ours > 0) || abs(ours-theirs) > 1e-3*ours {
		t.Fatalf("loss after the timed step: ours %v, PyTorch %v (want within 1e-3 relative)\n%s", ours, theirs, out)
	}
	t.Logf("\n%s", out)
}

// abs is |v|.
func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestPerfTrainFlags checks that bad --train options are refused before any model or data is loaded.
func TestPerfTrainFlags(t *testing.T) {
	noData := []string{"--device", "cpu", "--data", "dir:" + filepath.Join(t.TempDir(), "absent")}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"batch 0", []string{"--batch", "0"}, "--batch 0"},
		{"batch too large", []string{"--batch", "1000000"}, "--batch 1000000"},
		{"steps 0", []string{"--steps", "0"}, "--steps 0"},
		{"steps negative", []string{"--steps", "-2"}, "--steps -2"},
		{"lr 0", []string{"--lr", "0"}, "--lr 0"},
		{"lr NaN", []string{"--lr", "NaN"}, "--lr NaN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"perf", "--train"}, c.args...), noData...)
			_, err := runErr(args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("oodgpu %s: error %v, want one naming %q", strings.Join(args, " "), err, c.want)
			}
		})
	}
}

// TestPerfTorchEnv checks the environment of the PyTorch rows: OODGPU_PYTHON naming an
// interpreter that cannot import torch gives ours and the reason; with torch, OODGPU_TORCH_DEVICE
// reaches glow_parity.py, which refuses a device it does not know.
func TestPerfTorchEnv(t *testing.T) {
	datatest.FashionMNIST(t)
	model := filepath.Join(t.TempDir(), "tiny.safetensors")
	writeTinyGlow(t, model)
	args := []string{"perf", "--device", "cpu", "--model", model, "--data", "fashionmnist:test[:2]"}

	absent := filepath.Join(t.TempDir(), "no-python")
	t.Setenv("OODGPU_PYTHON", absent)
	out := run(t, args...)
	if !strings.Contains(out, "| oodgpu, ") || !strings.Contains(out, "No PyTorch rows: "+absent+" cannot import torch") {
		t.Fatalf("with OODGPU_PYTHON=%s, want our row and the reason for PyTorch's absence; perf printed\n%s", absent, out)
	}

	t.Setenv("OODGPU_PYTHON", "")
	if err := torchMissing(); err != nil {
		t.Logf("OODGPU_TORCH_DEVICE half skipped: %v", err)
		return
	}
	t.Setenv("OODGPU_TORCH_DEVICE", "tpu")
	if _, err := runErr(args...); err == nil || !strings.Contains(err.Error(), "--torch-device tpu: want cpu or cuda") {
		t.Fatalf("OODGPU_TORCH_DEVICE=tpu: error %v, want glow_parity.py's refusal", err)
	}
}

// TestTorchWhere checks how a PyTorch row names where it ran.
func TestTorchWhere(t *testing.T) {
	for _, c := range []struct {
		device  string
		threads int
		want    string
	}{
		{"", 8, "8 threads"}, // a glow_parity.py from before the device field
		{"cpu", 2, "2 threads"},
		{"cuda:0 (NVIDIA H100 80GB HBM3)", 1, "cuda:0 (NVIDIA H100 80GB HBM3)"},
	} {
		if got := torchWhere(c.device, c.threads); got != c.want {
			t.Errorf("torchWhere(%q, %d) = %q, want %q", c.device, c.threads, got, c.want)
		}
	}
}

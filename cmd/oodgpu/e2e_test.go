package main

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/scorer"
)

// run executes the CLI with args and returns its standard output.
func run(t *testing.T, args ...string) string {
	t.Helper()
	root := newRootCmd()
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("oodgpu %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestTrainFitScore drives the CLI end to end on real FashionMNIST and MNIST images: train a tiny
// Glow, fit its detectors, score in every output format.
func TestTrainFitScore(t *testing.T) {
	datatest.FashionMNIST(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.safetensors")
	out := run(t, "train", "--data", "fashionmnist:train[:256]", "--levels", "2", "--steps", "1", "--hidden", "8",
		"--batch", "32", "--epochs", "1", "--warmup", "2", "--init-batch", "64", "--test", "fashionmnist:test[:50]",
		"--out", model, "--device", "cpu")
	if !strings.Contains(out, "test fashionmnist:test[:50]:") || !strings.Contains(out, "wrote "+model) {
		t.Fatalf("train printed %q", out)
	}
	out = run(t, "fit", "--model", model, "--data", "fashionmnist:test[:60]", "--batch", "1,5", "--device", "cpu")
	if !strings.Contains(out, "B=1: 60 rows") || !strings.Contains(out, "B=5: 12 rows") {
		t.Fatalf("fit printed %q", out)
	}
	out = run(t, "score", "--model", model, "--device", "cpu", "mnist:test[:3]")
	if strings.Count(out, "mnist:test[:3]#") != 3 || !strings.Contains(out, "GRADIENT SCORE") || !strings.Contains(out, "S-SCORE") {
		t.Fatalf("score table %q", out)
	}
	// The one-class SVM detector, into another file, and scoring with it.
	svm := filepath.Join(dir, "tiny-ocsvm.safetensors")
	out = run(t, "fit", "--model", model, "--detector", "ocsvm", "--out", svm, "--data", "fashionmnist:test[:60]", "--batch", "1,5", "--device", "cpu")
	if !strings.Contains(out, "B=1: 60 rows") || strings.Count(out, "one-class SVM: nu 0.05, gamma") != 2 {
		t.Fatalf("fit --detector ocsvm printed %q", out)
	}
	if out := run(t, "score", "--model", svm, "--device", "cpu", "mnist:test[:3]"); strings.Count(out, "mnist:test[:3]#") != 3 {
		t.Fatalf("score with the one-class SVM detector: %q", out)
	}
	// The same model stored at half precision: a smaller file that scores the same images.
	half := filepath.Join(dir, "tiny-f16.safetensors")
	run(t, "fit", "--model", model, "--half", "--out", half, "--data", "fashionmnist:test[:60]", "--batch", "1,5", "--device", "cpu")
	full, err := os.Stat(model)
	if err != nil {
		t.Fatal(err)
	}
	small, err := os.Stat(half)
	if err != nil {
		t.Fatal(err)
	}
	if small.Size() >= full.Size() {
		t.Fatalf("half-precision file of %d bytes against %d", small.Size(), full.Size())
	}
	if out := run(t, "score", "--model", half, "--device", "cpu", "mnist:test[:3]"); strings.Count(out, "mnist:test[:3]#") != 3 {
		t.Fatalf("score with the half-precision model: %q", out)
	}
	out = run(t, "score", "--model", model, "--device", "cpu", "--batch", "5", "--format", "json", "fashionmnist:test[100:110]")
	var rows []scorer.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || rows[0].NLL <= 0 {
		t.Fatalf("score json %q: %v", out, err)
	}
	out = run(t, "score", "--model", model, "--device", "cpu", "--format", "csv", "mnist:test[:2]")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "input,") {
		t.Fatalf("score csv %q", out)
	}
	figs := filepath.Join(dir, "figures")
	out = run(t, "figures", "--model", model, "--device", "cpu", "--in", "fashionmnist:test[:30]", "--ood", "mnist:test[:30]",
		"--fisher-n", "10", "--window", "4", "--out", figs)
	for _, f := range []string{"fig4-layer-features.png", "fig5-fisher-window.png", "fig6-correlation-by-distance.png"} {
		if st, err := os.Stat(filepath.Join(figs, f)); err != nil || st.Size() == 0 {
			t.Fatalf("figures did not write %s: %v (printed %q)", f, err, out)
		}
	}
	if !strings.Contains(out, "diagonal") {
		t.Fatalf("figures printed %q", out)
	}
}

// TestTrainOtherKinds trains a tiny VAE and a tiny DDPM on real FashionMNIST images for a few
// steps, fits their detectors and scores MNIST images with them.
func TestTrainOtherKinds(t *testing.T) {
	datatest.FashionMNIST(t)
	cases := []struct {
		kind string
		args []string
		unit string
	}{
		{"vae", []string{"--hidden", "4", "--latent", "4", "--pixel-scales=false"}, "bits/dim"},
		{"ddpm", []string{"--hidden", "8", "--attention=false", "--ema", "0.9"}, "L_t per dimension"},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			model := filepath.Join(t.TempDir(), c.kind+".safetensors")
			args := append([]string{"train", "--model", c.kind, "--data", "fashionmnist:train[:128]", "--batch", "32",
				"--train-steps", "3", "--warmup", "1", "--test", "fashionmnist:test[:20]", "--out", model, "--device", "cpu"}, c.args...)
			out := run(t, args...)
			if !strings.Contains(out, c.unit) || !strings.Contains(out, "wrote "+model) {
				t.Fatalf("train printed %q", out)
			}
			f, err := weights.Load(model)
			if err != nil {
				t.Fatal(err)
			}
			if ema := strings.Contains(f.Metadata[trainingKey], `"ema_decay":0.9`); ema != slices.Contains(c.args, "--ema") {
				t.Errorf("training record %s: moving average recorded %v", f.Metadata[trainingKey], ema)
			}
			if c.kind == "vae" && strings.Contains(f.Metadata[weights.MetaKey], "pixel_scales") {
				t.Errorf("metadata %s: per-pixel scales despite --pixel-scales=false", f.Metadata[weights.MetaKey])
			}
			out = run(t, "fit", "--model", model, "--data", "fashionmnist:test[:40]", "--batch", "1", "--device", "cpu")
			if !strings.Contains(out, "B=1: 40 rows") {
				t.Fatalf("fit printed %q", out)
			}
			out = run(t, "score", "--model", model, "--device", "cpu", "--format", "json", "mnist:test[:2]")
			var rows []scorer.Row
			if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || rows[0].Invalid != "" {
				t.Fatalf("score json %q: %v", out, err)
			}
		})
	}
}

// TestTable merges the committed FashionMNIST bench CSV with a second one into one table.
func TestTable(t *testing.T) {
	other := filepath.Join(t.TempDir(), "mnist.csv")
	csv := "train,test,method,B,auroc,aupr_in,aupr_out,fpr_at_95_tpr\nmnist:train,fashionmnist:test,NLL,1,0.9000,0.9,0.9,0.1\n"
	if err := os.WriteFile(other, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, "table", "../../docs/results-fashionmnist.csv", other)
	if !strings.Contains(out, "| fashionmnist:train | mnist:train |") || !strings.Contains(out, "| NLL | 1 | fashionmnist:test | - | 0.900 |") ||
		!strings.Contains(out, "| method, B | cells | average AUROC |") || !strings.Contains(out, "| NLL, B = 1 | 5 |") {
		t.Fatalf("table printed %q", out)
	}
}

// TestSample writes a grid of samples of the embedded model.
func TestSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.png")
	out := run(t, "sample", "--device", "cpu", "--n", "4", "--scale", "1", "--out", path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (printed %q)", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2*(28+2)+2 || b.Dy() != 2*(28+2)+2 {
		t.Errorf("grid of 4 28x28 samples is %v", b)
	}
}

// TestHSV writes a colour PNG and prints its RGB-to-HSV shift.
func TestHSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "red.png")
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 255, 255
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := run(t, "hsv", "--size", "8", path)
	// Saturated red: -log2(6)/3 = -0.86 bits/dim.
	if !strings.Contains(out, "-0.86") || !strings.Contains(out, "1 images: shift from") {
		t.Fatalf("hsv printed %q", out)
	}
}

func TestScoreErrors(t *testing.T) {
	root := newRootCmd()
	root.SetArgs([]string{"score", "--model", filepath.Join(t.TempDir(), "missing.safetensors"), "x.png"})
	var errOut strings.Builder
	root.SetErr(&errOut)
	if err := root.Execute(); err == nil {
		t.Fatal("a missing model file was accepted")
	}
}

// TestBadInputs checks that corrupt images and unknown data sets give clear errors.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.png")
	if err := os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"score", "--device", "cpu", corrupt}, "corrupt.png"},
		{[]string{"score", "--device", "cpu", "cifar11:test"}, "cifar11"},
		{[]string{"score", "--device", "cpu", "--batch", "5", "mnist:test[:3]"}, "not a multiple of --batch 5"},
		{[]string{"score", "--device", "cpu", "--batch", "3", "mnist:test[:3]"}, "no detector fitted for --batch 3"},
		{[]string{"data", "fetch", "--dir", dir, "--base-url", "http://127.0.0.1:1/", "mnist"}, "mnist"},
		{[]string{"data", "fetch", "--dir", dir, "cifar100"}, "cifar100"},
		{[]string{"site", "--web", dir, "--out", filepath.Join(dir, "site")}, "make wasm"},
		{[]string{"serve", "--device", "cpu", "--model", filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
		{[]string{"serve", "--device", "cpu", "--addr", "127.0.0.1:99999"}, "99999"},
		{[]string{"sample", "--device", "cpu"}, "--out"},
		{[]string{"train", "--device", "cpu", "--model", "pixelsnail", "--out", filepath.Join(dir, "m.safetensors")}, "pixelsnail"},
		{[]string{"train", "--device", "cpu", "--init-from", corrupt, "--out", filepath.Join(dir, "m.safetensors")}, "--init-from"},
	}
	for _, c := range cases {
		root := newRootCmd()
		var out, errOut strings.Builder
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(c.args)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("oodgpu %s: error %v, want one mentioning %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestColourModels scores real CIFAR-10 and GTSRB test images with every colour model in
// models/zoo, through the CLI: one row per image, finite likelihoods and scores, a verdict from
// the model's own detector.
func TestColourModels(t *testing.T) {
	dir := datatest.Subset(t, 2, "cifar10_test_jpegq75_10000", "gtsrb_test_32x32_5000")
	for _, kind := range []string{"glow", "vae", "ddpm"} {
		for _, set := range []string{"cifar10", "gtsrb"} {
			t.Run(kind+"-"+set, func(t *testing.T) {
				model := filepath.Join("..", "..", "models", "zoo", kind+"-"+set+".safetensors")
				out := run(t, "score", "--model", model, "--device", "cpu", "--data-dir", dir, "--format", "json", "cifar10:test[:2]", "gtsrb:test[:2]")
				var rows []scorer.Row
				if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 4 {
					t.Fatalf("score json %q: %v", out, err)
				}
				for _, r := range rows {
					if r.Invalid != "" || !(r.NLL > 0) || math.IsInf(r.NLL, 0) || math.IsNaN(r.Score) || math.IsInf(r.Score, 0) || r.Verdict == "" {
						t.Errorf("%s: %+v", r.Input, r)
					}
				}
			})
		}
	}
}

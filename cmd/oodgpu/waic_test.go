package main

import (
	"context"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWAIC scores the examples under an ensemble of the two grey Glows of the zoo (FashionMNIST
// and MNIST): one CSV row per image with score = -WAIC and WAIC = mean - sd^2, the same rows
// with the members in the other order; bad flags stop the command before any work.
func TestWAIC(t *testing.T) {
	zoo := filepath.Join("..", "..", "models", "zoo")
	models := filepath.Join(zoo, "glow-fashionmnist.safetensors") + "," + filepath.Join(zoo, "glow-mnist.safetensors")
	images := []string{"../../examples/fashionmnist-test-0.png", "../../examples/mnist-test-0.png"}
	out := run(t, append([]string{"waic", "--device", "cpu", "--models", models, "--format", "csv"}, images...)...)
	swapped := filepath.Join(zoo, "glow-mnist.safetensors") + "," + filepath.Join(zoo, "glow-fashionmnist.safetensors")
	if again := run(t, append([]string{"waic", "--device", "cpu", "--models", swapped, "--format", "csv"}, images...)...); again != out {
		t.Errorf("with the members swapped:\n%s\nwant\n%s", again, out)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || !slices.Equal(recs[0], waicColumns) {
		t.Fatalf("waic CSV %q: %v", out, err)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return v
	}
	for _, r := range recs[1:] {
		waic, score, mean, sd := num(r[1]), num(r[2]), num(r[3]), num(r[4])
		t.Logf("%s: WAIC %.1f, mean log-likelihood %.1f, sd %.1f", r[0], waic, mean, sd)
		if score != -waic || sd < 0 || abs(waic-(mean-sd*sd)) > 1e-6*abs(waic) {
			t.Errorf("%s: waic %g, score %g, mean %g, sd %g", r[0], waic, score, mean, sd)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"waic", "--models", models}, "requires at least 1 arg"},
		{[]string{"waic", "--models", filepath.Join(zoo, "glow-mnist.safetensors"), "x.png"}, "at least 2"},
		{[]string{"waic", "--models", models, "--format", "json", "x.png"}, "--format"},
		{[]string{"waic", "--models", models, "--run", "0", "x.png"}, "--run 0"},
		{[]string{"waic", "--models", models + "," + filepath.Join(zoo, "glow-cifar10.safetensors"), "x.png"}, "takes 32x32x3 images"},
	} {
		if _, _, err := runCLI(context.Background(), c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

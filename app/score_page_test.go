//go:build !js

package app

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/scorer"
)

func TestZSummary(t *testing.T) {
	for _, c := range []struct {
		z    []float64
		want string
	}{
		{nil, "0 of 0 layers with |z| > 3"},
		{[]float64{0, 3, -3}, "0 of 3 layers with |z| > 3"},
		{[]float64{3.01, -4, 1, math.NaN()}, "2 of 4 layers with |z| > 3"},
	} {
		if got := zSummary(c.z); got != c.want {
			t.Errorf("zSummary(%v) = %q, want %q", c.z, got, c.want)
		}
	}
}

func TestZLargest(t *testing.T) {
	z := []float64{1, -7, math.NaN(), 4, 0.5}
	layers := []string{"a", "b", "c", "d"}
	got := strings.Join(zLargest(z, layers, 3), "; ")
	if want := "b (z = -7.0); d (z = 4.0); a (z = 1.0)"; got != want {
		t.Errorf("zLargest = %q, want %q", got, want)
	}
	if got := zLargest(z[:1], nil, 3); len(got) != 1 || got[0] != "layer 0 (z = 1.0)" {
		t.Errorf("zLargest without names = %q", got)
	}
}

// TestZBars: red bars beyond |z| = 3 only, none for NaN, bars clipped to the chart, the summary
// as the accessible name, a viewBox without a fixed size so that the chart scales to its
// container, no per-layer nodes in the chart itself, and one hit target with the layer's name per
// layer in the enlarged view.
func TestZBars(t *testing.T) {
	z := []float64{0.5, -4, 25, math.NaN()}
	svg := zBars(z)
	for _, want := range []string{`<svg class="zbars" viewBox="0 0 4 100" preserveAspectRatio="none" role="img"`,
		`aria-label="2 of 4 layers with |z| > 3"`, `stroke-dasharray`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s:\n%s", want, svg)
		}
	}
	if n := strings.Count(svg, "<"); n != 7 {
		t.Errorf("chart of %d nodes, want 7 (svg, 3 lines, 2 paths and the end tag): %s", n, svg)
	}
	wide := wideBars(svg, zTargets(z, []string{"l0", "l1", "l2", "l3"}))
	if !strings.HasPrefix(wide, `<svg class="zbars wide" viewBox=`) || !strings.HasPrefix(wide[len(`<svg class="zbars wide"`):], strings.TrimSuffix(svg[len(`<svg class="zbars"`):], "</svg>")) ||
		!strings.HasSuffix(wide, "</rect></svg>") {
		t.Errorf("the enlarged chart is not the chart of class zbars wide with the targets on top: %s", wide)
	}
	for _, want := range []string{`<title>l2: z = 25.00</title>`, `<title>l3: z = NaN</title>`} {
		if !strings.Contains(wide, want) {
			t.Errorf("enlarged chart lacks %s:\n%s", want, wide)
		}
	}
	if got := strings.Count(wide, "<title>"); got != len(z) {
		t.Errorf("%d titles for %d layers", got, len(z))
	}
	red, blue := barsOf(svg, "#c0392b"), barsOf(svg, "#3d6fb0")
	if red != 2 || blue != 1 {
		t.Errorf("%d red and %d blue bars, want 2 red (|z| = 4 and 25) and 1 blue (none for NaN)", red, blue)
	}
	for _, m := range regexp.MustCompile(`M\d+\.1 (-?[\d.]+)h0\.8v([\d.]+)`).FindAllStringSubmatch(svg, -1) {
		top, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		if top < 0 || top+h > 100 {
			t.Errorf("a bar leaves the chart: %s", m[0])
		}
	}
}

// barsOf counts the bars of the chart svg's path filled with colour.
func barsOf(svg, colour string) int {
	m := regexp.MustCompile(`<path d="([^"]*)" fill="` + colour + `"/>`).FindStringSubmatch(svg)
	if m == nil {
		return 0
	}
	return strings.Count(m[1], "M")
}

func TestImageProblem(t *testing.T) {
	good, err := os.ReadFile(inImage)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"text", []byte("not an image"), "Not an image: PNG, JPEG or GIF expected"},
		{"huge", hugePNGHeader(t, 20000, 20000), "Image too large: 20000x20000 pixels, at most 8192 on a side"},
		{"truncated", good[:len(good)/2], "Damaged or too large an image: it could not be decoded"},
	} {
		if got := imageProblem(c.b); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestCSV: the download has a line per scored or failed file, none for those still waiting,
// and numbers as `oodgpu score --format csv` writes them.
func TestCSV(t *testing.T) {
	m := ModelInfo{ID: "glow-fashionmnist"}
	p := &ScorePage{results: []*imageResult{
		{name: "a, b.png", model: m, state: scored, row: &scorer.Row{NLL: 2.5, Score: 3.5, GradientScore: 300.25, SScore: -1.25, Percentile: 60,
			Verdict: scorer.InDistribution}},
		{name: "notes.txt", model: m, state: failed, err: "Not an image: PNG, JPEG or GIF expected"},
		{name: "later.png", model: m, state: waiting},
		{name: "inf.png", model: m, state: scored, row: &scorer.Row{NLL: math.Inf(1), Score: math.Inf(1), GradientScore: math.Inf(1),
			SScore: math.NaN(), Percentile: 100, Verdict: scorer.OOD, Invalid: "non-finite likelihood"}},
	}}
	u := p.csvURL()
	const prefix = "data:text/csv;charset=utf-8,"
	if !strings.HasPrefix(u, prefix) || strings.ContainsAny(u[len(prefix):], " +\n") {
		t.Fatalf("CSV URL %q", u)
	}
	text, err := url.PathUnescape(u[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"file", "model", "nll_bits_per_dim", "score", "gradient_score", "s_score", "percentile", "verdict", "invalid", "error"},
		{"a, b.png", "glow-fashionmnist", "2.5", "3.5", "300.25", "-1.25", "60", scorer.InDistribution, "", ""},
		{"notes.txt", "glow-fashionmnist", "", "", "", "", "", "", "", "Not an image: PNG, JPEG or GIF expected"},
		{"inf.png", "glow-fashionmnist", "null", "null", "null", "null", "100", scorer.OOD, "non-finite likelihood", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("CSV %q, want %d lines", got, len(want))
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestModelInfoLabel(t *testing.T) {
	for _, c := range []struct {
		m    ModelInfo
		want string
	}{
		{ModelInfo{Kind: "glow", TrainedOn: "fashionmnist:train", Width: 28, Height: 28, Channels: 1, Default: true},
			"Glow on fashionmnist:train (28x28 grey), default"},
		{ModelInfo{Kind: "ddpm", TrainedOn: "cifar10:train", Width: 32, Height: 32, Channels: 3}, "DDPM on cifar10:train (32x32 colour)"},
		{ModelInfo{Kind: "flow", TrainedOn: "x", Width: 8, Height: 8, Channels: 1}, "flow on x (8x8 grey)"},
	} {
		if got := c.m.Label(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.m, got, c.want)
		}
	}
}

// TestGeneratedExamples: the generated example images are what genexamples.go draws.
func TestGeneratedExamples(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("go", "run", "genexamples.go", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run genexamples.go: %v\n%s", err, b)
	}
	for _, name := range []string{"noise.png", "colour.png"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("static", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("static/examples/%s differs from what genexamples.go draws: run go generate ./app", name)
		}
	}
}

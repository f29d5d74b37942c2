package scorer

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/ood"
)

// colourImage is a generated 32x32 colour image: hue sweeping across, saturation down, a few
// black and grey pixels (which dequantization keeps off the singular grey axis).
func colourImage() *data.Set {
	const side = 32
	pix := make([]uint8, side*side*3)
	for y := range side {
		for x := range side {
			r, g, b := ood.HSVToRGB(float64(x)/side, 0.2+0.8*float64(y)/side, 0.3+0.7*float64(x+y)/(2*side))
			p := 3 * (y*side + x)
			pix[p], pix[p+1], pix[p+2] = uint8(255*r), uint8(255*g), uint8(255*b)
			if x == y {
				pix[p], pix[p+1], pix[p+2] = 0, 0, 0
			} else if x+y == side {
				pix[p], pix[p+1], pix[p+2] = 128, 128, 128
			}
		}
	}
	return &data.Set{Name: "generated", N: 1, Shape: data.Shape{H: side, W: side, C: 3}, Pix: pix}
}

// TestHSVInvariance is Proposition 1 with the zoo's CIFAR-10 Glow: modelled in HSV, the image's
// bits/dim move by the log-determinant, its gradient features stay those of RGB to float32
// rounding, and the RGB features are those the detector scores, up to float32 rounding of the
// point they are taken at.
func TestHSVInvariance(t *testing.T) {
	m, err := Load("../models/zoo/glow-cifar10.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	set := colourImage()
	ctx := context.Background()
	c, err := m.HSVInvariance(ctx, cpu.New(), set, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NLL %.4f (RGB) -> %.4f (HSV) bits/dim: shift %.4f, log-det %.4f; features differ by at most %.2g (%s) over %d layers",
		c.NLLRGB, c.NLLHSV, c.Shift, c.LogDetShift, c.MaxRelDiff, c.WorstLayer, len(c.Layers))
	if math.Abs(c.Shift-c.LogDetShift) > 1e-3 || c.Shift <= 0 {
		t.Errorf("NLL shift %.5f bits/dim, log-determinant %.5f", c.Shift, c.LogDetShift)
	}
	if len(c.Layers) < 100 || len(c.RGB) != len(c.Layers) || len(c.HSV) != len(c.Layers) {
		t.Fatalf("%d layers, %d and %d features", len(c.Layers), len(c.RGB), len(c.HSV))
	}
	if c.MaxRelDiff > 1e-3 || c.WorstLayer == "" {
		t.Errorf("largest relative feature difference %g at %q", c.MaxRelDiff, c.WorstLayer)
	}
	if len(c.PixelLogDet) != c.Size*c.Size || c.Size != 32 {
		t.Errorf("%d per-pixel log-determinants for size %d", len(c.PixelLogDet), c.Size)
	}

	f, err := m.Extractor(cpu.New(), set, []int{1}, 1, 1).Run(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.NLL[0]-c.NLLRGB) > 1e-5 {
		t.Errorf("NLL %g here, %g as scored", c.NLLRGB, f.NLL[0])
	}
	// The RGB model reads T^-1(T(x)), x moved by float32 rounding: its features are the scored
	// ones to within the model's sensitivity to that (about 1e-3 relative).
	if d, j, _ := ood.MaxRelDiff(f.Rows[1][0], c.RGB); d > 1e-2 {
		t.Errorf("RGB features differ from the scored ones by %g at layer %d", d, j)
	}
}

func TestHSVInvarianceRefuses(t *testing.T) {
	colour, err := Load("../models/zoo/glow-cifar10.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	vae, err := Load("../models/zoo/vae-cifar10.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	grey := colourImage()
	for i := 0; i < len(grey.Pix); i += 3 {
		grey.Pix[i+1], grey.Pix[i+2] = grey.Pix[i], grey.Pix[i]
	}
	oneChannel := &data.Set{Name: "grey", N: 1, Shape: data.Shape{H: 32, W: 32, C: 1}, Pix: make([]uint8, 32*32)}
	two := colourImage()
	two.N, two.Pix = 2, append(two.Pix, two.Pix...)
	for _, c := range []struct {
		name  string
		m     *Model
		set   *data.Set
		want  error
		words string
	}{
		{"grey model", defaultModel(t), colourImage(), nil, "colour model"},
		{"not a Glow", vae, colourImage(), nil, "needs a Glow"},
		{"grey pixels", colour, grey, ood.ErrGrey, ""},
		{"one channel", colour, oneChannel, ood.ErrNotColour, ""},
		{"two images", colour, two, nil, "want 1"},
	} {
		_, err := c.m.HSVInvariance(context.Background(), cpu.New(), c.set, 1)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		case c.words != "" && !strings.Contains(err.Error(), c.words):
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.words)
		}
	}
}

// TestHSVInvarianceGPU runs the check on the WebGPU executor: the features of both
// representations agree, and the likelihoods are those of the CPU executor.
func TestHSVInvarianceGPU(t *testing.T) {
	e, err := gpu.New(gpu.Options{})
	if err != nil {
		if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
			t.Fatalf("OODGPU_REQUIRE_GPU=1 but no WebGPU adapter: %v", err)
		}
		t.Skipf("skipping: no WebGPU adapter (%v)", err)
	}
	m, err := Load("../models/zoo/glow-cifar10.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g, err := m.HSVInvariance(ctx, e, colourImage(), 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.HSVInvariance(ctx, cpu.New(), colourImage(), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: NLL %.5f -> %.5f bits/dim (CPU %.5f -> %.5f); features differ by at most %.2g (%s)",
		e.Name(), g.NLLRGB, g.NLLHSV, c.NLLRGB, c.NLLHSV, g.MaxRelDiff, g.WorstLayer)
	if g.MaxRelDiff > 1e-3 {
		t.Errorf("on the GPU the features of RGB and HSV differ by %g (%s)", g.MaxRelDiff, g.WorstLayer)
	}
	if math.Abs(g.NLLRGB-c.NLLRGB) > 1e-3 || math.Abs(g.Shift-c.Shift) > 1e-3 {
		t.Errorf("GPU NLL %g, shift %g; CPU %g, %g", g.NLLRGB, g.Shift, c.NLLRGB, c.Shift)
	}
}

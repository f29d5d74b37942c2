package main

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/ood"
)

// zooCIFAR10 is the zoo's colour Glow, seen from this package's folder.
var zooCIFAR10 = filepath.Join("..", "..", "models", "zoo", "glow-cifar10.safetensors")

// writeColourPNG writes a generated 40x40 colour image (hue across, saturation down; resized
// to the model's 32x32 when read) and returns its path.
func writeColourPNG(t *testing.T, dir string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			r, g, b := ood.HSVToRGB(float64(x)/40, 0.3+0.7*float64(y)/40, 0.9)
			img.Set(x, y, color.RGBA{uint8(255 * r), uint8(255 * g), uint8(255 * b), 255})
		}
	}
	path := filepath.Join(dir, "colour.png")
	writePNG(t, path, img)
	return path
}

// hsvRow is one row of `hsv --features`: the NLLs, the shift and the features' difference.
type hsvRow struct {
	nllRGB, nllHSV, shift, diff float64
}

// parseHSVRow reads the row of input name from the table.
func parseHSVRow(t *testing.T, out, name string) hsvRow {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 5 && f[0] == name {
			var r hsvRow
			if _, err := fmt.Sscan(strings.Join(f[1:], " "), &r.nllRGB, &r.nllHSV, &r.shift, &r.diff); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			return r
		}
	}
	t.Fatalf("no row for %s in %q", name, out)
	return hsvRow{}
}

// TestHSVFeatures runs `oodgpu hsv --features` with the zoo's CIFAR-10 Glow, by default from
// the repository's root and by --model from here, on a generated colour image: the NLL moves
// by the shift and the gradient features stay the same.
func TestHSVFeatures(t *testing.T) {
	img, err := filepath.Abs(writeColourPNG(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, "hsv", "--features", "--device", "cpu", "--model", zooCIFAR10, img)
	r := parseHSVRow(t, out, img)
	if d := r.nllHSV - r.nllRGB - r.shift; d > 2e-4 || d < -2e-4 {
		t.Errorf("NLL %g -> %g but shift %g", r.nllRGB, r.nllHSV, r.shift)
	}
	// Bright, saturated pixels have 6 C V > 1: this image's likelihood rises in HSV.
	if !(r.shift > -1 && r.shift < 0) || !(r.diff >= 0 && r.diff < 1e-3) {
		t.Errorf("shift %g bits/dim, features' largest relative difference %g", r.shift, r.diff)
	}
	if !strings.Contains(out, "gradient features (344 layers): the same under RGB and HSV") {
		t.Errorf("no verdict on the features in %q", out)
	}
	t.Logf("oodgpu hsv --features:\n%s", out)

	t.Chdir(filepath.Join("..", ".."))
	if again := parseHSVRow(t, run(t, "hsv", "--features", "--device", "cpu", img), img); again != r {
		t.Errorf("the default model gives %+v, --model %s gives %+v", again, zooCIFAR10, r)
	}
}

// TestHSVFeaturesData runs the check on CIFAR-10 images of the shared data, when it is there.
func TestHSVFeaturesData(t *testing.T) {
	dir := datatest.Subset(t, 2, "cifar10_train_lossless_4000")
	out := run(t, "hsv", "--features", "--device", "cpu", "--data-dir", dir, "--model", zooCIFAR10, "cifar10:lossless[:2]")
	for i := range 2 {
		r := parseHSVRow(t, out, fmt.Sprintf("cifar10:lossless[:2]#%d", i))
		if !(r.diff < 1e-3) || !(r.shift > 0 && r.shift < 4) {
			t.Errorf("image %d: shift %g, features' largest relative difference %g", i, r.shift, r.diff)
		}
	}
	t.Logf("oodgpu hsv --features:\n%s", out)
}

func TestHSVFeaturesRefuses(t *testing.T) {
	dir := t.TempDir()
	colour := writeColourPNG(t, dir)
	grey := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i)
	}
	greyPath := filepath.Join(dir, "grey.png")
	writePNG(t, greyPath, grey)
	rgbGrey := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := 0; i < len(rgbGrey.Pix); i += 4 {
		v := uint8(i / 4)
		rgbGrey.Pix[i], rgbGrey.Pix[i+1], rgbGrey.Pix[i+2], rgbGrey.Pix[i+3] = v, v, v, 255
	}
	rgbGreyPath := filepath.Join(dir, "rgb-grey.png")
	writePNG(t, rgbGreyPath, rgbGrey)
	greyModel := filepath.Join("..", "..", "models", "zoo", "glow-fashionmnist.safetensors")
	vae := filepath.Join("..", "..", "models", "zoo", "vae-cifar10.safetensors")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"grey image", []string{"--model", zooCIFAR10, greyPath}, "grey images"},
		{"grey pixels in RGB", []string{"--model", zooCIFAR10, rgbGreyPath}, "every pixel of this one is grey"},
		{"grey model", []string{"--model", greyModel, colour}, "needs a colour model"},
		{"not a Glow", []string{"--model", vae, colour}, "needs a Glow"},
		{"size", []string{"--model", zooCIFAR10, "--size", "16", colour}, "--size does not apply"},
		{"default model not here", []string{colour}, "pass --model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"hsv", "--features", "--device", "cpu"}, c.args...)
			stdout, err := runErr(args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("oodgpu %s: error %v, want one mentioning %q", strings.Join(args, " "), err, c.want)
			}
			if stdout != "" {
				t.Errorf("printed %q before refusing", stdout)
			}
		})
	}
	if _, err := runErr("hsv", "--model", zooCIFAR10, colour); err == nil || !strings.Contains(err.Error(), "--model applies to --features") {
		t.Errorf("--model without --features: %v", err)
	}
}

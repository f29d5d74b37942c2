package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/models"
)

func newSampleCmd() *cobra.Command {
	var (
		dev       deviceFlags
		modelPath string
		out       string
		opts      = models.SampleOptions{N: 64, Seed: 1, Temperature: 0.7}
		scale     int
	)
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Draw images from a model and write them as a PNG grid (the paper's Figures 18 to 20)",
		Long: "Glow: through its inverse at --temperature; VAE: the decoder's logistic means at z ~ N(0, I);\n" +
			"DDPM: ancestral sampling over all T steps (T forward passes); PixelCNN++: pixel by pixel from\n" +
			"its mixture (one forward pass per pixel, 1024 at 32x32, the slowest).",
		Example: "  oodgpu sample --model models/zoo/glow-mnist.safetensors --n 64 --out samples.png",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("sample: --out is required")
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			if _, _, err := gridSize(opts.N, m.ImageShape(), scale); err != nil {
				return err
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			start := time.Now()
			set, err := models.Sample(cmd.Context(), exec, m.Net, m.Params, opts)
			if err != nil {
				return err
			}
			if err := writeGrid(out, set, scale); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d samples of %s (%s) to %s in %.0f s on %s\n",
				set.N, m.Name, m.Net.Kind(), out, time.Since(start).Seconds(), exec.Name())
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&out, "out", "", "PNG file to write")
	fl.IntVar(&opts.N, "n", opts.N, "images")
	fl.Uint64Var(&opts.Seed, "seed", opts.Seed, "noise seed")
	fl.Float64Var(&opts.Temperature, "temperature", opts.Temperature, "Glow prior temperature")
	fl.IntVar(&scale, "scale", 2, "pixels per image pixel in the grid")
	return cmd
}

// writeGrid writes the images of set as a square-ish grid with 2-pixel gaps, each pixel scale
// times larger.
func writeGrid(path string, set *data.Set, scale int) error {
	gw, gh, err := gridSize(set.N, set.Shape, scale)
	if err != nil {
		return err
	}
	cols := gridCols(set.N)
	h, w, c := set.Shape.H*scale, set.Shape.W*scale, set.Shape.C
	img := image.NewRGBA(image.Rect(0, 0, gw, gh))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for k := 0; k < set.N; k++ {
		pix, err := set.Image(k)
		if err != nil {
			return err
		}
		ox, oy := gridGap+(k%cols)*(w+gridGap), gridGap+(k/cols)*(h+gridGap)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := ((y/scale)*set.Shape.W + x/scale) * c
				col := color.RGBA{pix[p], pix[p], pix[p], 255}
				if c == 3 {
					col = color.RGBA{pix[p], pix[p+1], pix[p+2], 255}
				}
				img.SetRGBA(ox+x, oy+y, col)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Grid limits: the gap between images, the largest --scale and the largest grid in pixels.
const (
	gridGap       = 2
	maxGridScale  = 32
	maxGridPixels = 64 << 20
)

// gridCols is the number of columns of a grid of n images: a square-ish layout.
func gridCols(n int) int { return int(math.Ceil(math.Sqrt(float64(n)))) }

// gridSize is the width and height in pixels of the grid of n images of shape at scale, or an
// error when scale or the grid is out of bounds.
func gridSize(n int, shape data.Shape, scale int) (w, h int, err error) {
	if scale < 1 || scale > maxGridScale {
		return 0, 0, fmt.Errorf("sample: --scale %d: want 1 to %d", scale, maxGridScale)
	}
	cols := gridCols(n)
	rows := (n + cols - 1) / cols
	w = cols*(shape.W*scale+gridGap) + gridGap
	h = rows*(shape.H*scale+gridGap) + gridGap
	if w*h > maxGridPixels {
		return 0, 0, fmt.Errorf("sample: a grid of %d images at --scale %d is %dx%d pixels, over the %d M limit", n, scale, w, h, maxGridPixels>>20)
	}
	return w, h, nil
}

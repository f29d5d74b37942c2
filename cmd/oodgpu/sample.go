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
			"DDPM: ancestral sampling over all T steps (T forward passes, the slowest).",
		Example: "  oodgpu sample --model models/zoo/glow-mnist.safetensors --n 64 --out samples.png",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("sample: --out is required")
			}
			m, err := openModel(modelPath)
			if err != nil {
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
	if scale < 1 {
		return fmt.Errorf("sample: --scale %d", scale)
	}
	cols := int(math.Ceil(math.Sqrt(float64(set.N))))
	rows := (set.N + cols - 1) / cols
	h, w, c := set.Shape.H*scale, set.Shape.W*scale, set.Shape.C
	const gap = 2
	img := image.NewRGBA(image.Rect(0, 0, cols*(w+gap)+gap, rows*(h+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for k := 0; k < set.N; k++ {
		pix, err := set.Image(k)
		if err != nil {
			return err
		}
		ox, oy := gap+(k%cols)*(w+gap), gap+(k/cols)*(h+gap)
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

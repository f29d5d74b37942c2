package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// zooColourGlow is the colour Glow `oodgpu hsv --features` uses without --model: the model
// zoo's CIFAR-10 Glow, found from a checkout's root.
var zooColourGlow = filepath.Join("models", "zoo", "glow-cifar10.safetensors")

func newHSVCmd() *cobra.Command {
	var (
		inputs    inputFlags
		dev       deviceFlags
		seed      uint64
		size      int
		features  bool
		modelPath string
	)
	cmd := &cobra.Command{
		Use:   "hsv INPUT...",
		Short: "Print each colour image's bits/dim shift when modelled in HSV instead of RGB (the paper's Figure 3); with --features, that its gradient features do not move",
		Long: "The shift is (1/D) sum over pixels of log2 |det dT/dx| for T = RGB to HSV (H, S, V in [0, 1]),\n" +
			"at the image dequantized as in the paper (x + N(0,1)/255, seeded). INPUT: colour image files,\n" +
			"folders or data set specs such as cifar10:lossless[:20].\n\n" +
			"With --features, each image is run through a colour Glow twice: as RGB, and as HSV with the\n" +
			"same model expressed in HSV (log p(y) = log p_RGB(T^-1(y)) + log|det dT^-1/dy|, the inverse and\n" +
			"its log-determinant computed in the graph). It prints both NLLs, their difference (the shift,\n" +
			"at the image dequantized as `oodgpu score` does it) and the largest relative difference\n" +
			"between the two sets of per-layer gradient features (the paper's Proposition 1: zero up to\n" +
			"float32 rounding). Images are brought to the model's size; --size does not apply.",
		Example: "  oodgpu hsv 'cifar10:lossless[:20]'\n  oodgpu hsv --features 'cifar10:lossless[:5]'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if features {
				if cmd.Flags().Changed("size") {
					return errors.New("hsv: --size does not apply to --features: images are brought to the model's size")
				}
				return hsvFeatures(cmd, args, modelPath, inputs, dev, seed)
			}
			if modelPath != "" {
				return errors.New("hsv: --model applies to --features")
			}
			if size < 1 || size > data.MaxImageSide {
				return fmt.Errorf("hsv: --size %d: want 1 to %d", size, data.MaxImageSide)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INPUT\tSHIFT (bits/dim)")
			lo, hi, n := math.Inf(1), math.Inf(-1), 0
			err := eachColourImage(cmd.Context(), args, data.Shape{H: size, W: size}, inputs, func(name string, pix []uint8, _ data.Shape) error {
				shift, err := ood.HSVShift(pix, 3, rand.New(rand.NewPCG(seed, uint64(n))))
				if err != nil {
					return fmt.Errorf("hsv: %s: %w", name, err)
				}
				if math.IsNaN(shift) || math.IsInf(shift, 0) {
					return fmt.Errorf("hsv: %s: the shift is not finite (pixels on the grey axis or at black make the change singular)", name)
				}
				fmt.Fprintf(tw, "%s\t%.3f\n", name, shift)
				lo, hi, n = math.Min(lo, shift), math.Max(hi, shift), n+1
				return nil
			})
			if err != nil {
				return err
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d images: shift from %.2f to %.2f bits/dim\n", n, lo, hi)
			return nil
		},
	}
	inputs.register(cmd)
	dev.register(cmd)
	fl := cmd.Flags()
	fl.Uint64Var(&seed, "seed", 1, "dequantization noise seed")
	fl.IntVar(&size, "size", 32, "image files are resized to size x size")
	fl.BoolVar(&features, "features", false, "also run a colour Glow on each image as RGB and as HSV and compare the gradient features")
	fl.StringVar(&modelPath, "model", "", "with --features: a colour Glow's weight file (default: "+zooColourGlow+", from the repository's root)")
	return cmd
}

// eachColourImage calls f with every image of the inputs and its shape, read at shape (see
// loadInput) with the channels the source has: an input of grey images is refused, not
// replicated to RGB.
func eachColourImage(ctx context.Context, args []string, shape data.Shape, in inputFlags, f func(name string, pix []uint8, shape data.Shape) error) error {
	for _, arg := range args {
		set, names, err := loadInput(ctx, arg, shape, in)
		if err != nil {
			return err
		}
		if set.Shape.C != 3 {
			return fmt.Errorf("hsv: %s holds grey images: the RGB to HSV change needs colour images", arg)
		}
		for i := 0; i < set.N; i++ {
			pix, err := set.Image(i)
			if err != nil {
				return err
			}
			if err := f(names[i], pix, set.Shape); err != nil {
				return err
			}
		}
	}
	return nil
}

// hsvFeatures is `oodgpu hsv --features`: scorer.HSVInvariance of every image.
func hsvFeatures(cmd *cobra.Command, args []string, modelPath string, in inputFlags, dev deviceFlags, seed uint64) error {
	m, err := openColourGlow(modelPath)
	if err != nil {
		return err
	}
	var exec graph.Executor // opened with the first image
	shape := m.ImageShape()
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INPUT\tNLL RGB\tNLL HSV\tSHIFT (bits/dim)\tFEATURES' MAX REL DIFF")
	lo, hi, worst, n := math.Inf(1), math.Inf(-1), 0.0, 0
	layers := 0
	err = eachColourImage(cmd.Context(), args, data.Shape{H: shape.H, W: shape.W}, in, func(name string, pix []uint8, sh data.Shape) error {
		if exec == nil {
			x, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			exec = x
		}
		set := &data.Set{Name: name, N: 1, Shape: sh, Pix: pix}
		c, err := m.HSVInvariance(cmd.Context(), exec, set, seed)
		if err != nil {
			return fmt.Errorf("hsv: %s: %w", name, err)
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.2g\n", name, c.NLLRGB, c.NLLHSV, c.Shift, c.MaxRelDiff)
		lo, hi, worst, n, layers = math.Min(lo, c.Shift), math.Max(hi, c.Shift), math.Max(worst, c.MaxRelDiff), n+1, len(c.Layers)
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%d images with %s: shift from %.2f to %.2f bits/dim (the paper's Figure 8: 0.18 to 1.76 on CIFAR-10)\n", n, m.Name, lo, hi)
	return printFeatureVerdict(w, worst, layers)
}

// featureTolerance is the relative difference float32 rounding stays below.
const featureTolerance = 1e-3

// printFeatureVerdict says whether the features agreed, and fails when they did not.
func printFeatureVerdict(w io.Writer, worst float64, layers int) error {
	if !(worst < featureTolerance) {
		return fmt.Errorf("hsv: the gradient features of RGB and HSV differ by up to %.2g (relative), more than float32 rounding (%g)", worst, featureTolerance)
	}
	_, err := fmt.Fprintf(w, "gradient features (%d layers): the same under RGB and HSV, largest relative difference %.2g (float32 tolerance: %g)\n",
		layers, worst, featureTolerance)
	return err
}

// openColourGlow loads the weight file at path, or the zoo's CIFAR-10 Glow when path is empty,
// and checks that it is a colour Glow.
func openColourGlow(path string) (*scorer.Model, error) {
	if path == "" {
		path = zooColourGlow
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("hsv: --features without --model uses %s, which is not here: run from the repository's root or pass --model", path)
		}
	}
	m, err := scorer.Load(path)
	if err != nil {
		return nil, err
	}
	if _, err := m.Glow("hsv --features"); err != nil {
		return nil, err
	}
	if m.ImageShape().C != 3 {
		return nil, fmt.Errorf("hsv: --features needs a colour model; %s models grey images", m.Name)
	}
	return m, nil
}

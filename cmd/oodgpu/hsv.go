package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/ood"
)

func newHSVCmd() *cobra.Command {
	var (
		inputs inputFlags
		seed   uint64
		size   int
	)
	cmd := &cobra.Command{
		Use:   "hsv INPUT...",
		Short: "Print each colour image's bits/dim shift when modelled in HSV instead of RGB (the paper's Figure 3)",
		Long: "The shift is (1/D) sum over pixels of log2 |det dT/dx| for T = RGB to HSV (H, S, V in [0, 1]),\n" +
			"at the image dequantized as in the paper (x + N(0,1)/255, seeded). INPUT: colour image files,\n" +
			"folders or data set specs such as cifar10:lossless[:20].",
		Example: "  oodgpu hsv 'cifar10:lossless[:20]'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if size < 1 || size > data.MaxImageSide {
				return fmt.Errorf("hsv: --size %d: want 1 to %d", size, data.MaxImageSide)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INPUT\tSHIFT (bits/dim)")
			lo, hi, n := math.Inf(1), math.Inf(-1), 0
			for _, in := range args {
				// Channels as the source has them: a grey image is refused, not replicated to RGB.
				set, names, err := loadInput(cmd.Context(), in, data.Shape{H: size, W: size}, inputs)
				if err != nil {
					return err
				}
				if set.Shape.C != 3 {
					return fmt.Errorf("hsv: %s holds grey images: the RGB to HSV change needs colour images", in)
				}
				for i := 0; i < set.N; i++ {
					pix, err := set.Image(i)
					if err != nil {
						return err
					}
					shift, err := ood.HSVShift(pix, set.Shape.C, rand.New(rand.NewPCG(seed, uint64(n))))
					if err != nil {
						return fmt.Errorf("hsv: %s: %w", names[i], err)
					}
					if math.IsNaN(shift) || math.IsInf(shift, 0) {
						return fmt.Errorf("hsv: %s: the shift is not finite (pixels on the grey axis or at black make the change singular)", names[i])
					}
					fmt.Fprintf(tw, "%s\t%.3f\n", names[i], shift)
					lo, hi, n = math.Min(lo, shift), math.Max(hi, shift), n+1
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d images: shift from %.2f to %.2f bits/dim\n", n, lo, hi)
			return nil
		},
	}
	inputs.register(cmd)
	cmd.Flags().Uint64Var(&seed, "seed", 1, "dequantization noise seed")
	cmd.Flags().IntVar(&size, "size", 32, "image files are resized to size x size")
	return cmd
}

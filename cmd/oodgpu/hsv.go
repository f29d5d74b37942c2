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
		dataDir string
		seed    uint64
		size    int
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
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INPUT\tSHIFT (bits/dim)")
			lo, hi, n := math.Inf(1), math.Inf(-1), 0
			for _, in := range args {
				set, names, err := loadInput(in, data.Shape{H: size, W: size, C: 3}, dataDir)
				if err != nil {
					return err
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
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "dequantization noise seed")
	cmd.Flags().IntVar(&size, "size", 32, "image files are resized to size x size")
	return cmd
}

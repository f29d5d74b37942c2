package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/ood"
)

func newFitCmd() *cobra.Command {
	var (
		dev            deviceFlags
		modelPath, out string
		spec, dataDir  string
		batches        string
		recall         float64
		seed           uint64
	)
	cmd := &cobra.Command{
		Use:     "fit",
		Short:   "Fit the OOD detector (Gaussian on log gradient features) on held-out in-distribution data",
		Example: "  oodgpu fit --model glow-fashionmnist.safetensors --data 'fashionmnist:test[:1000]' --batch 1,5",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			groups, err := parseBatches(batches)
			if err != nil {
				return err
			}
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			n := set.N / lcmAll(groups) * lcmAll(groups)
			if n < 2*lcmAll(groups) {
				return fmt.Errorf("fit: %s has %d images, too few for batch sizes %v", spec, set.N, groups)
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ex := m.extractor(exec, set, groups, chunkFor(groups, n), seed)
			bar := newBar(cmd.ErrOrStderr(), n, "features")
			feats, err := ex.Run(cmd.Context(), n, func(done int) { _ = bar.Set(done) })
			_ = bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var dm detectorMeta
			for _, b := range groups {
				d, err := ood.Fit(feats, b, recall, fmt.Sprintf("%s (%d images)", spec, n), seed)
				if err != nil {
					return err
				}
				dm.Detectors = append(dm.Detectors, d)
				fmt.Fprintf(cmd.OutOrStdout(), "B=%d: %d rows, %d of %d layers kept, H = %.4f bits/dim, threshold %.2f at %.0f%% recall\n",
					b, d.FitRows, len(d.Gaussian.Keep), len(d.Gaussian.Layers), d.Typicality.H, d.Threshold, 100*recall)
				for _, why := range d.Gaussian.Dropped {
					fmt.Fprintf(cmd.OutOrStdout(), "  dropped %s\n", why)
				}
			}
			raw, err := json.Marshal(dm)
			if err != nil {
				return err
			}
			m.meta.Detector = raw
			if err := m.file.SetMeta(m.meta); err != nil {
				return err
			}
			if out == "" {
				out = modelPath
			}
			if err := weights.Save(out, m.file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote the detector into %s\n", out)
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file to fit (required)")
	fl.StringVar(&out, "out", "", "where to write the model with its detector (default: --model, in place)")
	fl.StringVar(&spec, "data", "fashionmnist:test[:1000]", "held-out in-distribution data")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.StringVar(&batches, "batch", "1,5", "batch sizes B to fit detectors for (comma-separated)")
	fl.Float64Var(&recall, "recall", 0.95, "in-distribution recall of the verdict threshold")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed")
	_ = cmd.MarkFlagRequired("model")
	return cmd
}

func parseBatches(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || b < 1 {
			return nil, fmt.Errorf("--batch %q: want positive integers separated by commas", s)
		}
		out = append(out, b)
	}
	return out, nil
}

func lcmAll(v []int) int {
	l := 1
	for _, b := range v {
		l = lcm(l, b)
	}
	return l
}

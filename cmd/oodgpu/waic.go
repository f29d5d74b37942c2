package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// waicColumns are the columns of waic's CSV output.
var waicColumns = []string{"input", "waic", "score", "mean_log_lik", "sd_log_lik"}

func newWAICCmd() *cobra.Command {
	var (
		dev    deviceFlags
		models []string
		in     inputFlags
		format string
		run    int
		seed   uint64
	)
	cmd := &cobra.Command{
		Use:   "waic --models A,B,... [flags] INPUT...",
		Short: "WAIC of images under an ensemble of models (Choi et al. 2018): the mean log-likelihood minus its variance",
		Long: "Scores each image of the INPUTs (image files, folders, data set specs, as score reads them)\n" +
			"under every model of --models (at least 2, e.g. the same architecture trained with\n" +
			"different seeds; one image shape for all) and prints its WAIC: the mean over the models of\n" +
			"its log-likelihood in nats (the ELBO for a VAE, -L_t for a DDPM) minus their sample\n" +
			"variance, and score = -WAIC (higher is more OOD, the column `oodgpu auroc` ranks by\n" +
			"default). Each model runs forward only, on runs of --run images with dequantization noise\n" +
			"drawn from --seed, so every member sees the same noise.",
		Example: "  oodgpu waic --models s1.safetensors,s2.safetensors,s3.safetensors --format csv 'fashionmnist:test[:500]' > in.csv\n" +
			"  oodgpu waic --models s1.safetensors,s2.safetensors,s3.safetensors --format csv 'mnist:test[:500]' > mnist.csv\n" +
			"  oodgpu auroc in.csv mnist.csv",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(models) < 2 {
				return fmt.Errorf("waic: --models: %d given, want an ensemble of at least 2", len(models))
			}
			if format != "table" && format != "csv" {
				return fmt.Errorf("waic: --format %q: want table or csv", format)
			}
			if run < 1 {
				return fmt.Errorf("waic: --run %d: want at least 1 image", run)
			}
			members := make([]*scorer.Model, len(models))
			for k, path := range models {
				m, err := openModel(path)
				if err != nil {
					return fmt.Errorf("waic: %w", err)
				}
				if k > 0 && m.ImageShape() != members[0].ImageShape() {
					return fmt.Errorf("waic: %s takes %v images, %s takes %v", path, m.ImageShape(), models[0], members[0].ImageShape())
				}
				members[k] = m
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var names []string
			logLik := make([][]float64, len(members))
			for _, arg := range args {
				set, n, err := loadInput(cmd.Context(), arg, members[0].ImageShape(), in)
				if err != nil {
					return fmt.Errorf("waic: %s: %w", arg, err)
				}
				names = append(names, n...)
				for k, m := range members {
					ll, err := m.LogLikelihoods(cmd.Context(), exec, set, run, seed)
					if err != nil {
						return fmt.Errorf("waic: %s under %s: %w", arg, models[k], err)
					}
					logLik[k] = append(logLik[k], ll...)
				}
			}
			e, err := ood.NewEnsemble(logLik)
			if err != nil {
				return fmt.Errorf("waic: %w", err)
			}
			return writeWAIC(cmd, format, names, e)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&models, "models", nil, "the ensemble's weight files, comma-separated (at least 2)")
	fl.StringVar(&format, "format", "table", "output: table or csv")
	fl.IntVar(&run, "run", 50, "images per executor run")
	fl.Uint64Var(&seed, "seed", 1, "seed of the dequantization noise")
	dev.register(cmd)
	in.register(cmd)
	_ = cmd.MarkFlagRequired("models")
	return cmd
}

// writeWAIC writes one row per image: its WAIC, the score -WAIC, and the mean and standard
// deviation of its log-likelihood over the members.
func writeWAIC(cmd *cobra.Command, format string, names []string, e ood.Ensemble) error {
	w := cmd.OutOrStdout()
	var rec func([]string) error
	var flush func() error
	if format == "csv" {
		c := csv.NewWriter(w)
		rec, flush = c.Write, func() error { c.Flush(); return c.Error() }
	} else {
		t := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		rec = func(f []string) error { _, err := fmt.Fprintln(t, strings.Join(f, "\t")); return err }
		flush = t.Flush
	}
	header, f := waicColumns, scorer.FormatFloat
	if format == "table" {
		header = []string{"INPUT", "WAIC", "SCORE", "MEAN LOG-LIK", "SD LOG-LIK"}
		f = func(v float64) string {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return "null"
			}
			return fmt.Sprintf("%.6g", v)
		}
	}
	if err := rec(header); err != nil {
		return err
	}
	waic := e.WAIC()
	for i, name := range names {
		if err := rec([]string{name, f(waic[i]), f(-waic[i]), f(e.Mean[i]), f(math.Sqrt(e.Var[i]))}); err != nil {
			return err
		}
	}
	return flush()
}

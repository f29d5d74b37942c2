package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/ood"
)

// pValueColumn is the score CSV's column where lower means more OOD.
const pValueColumn = "p_value"

func newAUROCCmd() *cobra.Command {
	var (
		column string
		reps   int
		seed   uint64
	)
	cmd := &cobra.Command{
		Use:   "auroc IN.csv OOD.csv...",
		Short: "AUROC, with a bootstrap interval, of score CSVs: in-distribution images against each OOD set",
		Long: "Reads the CSV output of `oodgpu score --format csv` for in-distribution images (IN.csv) and\n" +
			"for each OOD set, and prints per OOD set the AUROC of --column (OOD the positive class; higher\n" +
			"means more OOD, except p_value, where lower does), its 95% percentile bootstrap interval over\n" +
			"--bootstrap resamples, and the share of in-distribution images flagged at 95% OOD recall\n" +
			"(FPR95). A null value (an invalid row) counts as maximally OOD.",
		Example: "  oodgpu score --format csv 'fashionmnist:test[:1000]' > in.csv\n" +
			"  oodgpu score --format csv 'mnist:test[:1000]' > mnist.csv\n" +
			"  oodgpu auroc in.csv mnist.csv\n  oodgpu auroc --column gradient_score in.csv mnist.csv",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reps < 2 {
				return fmt.Errorf("auroc: --bootstrap %d: want at least 2 resamples", reps)
			}
			in, err := readScoreColumn(args[0], column)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(w, "OOD SET\tIMAGES\tAUROC (%s)\t95%% INTERVAL\tFPR95\n", column)
			for _, path := range args[1:] {
				out, err := readScoreColumn(path, column)
				if err != nil {
					return err
				}
				m, err := ood.Evaluate(in, out)
				if err != nil {
					return fmt.Errorf("auroc: %s against %s: %w", path, args[0], err)
				}
				lo, hi, err := ood.AUROCInterval(in, out, 0.95, reps, seed)
				if err != nil {
					return fmt.Errorf("auroc: %s against %s: %w", path, args[0], err)
				}
				fmt.Fprintf(w, "%s\t%d\t%.4f\t[%.4f, %.4f]\t%.4f\n", path, len(out), m.AUROC, lo, hi, m.FPR95TPR)
			}
			fmt.Fprintf(w, "(against %d in-distribution rows of %s; %d bootstrap resamples, seed %d)\n", len(in), args[0], reps, seed)
			return w.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&column, "column", "score", "the CSV column to rank by: score, gradient_score, s_score, nll_bits_per_dim, typicality or p_value")
	fl.IntVar(&reps, "bootstrap", 1000, "bootstrap resamples for the 95% interval")
	fl.Uint64Var(&seed, "seed", 1, "seed of the bootstrap resampling")
	return cmd
}

// readScoreColumn reads column of the score CSV at path as OOD scores (higher is more OOD): null
// is +Inf, and p-values are negated.
func readScoreColumn(path, column string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auroc: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("auroc: %s: reading its header: %w", path, err)
	}
	col := slices.Index(header, column)
	if col < 0 {
		return nil, fmt.Errorf("auroc: %s has no column %q (columns: %v)", path, column, header)
	}
	var out []float64
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("auroc: %s: %w", path, err)
		}
		v := math.Inf(1)
		if s := rec[col]; s != "null" {
			if v, err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(v) {
				return nil, fmt.Errorf("auroc: %s, line %d: %s %q is not a number", path, line, column, s)
			}
			if column == pValueColumn {
				v = -v
			}
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("auroc: %s has no rows", path)
	}
	return out, nil
}

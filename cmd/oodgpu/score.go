package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

func newScoreCmd() *cobra.Command {
	var (
		dev       deviceFlags
		modelPath string
		dataDir   string
		format    string
		batch     int
		seed      uint64
	)
	cmd := &cobra.Command{
		Use:   "score [flags] INPUT...",
		Short: "Score images: NLL (bits/dim), gradient score, typicality, percentile and an OOD verdict",
		Long: "Each INPUT is an image file (PNG, JPEG, GIF), a folder of them, or a data set spec such as\n" +
			"mnist:test[:10]. With --batch B, consecutive groups of B images are scored together\n" +
			"(the paper's B = 5). Without --model the embedded default detector is used.",
		Example: "  oodgpu score examples/*.png\n  oodgpu score --batch 5 --format json 'mnist:test[:20]'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			det, err := m.Detector(batch)
			if err != nil {
				return err
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var rows []scorer.Row
			start := time.Now()
			for _, in := range args {
				set, names, err := loadInput(in, m.ImageShape(), dataDir)
				if err != nil {
					return err
				}
				if set.N%batch != 0 {
					return fmt.Errorf("score: %s has %d images, not a multiple of --batch %d", in, set.N, batch)
				}
				got, err := m.Score(cmd.Context(), exec, set, names, batch, seed, nil)
				if err != nil {
					return err
				}
				rows = append(rows, got...)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: %d results with %s (B=%d, fit on %s) on %s in %.1f s\n",
				len(rows), m.Name, batch, det.FitData, exec.Name(), time.Since(start).Seconds())
			return writeRows(cmd.OutOrStdout(), format, rows)
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file with a fitted detector (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.StringVar(&format, "format", "table", "output: table, csv or json")
	fl.IntVar(&batch, "batch", 1, "images scored together (the paper's B)")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed (scores are deterministic for a seed)")
	return cmd
}

// loadInput reads an image file, a folder or a data set spec, with a display name per image.
func loadInput(in string, shape data.Shape, dataDir string) (*data.Set, []string, error) {
	var set *data.Set
	var err error
	st, statErr := os.Stat(in)
	switch {
	case statErr == nil && st.IsDir():
		set, err = data.LoadImageDir(in, shape)
	case statErr == nil:
		set, err = data.LoadImageFile(in, shape)
	case strings.Contains(in, ":"):
		set, err = loadSet(in, dataDir)
	default:
		return nil, nil, fmt.Errorf("score: %s: no such file, folder or data set spec", in)
	}
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, set.N)
	for i := range names {
		names[i] = in
		if set.N > 1 {
			names[i] = fmt.Sprintf("%s#%d", in, i)
		}
	}
	return set, names, nil
}

func writeRows(w io.Writer, format string, rows []scorer.Row) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(scorer.JSONSafe(rows))
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"input", "nll_bits_per_dim", "gradient_score", "typicality", "percentile", "verdict", "invalid"})
		for _, r := range rows {
			_ = cw.Write([]string{r.Input, ftoa(r.NLL), ftoa(r.Score), ftoa(r.Typicality), ftoa(r.Percentile), r.Verdict, r.Invalid})
		}
		cw.Flush()
		return cw.Error()
	case "table":
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "INPUT\tNLL (bits/dim)\tGRADIENT SCORE\tTYPICALITY\tPERCENTILE\tVERDICT")
		for _, r := range rows {
			v := r.Verdict
			if r.Invalid != "" {
				v += " (" + r.Invalid + ")"
			}
			fmt.Fprintf(tw, "%s\t%.3f\t%.1f\t%.3f\t%.1f\t%s\n", r.Input, r.NLL, r.Score, r.Typicality, r.Percentile, v)
		}
		return tw.Flush()
	}
	return fmt.Errorf("score: --format %q: want table, csv or json", format)
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

// newBar is a progress bar on w for n items.
func newBar(w io.Writer, n int, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionThrottle(time.Second))
}

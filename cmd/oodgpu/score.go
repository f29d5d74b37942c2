package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

// scoreFormats are the output formats of score.
var scoreFormats = []string{"table", "csv", "json"}

// noiseImages is the number of images a noise:uniform spec without a range gives.
const noiseImages = 100

func newScoreCmd() *cobra.Command {
	var (
		dev       deviceFlags
		modelPath string
		in        inputFlags
		format    string
		batch     int
		seed      uint64
		alpha     float64
		resume    string
		progress  bool
	)
	cmd := &cobra.Command{
		Use:   "score [flags] INPUT...",
		Short: "Score images: NLL (bits/dim), gradient score, typicality, percentile and an OOD verdict",
		Long: "Each INPUT is an image file (PNG, JPEG, GIF), a folder of them, or a data set spec such as\n" +
			"mnist:test[:10]. With --batch B, consecutive groups of B images are scored together\n" +
			"(the paper's B = 5). Without --model the embedded default detector is used.\n" +
			"Every input is opened before the first image is scored (a folder listed, a data set\n" +
			"loaded), so a missing input or a count that is not a multiple of --batch stops the run at\n" +
			"once. Images are then decoded and scored in chunks of a few hundred, and each chunk's rows\n" +
			"are written (CSV and JSON flushed) before the next, so a folder of any size takes little\n" +
			"memory; the table is written at the end. An image file that cannot be decoded stops the\n" +
			"run with an error naming it, after the rows of the chunks before it. Ctrl-C (or SIGTERM)\n" +
			"stops the run at its next executor run, the rows written complete. Progress is drawn on\n" +
			"stderr when it is a terminal (--progress draws it anyway, --progress=false never).\n" +
			"--resume OUT.csv writes CSV rows to OUT.csv, creating it when missing: its rows are kept\n" +
			"(its header must be this CSV's), their inputs skipped (a row skips one group of its name,\n" +
			"so an input given twice keeps its two rows), a last line cut short by an interruption is\n" +
			"dropped, and the other rows are appended. Run the same command again after an\n" +
			"interruption, with the same --model, --batch, --seed and --alpha (the file does not record\n" +
			"them): each row is then in OUT.csv exactly once. JSON output cut short is an unterminated\n" +
			"array; it cannot be resumed.\n" +
			"An image's scores depend only on the image, the model and --seed, not on the images\n" +
			"scored with it. Non-finite values are null in JSON and CSV, and make the\n" +
			"verdict OOD with the reason in the invalid column.\n" +
			"Every row has a conformal p-value: the share of the detector's fit images (plus one) that\n" +
			"score at least as high. The verdict is OOD above the detector's threshold (95% of the fit\n" +
			"images pass), or with --alpha A where the p-value is at most A, which keeps false alarms on\n" +
			"in-distribution images at most A.",
		Example: "  oodgpu score examples/*.png\n  oodgpu score --batch 5 --format json 'mnist:test[:20]'\n" +
			"  oodgpu score --alpha 0.01 --format csv 'fashionmnist:test[:1000]'\n" +
			"  oodgpu score --resume scores.csv photos/",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(scoreFormats, format) {
				return fmt.Errorf("score: --format %q: want %s", format, strings.Join(scoreFormats, ", "))
			}
			if batch < 1 || batch > scorer.MaxGroupSize {
				return fmt.Errorf("score: --batch %d: want 1 to %d", batch, scorer.MaxGroupSize)
			}
			if _, err := in.limits(); err != nil {
				return fmt.Errorf("score: %w", err)
			}
			if cmd.Flags().Changed("alpha") && !(alpha > 0 && alpha < 1) {
				return fmt.Errorf("score: --alpha %g: want a false-alarm rate between 0 and 1", alpha)
			}
			if resume != "" {
				if cmd.Flags().Changed("format") && format != "csv" {
					return fmt.Errorf("score: --resume writes CSV, not --format %s", format)
				}
				format = "csv"
			}
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			det, err := m.Detector(batch)
			if err != nil {
				return err
			}
			inputs := make([]*scoreInput, 0, len(args))
			for _, arg := range args {
				src, err := openScoreInput(arg, m.ImageShape(), in)
				if err != nil {
					return err
				}
				if src.n%batch != 0 {
					return fmt.Errorf("score: %s has %d images, not a multiple of --batch %d", arg, src.n, batch)
				}
				inputs = append(inputs, src)
			}
			stderr := cmd.ErrOrStderr()
			w := cmd.OutOrStdout()
			var (
				res  *resumeCSV
				done map[string]int
			)
			if resume != "" {
				if res, err = openResume(resume); err != nil {
					return fmt.Errorf("score: %w", err)
				}
				defer res.f.Close()
				w, done = res.f, res.done
			}
			spans, todo, unmatched := planScores(inputs, batch, done)
			if res != nil {
				fmt.Fprintf(stderr, "oodgpu: %s holds %d rows; %d images left to score\n", resume, res.rows, todo)
				if unmatched > 0 {
					fmt.Fprintf(stderr, "oodgpu: %d rows of %s are not rows of these inputs (kept)\n", unmatched, resume)
				}
			}
			exec, err := dev.executor(stderr)
			if err != nil {
				return err
			}
			// Ctrl-C or a SIGTERM stops the run between executor runs, the rows written complete.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := newRowWriter(w, format)
			if res != nil && res.header {
				out.csv = csv.NewWriter(w) // the header is there: rows follow it
			}
			var bar *progressbar.ProgressBar
			if todo > 0 && showProgress(stderr, cmd.Flags().Changed("progress"), progress) {
				bar = newBar(stderr, todo, "scoring")
			}
			start, n, scored := time.Now(), 0, 0
			err = streamChunks(spans, max(batch, scoreChunk/batch*batch), func(set *data.Set, names []string) error {
				var onRun func(int)
				if bar != nil {
					onRun = func(k int) { _ = bar.Set(scored + k) }
				}
				rows, err := m.Score(ctx, exec, set, names, batch, seed, onRun)
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("alpha") {
					scorer.ApplyAlpha(rows, alpha)
				}
				if err := out.write(rows); err != nil {
					return err
				}
				if res != nil {
					if err := res.f.Sync(); err != nil {
						return fmt.Errorf("score: --resume %s: %w", resume, err)
					}
				}
				n, scored = n+len(rows), scored+set.N
				return nil
			})
			if bar != nil {
				if err == nil {
					_ = bar.Finish()
				}
				fmt.Fprintln(stderr)
			}
			if err != nil {
				_ = out.close()
				if ctx.Err() != nil {
					err = fmt.Errorf("interrupted: %w", ctx.Err())
				}
				if res != nil {
					return fmt.Errorf("%w (%s holds %d rows; the same command continues it)", err, resume, res.rows+n)
				}
				return fmt.Errorf("%w (the %d rows before it were written)", err, n)
			}
			if err := out.close(); err != nil {
				return err
			}
			kept := ""
			if res != nil {
				if err := res.f.Close(); err != nil {
					return fmt.Errorf("score: --resume %s: %w", resume, err)
				}
				kept = fmt.Sprintf(" (and %d kept in %s)", res.rows, resume)
			}
			fmt.Fprintf(stderr, "oodgpu: %d results%s with %s (B=%d, fit on %s) on %s in %.1f s\n",
				n, kept, m.Name, batch, det.FitData, exec.Name(), time.Since(start).Seconds())
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file with a fitted detector (default: the embedded FashionMNIST Glow)")
	in.register(cmd)
	fl.StringVar(&format, "format", "table", "output: "+strings.Join(scoreFormats, ", "))
	fl.IntVar(&batch, "batch", 1, "images scored together (the paper's B)")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed (scores are deterministic for a seed)")
	fl.Float64Var(&alpha, "alpha", 0.05, "with this flag, the verdict is OOD where the conformal p-value is at most this false-alarm rate (default: the detector's threshold)")
	fl.StringVar(&resume, "resume", "", "write CSV rows to this file, keeping the rows it holds and scoring only the inputs it has no row for")
	fl.BoolVar(&progress, "progress", false, "draw a progress bar on stderr (default: when stderr is a terminal)")
	return cmd
}

// inputFlags say where inputs are found and how much decoding an image may take.
type inputFlags struct {
	dataDir    string
	maxImageMB int
}

func (f *inputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	registerMaxImageMB(cmd, &f.maxImageMB)
}

// limits are the decoding limits the flags ask for.
func (f *inputFlags) limits() (data.DecodeLimits, error) { return decodeLimits(f.maxImageMB) }

// registerMaxImageMB adds the --max-image-mb flag of the commands that decode image files.
func registerMaxImageMB(cmd *cobra.Command, mb *int) {
	cmd.Flags().IntVar(mb, "max-image-mb", data.DefaultMaxPixelBytes>>20,
		"memory one image may take to decode, in MB, computed from its header before decoding (a 24-megapixel photo needs about 200)")
}

// decodeLimits are the decoding limits of --max-image-mb mb.
func decodeLimits(mb int) (data.DecodeLimits, error) {
	if mb < 1 || mb > 1<<14 {
		return data.DecodeLimits{}, fmt.Errorf("--max-image-mb %d: want 1 to %d", mb, 1<<14)
	}
	return data.DecodeLimits{MaxPixelBytes: int64(mb) << 20}, nil
}

// loadInput reads an image file, a folder or a data set spec, with images brought to shape as
// DecodeImage does (for image files, folders, file: and dir: specs; data sets keep their own
// shape and are padded by the model), and a display name per image: the file's path for images
// of a folder, SPEC#i for the i-th image of a spec. noise:uniform draws images of shape (100
// without a range; noise:uniform[:N] gives N).
func loadInput(ctx context.Context, in string, shape data.Shape, f inputFlags) (*data.Set, []string, error) {
	lim, err := f.limits()
	if err != nil {
		return nil, nil, err
	}
	st, statErr := os.Stat(in)
	var set *data.Set
	switch {
	case statErr == nil && st.IsDir():
		set, err = lim.LoadImageDir(ctx, in, shape)
	case statErr == nil:
		set, err = lim.LoadImageFile(in, shape)
	case strings.Contains(in, ":"):
		set, err = loadSpec(in, shape, f.dataDir, lim)
	default:
		return nil, nil, fmt.Errorf("%s: no such file, folder or data set spec", in)
	}
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, set.N)
	for i := range names {
		names[i] = imageName(in, set.Files, set.N, i)
	}
	return set, names, nil
}

// loadSpec loads a data set spec for scoring, with image files brought to shape and noise drawn
// in it.
func loadSpec(spec string, shape data.Shape, dataDir string, lim data.DecodeLimits) (*data.Set, error) {
	sp, err := data.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	n := noiseImages
	if sp.Ranged && sp.End > 0 {
		n = sp.End
	}
	return data.Load(sp, data.Options{DataDir: dataDir, Shape: shape, N: n, Seed: 1, Limits: lim})
}

// rowWriter writes score rows in one of scoreFormats as they come (CSV and JSON chunk by chunk,
// the table when it is closed), so that rows already scored are kept when a later chunk fails;
// close ends the output.
type rowWriter struct {
	format string
	w      io.Writer
	csv    *csv.Writer
	table  *tabwriter.Writer
	rows   int
}

func newRowWriter(w io.Writer, format string) *rowWriter {
	return &rowWriter{format: format, w: w}
}

func (rw *rowWriter) write(rows []scorer.Row) error {
	for _, r := range rows {
		if err := rw.writeRow(r); err != nil {
			return fmt.Errorf("score: writing %s: %w", rw.format, err)
		}
		rw.rows++
	}
	if rw.csv != nil {
		rw.csv.Flush()
		return rw.csv.Error()
	}
	return nil
}

func (rw *rowWriter) writeRow(r scorer.Row) error {
	switch rw.format {
	case "json":
		b, err := json.MarshalIndent(r, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if rw.rows == 0 {
			sep = "[\n  "
		}
		_, err = fmt.Fprintf(rw.w, "%s%s", sep, b)
		return err
	case "csv":
		if rw.csv == nil {
			rw.csv = csv.NewWriter(rw.w)
			if err := rw.csv.Write(scorer.CSVColumns); err != nil {
				return err
			}
		}
		return rw.csv.Write(r.CSVRecord())
	default:
		if rw.table == nil {
			rw.table = tabwriter.NewWriter(rw.w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(rw.table, "INPUT\tNLL (bits/dim)\tSCORE\tGRADIENT SCORE\tS-SCORE\tTYPICALITY\tPERCENTILE\tP-VALUE\tVERDICT")
		}
		v := r.Verdict
		if r.Invalid != "" {
			v += " (" + r.Invalid + ")"
		}
		sScore := "-" // the detector has no S-score
		if !math.IsNaN(r.SScore) {
			sScore = fmt.Sprintf("%.3f", r.SScore)
		}
		_, err := fmt.Fprintf(rw.table, "%s\t%.3f\t%.2f\t%.1f\t%s\t%.3f\t%.1f\t%.4f\t%s\n", r.Input, r.NLL, r.Score, r.GradientScore, sScore,
			r.Typicality, r.Percentile, r.PValue, v)
		return err
	}
}

// close ends the output: the table is aligned and written (its columns need every row), the
// JSON array closed (an empty one when there were no rows).
func (rw *rowWriter) close() error {
	if rw.table != nil {
		return rw.table.Flush()
	}
	if rw.format != "json" {
		return nil
	}
	end := "\n]\n"
	if rw.rows == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(rw.w, end)
	return err
}

// showProgress says whether score draws its progress bar on w: as --progress says when it is
// given (set), else when w is a terminal.
func showProgress(w io.Writer, set, progress bool) bool {
	if set {
		return progress
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newBar is a progress bar on w for n items.
func newBar(w io.Writer, n int, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionThrottle(time.Second))
}

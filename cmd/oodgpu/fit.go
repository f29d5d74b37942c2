package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/complexity"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/ood/ocsvm"
	"github.com/oodgpu/oodgpu/scorer"
)

func newFitCmd() *cobra.Command {
	var (
		dev            deviceFlags
		modelPath, out string
		spec, dataDir  string
		batches        string
		recall, nu     float64
		seed           uint64
		half           bool
		detector       string
		compressor     string
	)
	cmd := &cobra.Command{
		Use:   "fit",
		Short: "Fit the OOD detector (Gaussian or one-class SVM on log gradient features) on held-out in-distribution data",
		Long: "Fits a detector per batch size B on the features of held-out in-distribution images and stores\n" +
			"them in the weight file. --detector gaussian (the paper's) scores by the negative log-density of a\n" +
			"diagonal Gaussian over the log features; --detector ocsvm (the paper's Table 6) by minus the\n" +
			"decision value of a one-class SVM (RBF kernel, gamma by scikit-learn's \"scale\" rule, nu from\n" +
			"--nu) on the log features of the layers the Gaussian keeps. --complexity brotli (or png) makes a\n" +
			"combined detector: its score joins that gradient score with the S-score NLL - L of Serra et al.\n" +
			"(2020), L the image's losslessly compressed length in bits/dim, by Fisher's method on their\n" +
			"conformal p-values against the fit images'. Either way the verdict's threshold keeps --recall of\n" +
			"the fit images.",
		Example: "  oodgpu fit --model glow-fashionmnist.safetensors --data 'fashionmnist:test[:1000]' --batch 1,5\n" +
			"  oodgpu fit --model glow-fashionmnist.safetensors --complexity brotli --out glow-combined.safetensors\n" +
			"  oodgpu fit --model glow-fashionmnist.safetensors --detector ocsvm --out glow-ocsvm.safetensors",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Every flag and the output path are checked before features are computed.
			groups, err := scorer.ParseGroupSizes(batches)
			if err != nil {
				return fmt.Errorf("fit: --batch %w", err)
			}
			if !(recall > 0 && recall < 1) {
				return fmt.Errorf("fit: --recall %g: want a share strictly between 0 and 1", recall)
			}
			if err := checkDetectorFlags(detector, nu); err != nil {
				return fmt.Errorf("fit: %w", err)
			}
			var compress *complexity.Compressor
			if compressor != noComplexity {
				c, err := complexity.Parse(compressor)
				if err != nil {
					return fmt.Errorf("fit: --complexity: %w", err)
				}
				compress = &c
			}
			if out == "" {
				out = modelPath
			}
			if err := weights.CheckSavePath(out); err != nil {
				return fmt.Errorf("fit: --out: %w", err)
			}
			f, err := weights.Load(modelPath)
			if err != nil {
				return err
			}
			if half {
				// Round first, so that the detectors describe the weights as stored.
				if err := f.RoundToHalf(); err != nil {
					return fmt.Errorf("fit --half: %w", err)
				}
			}
			m, err := scorer.FromFile(modelPath, f)
			if err != nil {
				return err
			}
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			n := set.N / scorer.LCM(groups) * scorer.LCM(groups)
			if n < 2*scorer.LCM(groups) {
				return fmt.Errorf("fit: %s has %d images, too few for batch sizes %v", spec, set.N, groups)
			}
			if rows := n / slices.Min(groups); detector == ood.ModelOCSVM && rows > ocsvm.MaxRows {
				return fmt.Errorf("fit: --detector ocsvm fits at most %d rows (its kernel matrix is held in memory); "+
					"%d images give %d at B = %d: use fewer images", ocsvm.MaxRows, n, rows, slices.Min(groups))
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ex := m.Extractor(exec, set, groups, scorer.ChunkFor(groups, n), seed)
			bar := newBar(cmd.ErrOrStderr(), n, "features")
			feats, err := ex.Run(cmd.Context(), n, func(done int) { _ = bar.Set(done) })
			_ = bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			o := ood.FitOptions{Recall: recall, FitData: fmt.Sprintf("%s (%d images)", spec, n), Seed: seed, Model: detector, Nu: nu}
			if compress != nil {
				l, err := complexity.All(*compress, set)
				if err != nil {
					return fmt.Errorf("fit: %w", err)
				}
				o.Complexity, o.Compressor = l[:n], compress.String()
			}
			var ds []*ood.Detector
			for _, b := range groups {
				d, err := ood.FitWith(cmd.Context(), feats, b, o)
				if err != nil {
					return err
				}
				ds = append(ds, d)
				fmt.Fprintf(cmd.OutOrStdout(), "B=%d: %d rows, %d of %d layers kept, H = %.4f %s, threshold %.4g at %.0f%% recall\n",
					b, d.FitRows, len(d.Gaussian.Keep), len(d.Gaussian.Layers), d.Typicality.H, unitOf(m.Net), d.Threshold, 100*recall)
				if c := d.Complexity; c != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "  combined with the S-score (%s): fit S-scores from %.4g to %.4g %s\n",
						c.Compressor, c.SFitScores[0], c.SFitScores[len(c.SFitScores)-1], unitOf(m.Net))
				}
				if svm := d.OCSVM; svm != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "  one-class SVM: nu %.4g, gamma %.4g (scale rule), %d support vectors of %d rows, %d iterations\n",
						svm.Nu, svm.Gamma, svm.NumSV(), svm.Rows, svm.Iterations)
				}
				for _, why := range d.Gaussian.Dropped {
					fmt.Fprintf(cmd.OutOrStdout(), "  dropped %s\n", why)
				}
			}
			if err := m.SetDetectors(ds); err != nil {
				return err
			}
			if err := weights.Save(out, m.File); err != nil {
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
	registerDetectorFlags(cmd, &detector, &nu)
	fl.StringVar(&compressor, "complexity", noComplexity, "join the S-score of this compressor's input complexity to the gradient score: brotli, png or none")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed")
	fl.BoolVar(&half, "half", false, "store the weights as float16 (half the file size); the detectors are fit on the rounded weights")
	_ = cmd.MarkFlagRequired("model")
	return cmd
}

// noComplexity is fit's --complexity for a detector without the S-score.
const noComplexity = "none"

// registerDetectorFlags adds fit's and bench's choice of score model: --detector and --nu.
func registerDetectorFlags(cmd *cobra.Command, detector *string, nu *float64) {
	fl := cmd.Flags()
	fl.StringVar(detector, "detector", ood.ModelGaussian, "score model: gaussian (diagonal Gaussian over the log features) or ocsvm (one-class SVM on them, RBF kernel)")
	fl.Float64Var(nu, "nu", 0, "the one-class SVM's nu, its target share of fit images outside (default: 1 - the recall)")
}

// checkDetectorFlags checks --detector and --nu.
func checkDetectorFlags(detector string, nu float64) error {
	switch {
	case detector != ood.ModelGaussian && detector != ood.ModelOCSVM:
		return fmt.Errorf("--detector %q: want %s or %s", detector, ood.ModelGaussian, ood.ModelOCSVM)
	case !(nu >= 0 && nu <= 1):
		return fmt.Errorf("--nu %g: want a share in (0, 1] (0: 1 - the recall)", nu)
	case nu != 0 && detector != ood.ModelOCSVM:
		return fmt.Errorf("--nu applies to --detector %s", ood.ModelOCSVM)
	}
	return nil
}

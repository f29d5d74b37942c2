package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/complexity"
	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/ood/ocsvm"
	"github.com/oodgpu/oodgpu/scorer"
)

func newBenchCmd() *cobra.Command {
	var (
		dev                     deviceFlags
		modelPath, in, oodSpecs string
		dataDir                 string
		fitN, n                 int
		batches                 string
		seed                    uint64
		mdPath, csvPath, figDir string
		perfN, ddpmStep, draws  int
		bootstrap               int
		detector                string
		nu                      float64
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark OOD detection: AUROC tables (gradient, typicality, NLL, Fisher) and ROC figures",
		Long: "The paper's protocol, seeded: the in-distribution test set is shuffled, the first --fit-n\n" +
			"images fit the detector, the next --n are scored against --n images of each OOD set.",
		Example: "  oodgpu bench --ood mnist:test,omniglot,omniglot:inverted,noise:uniform --md results.md",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			if err := m.SetDDPMStep(ddpmStep); err != nil {
				return err
			}
			groups, err := scorer.ParseGroupSizes(batches)
			if err != nil {
				return fmt.Errorf("bench: --batch %w", err)
			}
			if err := checkDetectorFlags(detector, nu); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			if rows := fitN / slices.Min(groups); detector == ood.ModelOCSVM && rows > ocsvm.MaxRows {
				return fmt.Errorf("bench: --detector ocsvm fits at most %d rows; --fit-n %d gives %d at B = %d", ocsvm.MaxRows, fitN, rows, slices.Min(groups))
			}
			if draws < 1 {
				return fmt.Errorf("bench: --draws %d: want at least 1", draws)
			}
			l := scorer.LCM(groups)
			if fitN%l != 0 || n%l != 0 {
				return fmt.Errorf("bench: --fit-n and --n must be multiples of every batch size")
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			shape := m.ImageShape()
			inSet, err := loadSet(in, dataDir)
			if err != nil {
				return err
			}
			if inSet.N < fitN+n {
				return fmt.Errorf("bench: %s has %d images, fewer than --fit-n + --n = %d", in, inSet.N, fitN+n)
			}
			perm := rand.New(rand.NewPCG(seed, 1)).Perm(inSet.N)
			sets := []*data.Set{subset(inSet, perm[:fitN]), subset(inSet, perm[fitN:fitN+n])}
			names := []string{"fit", in}
			for _, spec := range strings.Split(oodSpecs, ",") {
				s, err := loadBenchSet(spec, dataDir, shape, n, seed)
				if err != nil {
					return err
				}
				if s.N < n {
					return fmt.Errorf("bench: %s has %d images, fewer than --n %d", spec, s.N, n)
				}
				sets = append(sets, subset(s, rand.New(rand.NewPCG(seed, 2)).Perm(s.N)[:n]))
				names = append(names, spec)
			}
			total := 0
			for _, s := range sets {
				total += s.N
			}
			bar := newBar(cmd.ErrOrStderr(), total*draws, "features")
			done := 0
			start := time.Now()
			feats := make([]*ood.Features, len(sets))
			for i, s := range sets {
				perDraw := make([]*ood.Features, draws)
				for k := range perDraw {
					base := done
					// Draw 0's seed is the one the single-draw protocol has always used.
					ex := m.Extractor(exec, s, groups, scorer.ChunkFor(groups, s.N), seed+uint64(i)+uint64(k)<<32)
					// The bench protocol that produced docs/RESULTS.md and docs/tables draws the
					// noise per chunk, from (seed + set, chunk): kept so that its tables reproduce.
					// score and fit key it by each image's content instead.
					ex.ImageKey = nil
					f, err := ex.Run(cmd.Context(), s.N, func(k int) { _ = bar.Set(base + k) })
					if err != nil {
						return err
					}
					perDraw[k] = f
					done += s.N
				}
				f, err := ood.MeanFeatures(perDraw...)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				feats[i] = f
			}
			_ = bar.Finish()
			elapsed := time.Since(start)
			fmt.Fprintf(cmd.ErrOrStderr(), "\noodgpu: features of %d images (B = %v, %d dequantization draws) in %.0f s on %s: %.1f images/s\n",
				total, groups, draws, elapsed.Seconds(), exec.Name(), float64(total*draws)/elapsed.Seconds())
			train := m.Meta.TrainingData
			switch net := m.Net.(type) {
			case models.DDPM:
				train = fmt.Sprintf("ddpm (t = %d), %s", net.Step, train)
			case models.VAE:
				train = "vae, " + train
			case models.PixelCNN:
				train = "pixelcnn, " + train
			}
			if detector == ood.ModelOCSVM {
				train += " (one-class SVM)"
			}
			// Each image's input complexity, by each compressor, for the S-scores.
			complexities := map[string][][]float64{}
			for method, c := range map[string]complexity.Compressor{ood.MethodSPNG: complexity.PNG, ood.MethodSBrotli: complexity.Brotli} {
				for _, s := range sets {
					l, err := complexity.All(c, s)
					if err != nil {
						return fmt.Errorf("bench: %w", err)
					}
					complexities[method] = append(complexities[method], l)
				}
			}
			// sScores adds set i's S-scores at group size b to scores.
			sScores := func(scores map[string][]float64, i, b int) error {
				for method, ls := range complexities {
					s, err := ood.SScores(feats[i].NLL, ls[i], b)
					if err != nil {
						return err
					}
					scores[method] = s
				}
				return nil
			}
			// The detector joins the gradient score and the brotli S-score (ood.MethodCombined).
			brotli := complexities[ood.MethodSBrotli]
			tab := &ood.Table{}
			rocs := map[int][]rocCurve{}
			var notes []string
			countInvalid := func(set string, b int, scores []float64) {
				bad := 0
				for _, v := range scores {
					if math.IsInf(v, 1) {
						bad++
					}
				}
				if bad > 0 {
					notes = append(notes, fmt.Sprintf("%s, B=%d: %d of %d rows had NaN or infinite gradient features and score as OOD", set, b, bad, len(scores)))
				}
			}
			for _, b := range groups {
				d, err := ood.FitWith(cmd.Context(), feats[0], b, ood.FitOptions{Recall: 0.95, FitData: names[0], Seed: seed,
					Model: detector, Nu: nu, Complexity: brotli[0], Compressor: complexity.Brotli.String()})
				if err != nil {
					return err
				}
				inScores := ood.MethodScores(d, feats[1], b, brotli[1])
				if err := sScores(inScores, 1, b); err != nil {
					return err
				}
				countInvalid(names[1], b, inScores[ood.MethodGradient])
				for i := 2; i < len(sets); i++ {
					outScores := ood.MethodScores(d, feats[i], b, brotli[i])
					if err := sScores(outScores, i, b); err != nil {
						return err
					}
					countInvalid(names[i], b, outScores[ood.MethodGradient])
					for _, method := range ood.Methods {
						met, err := ood.Evaluate(inScores[method], outScores[method])
						if err != nil {
							return fmt.Errorf("bench: %s, %s, B=%d: %w", names[i], method, b, err)
						}
						cell := ood.Cell{Train: train, Test: names[i], Method: method, B: b, Metrics: met}
						if bootstrap > 0 {
							lo, hi, err := ood.AUROCInterval(inScores[method], outScores[method], 0.95, bootstrap, seed)
							if err != nil {
								return fmt.Errorf("bench: %s, %s, B=%d: %w", names[i], method, b, err)
							}
							cell.Interval = &ood.Interval{Low: lo, High: hi}
						}
						tab.Cells = append(tab.Cells, cell)
						if method == ood.MethodGradient || method == ood.MethodNLL {
							rocs[b] = append(rocs[b], rocCurve{label: fmt.Sprintf("%s, %s", names[i], method),
								in: inScores[method], out: outScores[method]})
						}
					}
				}
			}
			report := func(w io.Writer) error {
				fmt.Fprintf(w, "AUROC, trained on %s; %d fit images of %s, %d images per test set, seed %d, %s.\n\n",
					train, fitN, in, n, seed, exec.Name())
				if bootstrap > 0 {
					fmt.Fprintf(w, "In brackets: the 95%% percentile bootstrap interval of each AUROC (%d resamples of both sets).\n\n", bootstrap)
				}
				if draws > 1 {
					fmt.Fprintf(w, "Each image's gradient features and NLL are the mean over %d dequantization draws.\n\n", draws)
				}
				if detector == ood.ModelOCSVM {
					fmt.Fprintf(w, "The gradient score is a one-class SVM's (RBF kernel, gamma by the scale rule, nu %g) on the log features.\n\n",
						cmp.Or(nu, 0.05))
				}
				if err := tab.Markdown(w); err != nil {
					return err
				}
				for _, note := range notes {
					fmt.Fprintf(w, "\nNote: %s.\n", note)
				}
				if perfN > 0 {
					return perfReport(cmd.Context(), w, m, exec, sets[1], min(perfN, n), seed)
				}
				return nil
			}
			if mdPath == "" {
				if err := report(cmd.OutOrStdout()); err != nil {
					return err
				}
			} else if err := writeFile(mdPath, report); err != nil {
				return err
			}
			if err := writeFile(csvPath, tab.CSV); err != nil {
				return err
			}
			if figDir != "" {
				if err := os.MkdirAll(figDir, 0o755); err != nil {
					return err
				}
				for _, b := range groups {
					path := filepath.Join(figDir, fmt.Sprintf("roc-B%d.png", b))
					if err := plotROCs(path, fmt.Sprintf("ROC curves, B = %d (OOD positive; trained on %s)", b, train), rocs[b]); err != nil {
						return err
					}
				}
				hists := map[string][]float64{in: feats[1].NLL}
				order := []string{in}
				for i := 2; i < len(sets); i++ {
					hists[names[i]] = feats[i].NLL
					order = append(order, names[i])
				}
				if err := plotHistograms(filepath.Join(figDir, "nll-histograms.png"), order, hists); err != nil {
					return err
				}
			}
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&in, "in", "fashionmnist:test", "in-distribution test set (fit and evaluation images come from it)")
	fl.StringVar(&oodSpecs, "ood", "mnist:test,omniglot,omniglot:inverted,noise:uniform", "OOD test sets, comma-separated")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.IntVar(&fitN, "fit-n", 1000, "images that fit the detector")
	fl.IntVar(&n, "n", 1000, "images of each test set")
	fl.StringVar(&batches, "batch", "1,5", "batch sizes B")
	fl.Uint64Var(&seed, "seed", 1, "seed of the splits and the dequantization")
	fl.IntVar(&draws, "draws", 1, "dequantization draws per image: each image's features and NLL are the mean over this many noise draws")
	fl.IntVar(&bootstrap, "bootstrap", 1000, "bootstrap resamples for each AUROC's 95% interval (0: no intervals)")
	fl.StringVar(&mdPath, "md", "", "write the Markdown report to this file instead of standard output")
	fl.StringVar(&csvPath, "csv", "", "write every metric as CSV to this file")
	fl.StringVar(&figDir, "figures", "", "write ROC curves and NLL histograms (PNG) into this folder")
	fl.IntVar(&ddpmStep, "ddpm-t", 1, "the diffusion step t at which a DDPM is scored (L_t)")
	registerDetectorFlags(cmd, &detector, &nu)
	fl.IntVar(&perfN, "perf", 0, "also time per-sample features on N images against PyTorch (python3-torch) on this machine")
	return cmd
}

// loadBenchSet loads an OOD set; noise sets are drawn in the model's image shape.
func loadBenchSet(spec, dataDir string, shape data.Shape, n int, seed uint64) (*data.Set, error) {
	sp, err := data.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return data.Load(sp, data.Options{DataDir: dataDir, N: n, Shape: shape, Seed: seed})
}

// subset copies images idx of s into a new set.
func subset(s *data.Set, idx []int) *data.Set {
	size := s.Shape.Size()
	out := &data.Set{Name: s.Name, N: len(idx), Shape: s.Shape, Pix: make([]uint8, len(idx)*size)}
	for i, k := range idx {
		copy(out.Pix[i*size:(i+1)*size], s.Pix[k*size:(k+1)*size])
	}
	return out
}

// writeFile writes path with write, when path is not empty.
func writeFile(path string, write func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

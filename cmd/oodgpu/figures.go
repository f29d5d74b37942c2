package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

func newFiguresCmd() *cobra.Command {
	var (
		dev                   deviceFlags
		modelPath, in, oodSet string
		dataDir, out          string
		fisherN, window       int
		seed                  uint64
	)
	cmd := &cobra.Command{
		Use:     "figures",
		Short:   "Draw the paper's Figures 4 to 6 for a model: layer features in vs OOD, Fisher window, correlation by layer distance",
		Example: "  oodgpu figures --in 'fashionmnist:test[:500]' --ood 'mnist:test[:500]' --out docs/figures",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			feats := map[string]*ood.Features{}
			for _, spec := range []string{in, oodSet} {
				set, err := loadSet(spec, dataDir)
				if err != nil {
					return err
				}
				f, err := m.Extractor(exec, set, []int{1}, scorer.ChunkFor([]int{1}, set.N), seed).Run(cmd.Context(), set.N, nil)
				if err != nil {
					return err
				}
				feats[spec] = f
			}
			gauss, err := ood.FitGaussian(feats[in].Layers, feats[in].Rows[1])
			if err != nil {
				return err
			}
			// Figure 4: the two most discriminative layers with at least window parameters (so that
			// they also give Figure 5 its window), histograms and scatter.
			var pair []int
			for _, p := range gauss.MostDiscriminative(feats[in].Rows[1], feats[oodSet].Rows[1], len(gauss.Keep)) {
				if len(m.Params[gauss.Layers[gauss.Keep[p]]].Data) >= window && len(pair) < 2 {
					pair = append(pair, p)
				}
			}
			if len(pair) < 2 {
				return fmt.Errorf("figures: fewer than two layers with %d parameters", window)
			}
			names := []string{gauss.Layers[gauss.Keep[pair[0]]], gauss.Layers[gauss.Keep[pair[1]]]}
			li, lo := gauss.LogRows(feats[in].Rows[1]), gauss.LogRows(feats[oodSet].Rows[1])
			if err := plotFeatures(filepath.Join(out, "fig4-layer-features.png"), names, pair, in, oodSet, li, lo); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "figure 4: log features of %s and %s\n", names[0], names[1])
			// Figure 5: a window of the empirical Fisher matrix of those two layers.
			set, err := loadSet(in, dataDir)
			if err != nil {
				return err
			}
			grads, err := perSampleGradients(cmd.Context(), m, exec, set, names, min(fisherN, set.N), window, seed)
			if err != nil {
				return err
			}
			norm, ratio := ood.FisherWindow(grads)
			if err := plotMatrix(filepath.Join(out, "fig5-fisher-window.png"),
				fmt.Sprintf("normalized empirical Fisher, %d+%d coordinates (diagonal/off-diagonal %.1f)", window, window, ratio), norm); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "figure 5: mean |diagonal| / mean |off-diagonal| of the Fisher window = %.2f (%d images)\n", ratio, len(grads))
			// Figure 6: correlation of log features by layer distance.
			corr := ood.CorrelationByDistance(li)
			if err := plotCorrelation(filepath.Join(out, "fig6-correlation-by-distance.png"), corr); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "figure 6: mean |correlation| %.3f at distance 1, %.3f at distance %d\n", corr[0], corr[len(corr)-1], len(corr))
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "weight file (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&in, "in", "fashionmnist:test[:500]", "in-distribution images")
	fl.StringVar(&oodSet, "ood", "mnist:test[:500]", "out-of-distribution images")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.StringVar(&out, "out", "figures", "output folder")
	fl.IntVar(&fisherN, "fisher-n", 200, "images for the empirical Fisher window")
	fl.IntVar(&window, "window", 12, "coordinates of each layer in the Fisher window")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed")
	return cmd
}

// perSampleGradients returns, for n images, the gradient of each image's log-likelihood with
// respect to each named layer, restricted to the layer's first window coordinates that are not
// identically zero (an LU factor's masked entries are), concatenated.
func perSampleGradients(ctx context.Context, m *scorer.Model, exec graph.Executor, set *data.Set, names []string,
	n, window int, seed uint64) ([][]float64, error) {
	g := graph.New()
	obj, err := m.Net.Build(g, 1)
	if err != nil {
		return nil, err
	}
	params, err := g.ParamsByName(names...)
	if err != nil {
		return nil, err
	}
	grads, err := g.Grad(g.Sum(obj.LogLik), params)
	if err != nil {
		return nil, err
	}
	p, err := graph.Compile(g, grads...)
	if err != nil {
		return nil, err
	}
	defer exec.Forget(p)
	r := rand.New(rand.NewPCG(seed, 5))
	var full [][][]float32 // image, layer, coordinate
	for i := 0; i < n; i++ {
		feeds, err := m.Net.Inputs(set, []int{i}, r)
		if err != nil {
			return nil, err
		}
		maps.Copy(feeds, m.Params)
		out, err := exec.Run(ctx, p, feeds)
		if err != nil {
			return nil, err
		}
		img := make([][]float32, len(out))
		for k, t := range out {
			img[k] = t.Data
		}
		full = append(full, img)
	}
	rows := make([][]float64, n)
	for k := range names {
		picked := 0
		for c := 0; c < len(full[0][k]) && picked < window; c++ {
			nonzero := false
			for i := range full {
				nonzero = nonzero || full[i][k][c] != 0
			}
			if !nonzero {
				continue
			}
			for i := range full {
				rows[i] = append(rows[i], float64(full[i][k][c]))
			}
			picked++
		}
	}
	return rows, nil
}

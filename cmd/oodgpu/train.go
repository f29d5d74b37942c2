package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/train"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/scorer"
)

// trainingRecord is stored in a trained model's metadata (key oodgpu.training).
type trainingRecord struct {
	Command         string  `json:"command"`
	Data            string  `json:"data"`
	Images          int     `json:"images"`
	Batch           int     `json:"batch"`
	Epochs          float64 `json:"epochs"`
	LR              float64 `json:"lr"`
	Cosine          bool    `json:"cosine_decay,omitempty"`
	InitFrom        string  `json:"init_from,omitempty"`
	Seed            uint64  `json:"seed"`
	Steps           int     `json:"steps_this_run"`
	Seconds         float64 `json:"seconds_this_run"`
	ImagesPerSec    float64 `json:"images_per_second"`
	Executor        string  `json:"executor"`
	TrainBitsPerDim float64 `json:"train_bits_per_dim_last_steps"`
	TestData        string  `json:"test_data,omitempty"`
	TestBitsPerDim  float64 `json:"test_bits_per_dim,omitempty"`
	Machine         string  `json:"machine"`
}

const trainingKey = "oodgpu.training"

func newTrainCmd() *cobra.Command {
	var (
		dev                         deviceFlags
		kind, spec, test, out, ckpt string
		initFrom                    string
		dataDir                     string
		cfg                         = glow.Default()
		opt                         = train.Options{Batch: 64, Epochs: 1, LR: 1e-3, Warmup: 200, ClipNorm: 100, Seed: 1, CheckpointEvery: 100, LogEvery: 50}
		initBatch, testN            int
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a generative model (Glow) and write its weight file",
		Example: "  oodgpu train --model glow --data fashionmnist:train --epochs 2 --out glow-fashionmnist.safetensors\n" +
			"  oodgpu train ... --resume   # continue from the checkpoint after an interruption",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind != "glow" {
				return fmt.Errorf("train: --model %q: only glow is available", kind)
			}
			if out == "" {
				return fmt.Errorf("train: --out is required")
			}
			if ckpt == "" {
				ckpt = out + ".ckpt"
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: training on %s\n", exec.Name())
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			var start *scorer.Model
			if initFrom != "" {
				if start, err = scorer.Load(initFrom); err != nil {
					return fmt.Errorf("train: --init-from: %w", err)
				}
				cfg = start.Config
			}
			cfg.Channels, cfg.ImageSize = set.Shape.C, set.Shape.H
			if start != nil && (cfg != start.Config) {
				return fmt.Errorf("train: --init-from %s was trained on %dx%dx%d images, %s has %dx%dx%d",
					initFrom, start.Config.Channels, start.Config.ImageSize, start.Config.ImageSize, spec, set.Shape.C, set.Shape.H, set.Shape.W)
			}
			if set.Shape.H != set.Shape.W || set.Shape.H > cfg.Size {
				return fmt.Errorf("train: %s has %dx%d images; the model needs square images of at most --size %d",
					spec, set.Shape.H, set.Shape.W, cfg.Size)
			}
			shape := data.Shape{H: cfg.Size, W: cfg.Size, C: cfg.Channels}
			inputs := func(s *data.Set) func(idx []int, r *rand.Rand) (graph.Feeds, error) {
				return func(idx []int, r *rand.Rand) (graph.Feeds, error) {
					x, err := s.NCHW(idx, shape, nil)
					if err != nil {
						return nil, err
					}
					cfg.Dequantize(x, r)
					return graph.Feeds{"x": &graph.Tensor{Shape: graph.Shape{len(idx), cfg.Channels, cfg.Size, cfg.Size}, Data: x}}, nil
				}
			}
			build := func(g *graph.Graph, batch int) (*graph.Node, error) {
				net, err := glow.Build(g, cfg, batch)
				if err != nil {
					return nil, err
				}
				return net.BitsPerDim, nil
			}
			raw, err := cfg.MarshalConfig()
			if err != nil {
				return err
			}
			opt.Meta = weights.Meta{Kind: "glow", Config: raw, TrainingData: spec}
			opt.Checkpoint = ckpt
			opt.Progress = cmd.ErrOrStderr()
			opt.Log = cmd.OutOrStdout()
			params, err := glow.InitParams(cfg, opt.Seed)
			if err != nil {
				return err
			}
			if start != nil {
				params = start.Params
			} else if _, statErr := os.Stat(ckpt); !opt.Resume || statErr != nil {
				idx := rand.New(rand.NewPCG(opt.Seed, 99)).Perm(set.N)[:min(initBatch, set.N)]
				feeds, err := inputs(set)(idx, rand.New(rand.NewPCG(opt.Seed, 98)))
				if err != nil {
					return err
				}
				if err := glow.DataInit(ctx, exec, cfg, params, feeds["x"]); err != nil {
					return err
				}
			}
			res, err := train.Run(ctx, exec, train.Task{Build: build, Inputs: inputs(set), N: set.N}, params, opt)
			if err != nil {
				return err
			}
			rec := trainingRecord{Command: "oodgpu " + strings.Join(os.Args[1:], " "), Data: spec, Images: set.N,
				Batch: opt.Batch, Epochs: opt.Epochs, LR: opt.LR, Cosine: opt.Cosine, InitFrom: baseName(initFrom), Seed: opt.Seed, Steps: res.Steps,
				Seconds: res.Elapsed.Seconds(), ImagesPerSec: res.ImagesPerSec, Executor: exec.Name(),
				TrainBitsPerDim: res.LastLoss, Machine: fmt.Sprintf("%s/%s, %d threads", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))}
			if test != "" {
				ts, err := loadSet(test, dataDir)
				if err != nil {
					return err
				}
				n := ts.N
				if testN > 0 {
					n = min(n, testN)
				}
				start := time.Now()
				bpd, err := train.Evaluate(ctx, exec, build, inputs(ts), n, 100, params, opt.Seed)
				if err != nil {
					return err
				}
				rec.TestData, rec.TestBitsPerDim = fmt.Sprintf("%s (%d images)", test, n), bpd
				fmt.Fprintf(cmd.OutOrStdout(), "test %s: %.4f bits/dim over %d images (%.0f s)\n", test, bpd, n, time.Since(start).Seconds())
			}
			f, err := weights.FromFeeds(glowGraph(cfg), params)
			if err != nil {
				return err
			}
			if err := f.SetMeta(opt.Meta); err != nil {
				return err
			}
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			f.Metadata[trainingKey] = string(b)
			if err := weights.Save(out, f); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d steps, %.1f img/s, last %.4f bits/dim\n", out, res.Steps, res.ImagesPerSec, res.LastLoss)
			return nil
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&kind, "model", "glow", "model kind")
	fl.StringVar(&spec, "data", "fashionmnist:train", "training data set spec")
	fl.StringVar(&test, "test", "", "data set to report test bits/dim on at the end (e.g. fashionmnist:test)")
	fl.IntVar(&testN, "test-n", 0, "evaluate on the first N test images only (0: all)")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.StringVar(&out, "out", "", "weight file to write (safetensors)")
	fl.StringVar(&ckpt, "checkpoint", "", "checkpoint file (default OUT.ckpt)")
	fl.IntVar(&opt.CheckpointEvery, "checkpoint-every", opt.CheckpointEvery, "steps between checkpoints")
	fl.BoolVar(&opt.Resume, "resume", false, "continue from the checkpoint if it exists")
	fl.IntVar(&cfg.Levels, "levels", cfg.Levels, "Glow levels")
	fl.IntVar(&cfg.Steps, "steps", cfg.Steps, "flow steps per level")
	fl.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "coupling network width")
	fl.IntVar(&cfg.Size, "size", cfg.Size, "input height and width (images are padded to it)")
	fl.IntVar(&opt.Batch, "batch", opt.Batch, "batch size")
	fl.Float64Var(&opt.Epochs, "epochs", opt.Epochs, "epochs (fractions allowed)")
	fl.IntVar(&opt.MaxSteps, "train-steps", 0, "train exactly this many optimizer steps instead of --epochs")
	fl.Float64Var(&opt.LR, "lr", opt.LR, "Adam learning rate")
	fl.IntVar(&opt.Warmup, "warmup", opt.Warmup, "learning-rate warm-up steps")
	fl.BoolVar(&opt.Cosine, "cosine", false, "decay the learning rate to zero along a half cosine after warm-up")
	fl.StringVar(&initFrom, "init-from", "", "start from this Glow weight file (its architecture) instead of a fresh initialization")
	fl.Float64Var(&opt.ClipNorm, "clip", opt.ClipNorm, "clip the global gradient norm (0: off)")
	fl.Uint64Var(&opt.Seed, "seed", opt.Seed, "seed of initialization, batch order and dequantization")
	fl.IntVar(&initBatch, "init-batch", 256, "images for the data-dependent ActNorm initialization")
	fl.IntVar(&opt.LogEvery, "log-every", opt.LogEvery, "steps between log lines")
	return cmd
}

// glowGraph builds a batch-1 Glow graph, to name and shape its parameters.
func glowGraph(cfg glow.Config) *graph.Graph {
	g := graph.New()
	_, _ = glow.Build(g, cfg, 1)
	return g
}

// loadSet parses and loads a data set spec.
func loadSet(spec, dataDir string) (*data.Set, error) {
	sp, err := data.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return data.Load(sp, data.Options{DataDir: dataDir})
}

// baseName is the file name of path, or "" for none; training records keep no directories.
func baseName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}

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
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/models/ddpm"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/pixelcnn"
	"github.com/oodgpu/oodgpu/models/train"
	"github.com/oodgpu/oodgpu/models/vae"
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
	EMA             float64 `json:"ema_decay,omitempty"`
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
		arch                        archFlags
		opt                         = train.Options{Batch: 64, Epochs: 1, LR: 1e-3, Warmup: 200, ClipNorm: 100, Seed: 1, CheckpointEvery: 100, LogEvery: 50}
		initBatch, testN            int
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a generative model (Glow, VAE, DDPM or PixelCNN++) and write its weight file",
		Example: "  oodgpu train --model glow --data fashionmnist:train --epochs 2 --out glow-fashionmnist.safetensors\n" +
			"  oodgpu train --model vae --data fashionmnist:train --epochs 1 --out vae-fashionmnist.safetensors\n" +
			"  oodgpu train --model pixelcnn --data fashionmnist:train --test fashionmnist:test --out pixelcnn-fashionmnist.safetensors\n" +
			"  oodgpu train ... --resume   # continue from the checkpoint after an interruption",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("train: --out is required")
			}
			if ckpt == "" {
				ckpt = out + ".ckpt"
			}
			// Every flag is checked before the data is loaded and the first step runs.
			if err := opt.Validate(); err != nil {
				return err
			}
			if testN < 0 || initBatch < 1 {
				return fmt.Errorf("train: --test-n %d, --init-batch %d: want 0 or more, 1 or more", testN, initBatch)
			}
			if initFrom == "" {
				// The largest image the data can give (colour, --size square; PixelCNN++ models
				// grey images only): the model's size limits.
				channels := 3
				if kind == "pixelcnn" {
					channels = 1
				}
				if _, err := arch.model(kind, data.Shape{H: arch.size, W: arch.size, C: channels}); err != nil {
					return fmt.Errorf("train: %w", err)
				}
			}
			for _, p := range []string{out, ckpt} {
				if err := weights.CheckSavePath(p); err != nil {
					return fmt.Errorf("train: %w", err)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: training on %s\n", exec.Name())
			var initModel *scorer.Model
			if initFrom != "" {
				if initModel, err = scorer.Load(initFrom); err != nil {
					return fmt.Errorf("train: --init-from: %w", err)
				}
			}
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			if set.Shape.H != set.Shape.W || set.Shape.H > arch.size {
				return fmt.Errorf("train: %s has %dx%d images; the model needs square images of at most --size %d",
					spec, set.Shape.H, set.Shape.W, arch.size)
			}
			var net models.Model
			var params graph.Feeds
			if initModel != nil {
				if got := initModel.ImageShape(); got != set.Shape {
					return fmt.Errorf("train: --init-from %s was trained on %dx%dx%d images, %s has %dx%dx%d",
						initFrom, got.C, got.H, got.W, spec, set.Shape.C, set.Shape.H, set.Shape.W)
				}
				net, params = initModel.Net, initModel.Params
			} else {
				if net, err = arch.model(kind, set.Shape); err != nil {
					return fmt.Errorf("train: %w", err)
				}
				if params, err = net.InitParams(opt.Seed); err != nil {
					return err
				}
			}
			build := func(g *graph.Graph, batch int) (*graph.Node, error) {
				obj, err := net.Build(g, batch)
				return obj.NLL, err
			}
			raw, err := net.Config()
			if err != nil {
				return err
			}
			opt.Meta = weights.Meta{Kind: net.Kind(), Config: raw, TrainingData: spec}
			opt.Checkpoint = ckpt
			opt.Progress = cmd.ErrOrStderr()
			opt.Log = cmd.OutOrStdout()
			opt.Unit = unitOf(net)
			if g, ok := net.(models.Glow); ok && initFrom == "" {
				if _, statErr := os.Stat(ckpt); !opt.Resume || statErr != nil {
					idx := rand.New(rand.NewPCG(opt.Seed, 99)).Perm(set.N)[:min(initBatch, set.N)]
					feeds, err := net.Inputs(set, idx, rand.New(rand.NewPCG(opt.Seed, 98)))
					if err != nil {
						return err
					}
					if err := glow.DataInit(ctx, exec, g.Cfg, params, feeds["x"]); err != nil {
						return err
					}
				}
			}
			trainInputs := func(idx []int, r *rand.Rand) (graph.Feeds, error) { return net.TrainInputs(set, idx, r) }
			res, err := train.Run(ctx, exec, train.Task{Build: build, Inputs: trainInputs, N: set.N}, params, opt)
			if err != nil {
				return err
			}
			rec := trainingRecord{Command: "oodgpu " + strings.Join(os.Args[1:], " "), Data: spec, Images: set.N,
				Batch: opt.Batch, Epochs: opt.Epochs, LR: opt.LR, Cosine: opt.Cosine, EMA: opt.EMA, InitFrom: baseName(initFrom), Seed: opt.Seed, Steps: res.Steps,
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
				testInputs := func(idx []int, r *rand.Rand) (graph.Feeds, error) { return net.Inputs(ts, idx, r) }
				bpd, err := train.Evaluate(ctx, exec, build, testInputs, n, 100, params, opt.Seed)
				if err != nil {
					return err
				}
				rec.TestData, rec.TestBitsPerDim = fmt.Sprintf("%s (%d images)", test, n), bpd
				fmt.Fprintf(cmd.OutOrStdout(), "test %s: %.4f %s over %d images (%.0f s)\n", test, bpd, unitOf(net), n, time.Since(start).Seconds())
			}
			g := graph.New()
			if _, err := net.Build(g, 1); err != nil {
				return err
			}
			f, err := weights.FromFeeds(g, params)
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
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d steps, %.1f img/s, last %.4f %s\n", out, res.Steps, res.ImagesPerSec, res.LastLoss, unitOf(net))
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
	arch.register(cmd)
	fl.IntVar(&opt.Batch, "batch", opt.Batch, "batch size")
	fl.Float64Var(&opt.Epochs, "epochs", opt.Epochs, "epochs (fractions allowed)")
	fl.IntVar(&opt.MaxSteps, "train-steps", 0, "train exactly this many optimizer steps instead of --epochs")
	fl.Float64Var(&opt.LR, "lr", opt.LR, "Adam learning rate")
	fl.IntVar(&opt.Warmup, "warmup", opt.Warmup, "learning-rate warm-up steps")
	fl.BoolVar(&opt.Cosine, "cosine", false, "decay the learning rate to zero along a half cosine after warm-up")
	fl.StringVar(&initFrom, "init-from", "", "start from this weight file (its model kind and architecture) instead of a fresh initialization")
	fl.Float64Var(&opt.ClipNorm, "clip", opt.ClipNorm, "clip the global gradient norm (0: off)")
	fl.Float64Var(&opt.EMA, "ema", 0, "keep a moving average of the weights with this decay (e.g. 0.999) and write it instead of the last weights (0: off)")
	fl.Uint64Var(&opt.Seed, "seed", opt.Seed, "seed of initialization, batch order and dequantization")
	fl.IntVar(&initBatch, "init-batch", 256, "images for the data-dependent ActNorm initialization")
	fl.IntVar(&opt.LogEvery, "log-every", opt.LogEvery, "steps between log lines")
	return cmd
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

// archFlags size a new model; zero means the kind's default.
type archFlags struct {
	size, hidden, levels, steps, latent int
	blocks, mixtures                    int
	attention, pixelScales              bool
}

func (a *archFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&a.size, "size", 32, "input height and width (images are padded to it)")
	fl.IntVar(&a.hidden, "hidden", 0, "width: Glow coupling networks (default 128), VAE first convolution (32), DDPM base channels (32), PixelCNN++ filters (32)")
	fl.IntVar(&a.levels, "levels", 3, "Glow levels")
	fl.IntVar(&a.steps, "steps", 8, "Glow flow steps per level")
	fl.IntVar(&a.latent, "latent", 32, "VAE latent dimensions")
	fl.BoolVar(&a.attention, "attention", true, "DDPM self-attention at the lowest resolution")
	fl.BoolVar(&a.pixelScales, "pixel-scales", true, "VAE decoder: a logistic scale per pixel (false: one per channel, as the CIFAR-10 VAE of the model zoo)")
	fl.IntVar(&a.blocks, "blocks", 0, "PixelCNN++ gated residual blocks per stream and level (default 2)")
	fl.IntVar(&a.mixtures, "mixtures", 0, "PixelCNN++ logistic mixture components (default 5)")
}

// model makes a new model of kind for images of shape.
func (a *archFlags) model(kind string, shape data.Shape) (models.Model, error) {
	width := func(def int) int {
		if a.hidden > 0 {
			return a.hidden
		}
		return def
	}
	switch kind {
	case "glow":
		cfg := glow.Default()
		cfg.Levels, cfg.Steps, cfg.Hidden, cfg.Size = a.levels, a.steps, width(cfg.Hidden), a.size
		cfg.Channels, cfg.ImageSize = shape.C, shape.H
		return models.Glow{Cfg: cfg}, cfg.Validate()
	case "vae":
		cfg := vae.Default()
		cfg.Hidden, cfg.Latent, cfg.Size, cfg.PixelScales = width(cfg.Hidden), a.latent, a.size, a.pixelScales
		cfg.Channels, cfg.ImageSize = shape.C, shape.H
		return models.VAE{Cfg: cfg}, cfg.Validate()
	case "ddpm":
		cfg := ddpm.Default()
		cfg.Base, cfg.Size, cfg.Attention = width(cfg.Base), a.size, a.attention
		cfg.Channels, cfg.ImageSize = shape.C, shape.H
		return models.DDPM{Cfg: cfg, Step: 1}, cfg.Validate()
	case "pixelcnn":
		cfg := pixelcnn.Default()
		cfg.Filters, cfg.Size = width(cfg.Filters), a.size
		if a.blocks > 0 {
			cfg.Blocks = a.blocks
		}
		if a.mixtures > 0 {
			cfg.Mixtures = a.mixtures
		}
		cfg.Channels, cfg.ImageSize = shape.C, shape.H
		return models.PixelCNN{Cfg: cfg}, cfg.Validate()
	}
	return nil, fmt.Errorf("--model %q: want one of %v", kind, models.Kinds)
}

// unitOf names the unit of a model's NLL column.
func unitOf(m models.Model) string {
	if m.Kind() == "ddpm" {
		return "L_t per dimension"
	}
	return "bits/dim"
}

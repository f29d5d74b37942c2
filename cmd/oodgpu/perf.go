package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/train"
	"github.com/oodgpu/oodgpu/scorer"
	"github.com/oodgpu/oodgpu/scripts"
)

// torchPerf is the JSON line of glow_parity.py --perf.
type torchPerf struct {
	Torch   string   `json:"torch"`
	Device  string   `json:"device"`
	Threads int      `json:"threads"`
	Loop    float64  `json:"loop_images_per_second"`
	Vmap    *float64 `json:"vmap_images_per_second"`
}

// perfReport times per-sample (B = 1) features of n images: ours, then the PyTorch oracle's
// per-image loop and vmap on the same model, images and machine. It writes a Markdown section.
func perfReport(ctx context.Context, w io.Writer, m *scorer.Model, exec graph.Executor, set *data.Set, n int, seed uint64) error {
	cfg, err := m.Glow("bench --perf (the PyTorch oracle re-implements Glow)")
	if err != nil {
		return err
	}
	ex := m.Extractor(exec, set, []int{1}, scorer.ChunkFor([]int{1}, n), seed)
	start := time.Now()
	if _, err := ex.Run(ctx, n, nil); err != nil {
		return err
	}
	ours := float64(n) / time.Since(start).Seconds()

	dir, err := os.MkdirTemp("", "oodgpu-perf")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	feeds, err := ex.Inputs(idx, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	script, err := writeOracle(dir, cfg, m.Params, feeds["x"])
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n### Per-sample feature throughput (B = 1, %d images)\n\n", n)
	fmt.Fprintf(w, "| implementation | images/s | ours / it |\n|---|---|---|\n")
	fmt.Fprintf(w, "| oodgpu, %s | %.1f | 1.00 |\n", exec.Name(), ours)
	if err := torchMissing(); err != nil {
		fmt.Fprintf(w, "\nNo PyTorch rows: %v.\n", err)
		return nil
	}
	out, err := exec_(pythonPath(), script, "--perf", fmt.Sprint(n), dir)
	if err != nil {
		return fmt.Errorf("bench --perf: PyTorch oracle (%s with torch): %v\n%s", pythonPath(), err, out)
	}
	var tp torchPerf
	if err := json.Unmarshal(out, &tp); err != nil {
		return fmt.Errorf("bench --perf: oracle printed %q: %w", out, err)
	}
	where := torchWhere(tp.Device, tp.Threads)
	fmt.Fprintf(w, "| PyTorch %s per-image loop, %s | %.1f | %.2f |\n", tp.Torch, where, tp.Loop, ours/tp.Loop)
	if tp.Vmap != nil {
		fmt.Fprintf(w, "| PyTorch %s vmap, %s | %.1f | %.2f |\n", tp.Torch, where, *tp.Vmap, ours / *tp.Vmap)
	} else {
		fmt.Fprintf(w, "| PyTorch %s vmap | n/a (no torch.func in this torch) | - |\n", tp.Torch)
	}
	return nil
}

// python is Debian's python3, the interpreter the PyTorch oracle runs under unless $OODGPU_PYTHON
// names another (a virtual environment's, with a CUDA build of torch).
const python = "/usr/bin/python3"

// pythonPath is $OODGPU_PYTHON, else python.
func pythonPath() string {
	if p := os.Getenv("OODGPU_PYTHON"); p != "" {
		return p
	}
	return python
}

// torchMissing says why the PyTorch oracle cannot run here, or returns nil when the interpreter imports torch.
func torchMissing() error {
	py := pythonPath()
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		return fmt.Errorf("%s cannot import torch (apt-get install python3-torch, or set OODGPU_PYTHON to a python with torch): %v", py, err)
	}
	return nil
}

// torchWhere names where the PyTorch oracle ran: its thread count on the CPU, else its device
// (as glow_parity.py describes it, e.g. "cuda:0 (NVIDIA H100 80GB HBM3)").
func torchWhere(device string, threads int) string {
	if device == "" || device == "cpu" {
		return fmt.Sprintf("%d threads", threads)
	}
	return device
}

// writeOracle writes the model and the images x into dir for glow_parity.py, and the script with
// its helpers beside them; it returns the script's path.
func writeOracle(dir string, cfg glow.Config, params graph.Feeds, x *graph.Tensor) (string, error) {
	if err := glow.WriteOracleDir(dir, cfg, params, x, nil); err != nil {
		return "", err
	}
	script := filepath.Join(dir, "glow_parity.py")
	if err := os.WriteFile(script, scripts.GlowParity, 0o644); err != nil {
		return "", fmt.Errorf("perf: writing the PyTorch oracle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oracle.py"), scripts.Oracle, 0o644); err != nil {
		return "", fmt.Errorf("perf: writing the PyTorch oracle: %w", err)
	}
	return script, nil
}

// exec_ runs a command and returns its standard output. Its standard error goes to ours, and
// when it fails, its last line (a Python exception's message) comes with the error.
func exec_(name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
		if msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
	}
	return out, err
}

func newPerfCmd() *cobra.Command {
	var (
		dev       deviceFlags
		modelPath string
		spec      string
		dataDir   string
		seed      uint64
		withTrain bool
		kernels   bool
		profile   string
		topt      = trainOptions{batch: 64, steps: 5, lr: 1e-3}
	)
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Time per-sample (B = 1) features, and with --train a training step, against PyTorch on this machine",
		Long: "Times oodgpu's per-sample gradient features on the images of --data, then the PyTorch oracle's\n" +
			"per-image loop (one backward pass and one host read per parameter tensor, the paper's way) and,\n" +
			"where the installed torch has torch.func, vmap, on the same Glow, images and machine.\n" +
			"With --train, then times --steps training steps (after one warm-up step) at --batch on the first\n" +
			"images of --data: mean bits/dim, its gradient and an Adam step, ours and PyTorch's from the same\n" +
			"weights and inputs. Needs python3 with torch (Debian: python3-torch) for the PyTorch rows;\n" +
			"without it, prints ours and says why.\n\n" +
			"Environment: OODGPU_PYTHON is the interpreter of the PyTorch rows (default /usr/bin/python3;\n" +
			"e.g. a virtual environment's python with a CUDA build of torch); OODGPU_TORCH_DEVICE is the torch\n" +
			"device they run on (default cpu, on all cores; cuda or cuda:N runs them on that GPU in full fp32,\n" +
			"TF32 off). scripts/gpubench.sh runs this command against CUDA on an NVIDIA machine.",
		Example: "  oodgpu perf --device cpu --data 'fashionmnist:test[:100]'\n" +
			"  oodgpu perf --device gpu --kernels --data 'fashionmnist:test[:10]'\n" +
			"  oodgpu perf --device cpu --train --batch 64 --steps 5",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if withTrain {
				if err := topt.validate(); err != nil {
					return err
				}
			}
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer stop()
			}
			if kernels {
				if err := kernelReport(cmd.Context(), cmd.OutOrStdout(), m, exec, set, seed); err != nil {
					return err
				}
			}
			if err := perfReport(cmd.Context(), cmd.OutOrStdout(), m, exec, set, set.N, seed); err != nil || !withTrain {
				return err
			}
			return trainReport(cmd.Context(), cmd.OutOrStdout(), m, exec, set, topt, seed)
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "Glow weight file (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&spec, "data", "fashionmnist:test[:100]", "images to time")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed")
	fl.BoolVar(&withTrain, "train", false, "also time training steps against PyTorch")
	fl.BoolVar(&kernels, "kernels", false, "first time each WebGPU kernel of one image's features (with --device gpu)")
	fl.IntVar(&topt.batch, "batch", topt.batch, "training batch size (with --train)")
	fl.IntVar(&topt.steps, "steps", topt.steps, "timed training steps, after one warm-up step (with --train)")
	fl.Float64Var(&topt.lr, "lr", topt.lr, "Adam learning rate (with --train)")
	fl.StringVar(&profile, "cpuprofile", "", "write a Go CPU profile of the run to this file (`go tool pprof`; PyTorch runs in another process)")
	return cmd
}

// startCPUProfile writes a Go CPU profile to path until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("perf: --cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("perf: --cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// trainOptions choose what perf --train times.
type trainOptions struct {
	batch, steps int
	lr           float64
}

// validate checks the options before any work is done.
func (o trainOptions) validate() error {
	switch {
	case o.batch < 1 || o.batch > train.MaxBatch:
		return fmt.Errorf("perf: --batch %d: want 1 to %d", o.batch, train.MaxBatch)
	case o.steps < 1 || o.steps > maxPerfSteps:
		return fmt.Errorf("perf: --steps %d: want 1 to %d", o.steps, maxPerfSteps)
	case !(o.lr > 0 && o.lr <= 1):
		return fmt.Errorf("perf: --lr %g: want above 0 and at most 1", o.lr)
	}
	return nil
}

// maxPerfSteps bounds perf --train --steps: a timing, not a training run.
const maxPerfSteps = 100000

// torchTrainPerf is the JSON line of glow_parity.py --train-perf.
type torchTrainPerf struct {
	Torch    string  `json:"torch"`
	Device   string  `json:"device"`
	Threads  int     `json:"threads"`
	Rate     float64 `json:"images_per_second"`
	LastLoss string  `json:"last_loss_bits_per_dim"` // Python's repr of a float: inf and nan included
}

// trainTiming is one implementation's training throughput and its loss at the last timed step.
type trainTiming struct {
	rate, lastLoss float64
}

// trainReport times o.steps training steps (after one warm-up step) of m at batch o.batch on the
// first o.batch images of set: ours on exec, then PyTorch from the same weights and inputs. It
// writes a Markdown section; without torch it gives ours and says why PyTorch's row is missing.
func trainReport(ctx context.Context, w io.Writer, m *scorer.Model, exec graph.Executor, set *data.Set, o trainOptions, seed uint64) error {
	cfg, err := m.Glow("perf --train (the PyTorch oracle re-implements Glow)")
	if err != nil {
		return err
	}
	if set.N < o.batch {
		return fmt.Errorf("perf --train: --batch %d needs at least that many images; the data has %d", o.batch, set.N)
	}
	idx := make([]int, o.batch)
	for i := range idx {
		idx[i] = i
	}
	feeds, err := m.Net.TrainInputs(set, idx, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "oodgpu-perf-train")
	if err != nil {
		return fmt.Errorf("perf --train: %w", err)
	}
	defer os.RemoveAll(dir)
	// The oracle gets the starting weights; our steps then train a copy of them.
	script, err := writeOracle(dir, cfg, m.Params, feeds["x"])
	if err != nil {
		return err
	}
	ours, err := timeTraining(ctx, exec, m.Net, cloneFeeds(m.Params), feeds, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n### Training step throughput (batch %d, %d steps after one warm-up step, Adam lr %g)\n\n", o.batch, o.steps, o.lr)
	fmt.Fprintf(w, "| implementation | images/s | ours / it | last step's loss (bits/dim) |\n|---|---|---|---|\n")
	fmt.Fprintf(w, "| oodgpu, %s | %.1f | 1.00 | %.5f |\n", exec.Name(), ours.rate, ours.lastLoss)
	if err := torchMissing(); err != nil {
		fmt.Fprintf(w, "\nNo PyTorch row: %v.\n", err)
		return nil
	}
	out, err := exec_(pythonPath(), script, "--train-perf", fmt.Sprint(o.batch), fmt.Sprint(o.steps), fmt.Sprint(o.lr), dir)
	if err != nil {
		return fmt.Errorf("perf --train: PyTorch oracle (%s with torch): %v\n%s", pythonPath(), err, out)
	}
	var tp torchTrainPerf
	if err := json.Unmarshal(out, &tp); err != nil {
		return fmt.Errorf("perf --train: oracle printed %q: %w", out, err)
	}
	loss, err := strconv.ParseFloat(tp.LastLoss, 64)
	if err != nil {
		return fmt.Errorf("perf --train: oracle's loss %q: %w", tp.LastLoss, err)
	}
	fmt.Fprintf(w, "| PyTorch %s, %s | %.1f | %.2f | %.5f |\n", tp.Torch, torchWhere(tp.Device, tp.Threads), tp.Rate, ours.rate/tp.Rate, loss)
	return nil
}

// timeTraining runs one warm-up step and then o.steps timed steps of net on feeds: the mean
// objective, its gradient and an Adam update of params, as models/train does (without clipping).
func timeTraining(ctx context.Context, exec graph.Executor, net models.Model, params, feeds graph.Feeds, o trainOptions) (trainTiming, error) {
	g := graph.New()
	obj, err := net.Build(g, o.batch)
	if err != nil {
		return trainTiming{}, err
	}
	loss := g.Mean(obj.NLL)
	grads, err := g.Grad(loss, g.Params())
	if err != nil {
		return trainTiming{}, fmt.Errorf("perf --train: %w", err)
	}
	plan, err := graph.Compile(g, append([]*graph.Node{loss}, grads...)...)
	if err != nil {
		return trainTiming{}, fmt.Errorf("perf --train: %w", err)
	}
	defer exec.Forget(plan)
	run := make(graph.Feeds, len(feeds)+len(params))
	maps.Copy(run, feeds)
	maps.Copy(run, params)
	adam := train.NewAdam()
	out := graph.NewOutputs(plan)
	named := make(map[string]*graph.Tensor, len(grads))
	for j, p := range g.Params() {
		named[p.LeafName()] = out[1+j]
	}
	step := func() (float64, error) {
		if err := graph.RunInto(ctx, exec, plan, run, out); err != nil {
			return 0, fmt.Errorf("perf --train: %w", err)
		}
		return float64(out[0].Data[0]), adam.Update(params, named, o.lr)
	}
	if _, err := step(); err != nil {
		return trainTiming{}, err
	}
	var t trainTiming
	start := time.Now()
	for range o.steps {
		if t.lastLoss, err = step(); err != nil {
			return trainTiming{}, err
		}
	}
	t.rate = float64(o.batch*o.steps) / time.Since(start).Seconds()
	return t, nil
}

// cloneFeeds copies every tensor of f, so that training the copy leaves f as it was.
func cloneFeeds(f graph.Feeds) graph.Feeds {
	c := make(graph.Feeds, len(f))
	for name, t := range f {
		c[name] = &graph.Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
	}
	return c
}

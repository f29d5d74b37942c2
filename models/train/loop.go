package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/weights"
)

// Task is what the loop needs to know about a model and its data.
type Task struct {
	// Build makes the training graph for a batch: per-image objective in bits per dimension [B]
	// (lower is better); the loop minimizes its mean.
	Build func(g *graph.Graph, batch int) (*graph.Node, error)
	// Inputs returns the input feeds for images idx of the training set, drawing any noise
	// (dequantization) from r.
	Inputs func(idx []int, r *rand.Rand) (graph.Feeds, error)
	// N is the number of training images.
	N int
}

// Options control a training run.
type Options struct {
	Batch    int
	Epochs   float64
	MaxSteps int // when > 0, train exactly this many steps instead of Epochs
	LR       float64
	Warmup   int // steps of linear learning-rate warm-up
	// Cosine decays the learning rate after warm-up to zero at the last step along a half
	// cosine, so that the final parameters do not sit on a spike of a constant-rate run.
	Cosine   bool
	ClipNorm float64 // clip the global gradient norm to this (0: no clipping)
	// EMA, when above 0, keeps an exponential moving average of the parameters with this decay
	// (Polyak averaging; 0.999 averages over about the last thousand steps), warmed up as
	// min(EMA, (1 + step) / (10 + step)) so that early parameters fade fast, and returns the
	// average as the trained parameters. Checkpoints hold both.
	EMA  float64
	Seed uint64
	// Checkpoint is the path of the checkpoint file, written every CheckpointEvery steps and at
	// the end; empty means none. Resume continues from it when it exists.
	Checkpoint      string
	CheckpointEvery int
	Resume          bool
	Meta            weights.Meta // stored in checkpoints
	Progress        io.Writer    // progress bar (nil: none)
	Log             io.Writer    // one line every LogEvery steps (nil: none)
	LogEvery        int
	// Unit names the objective in the progress bar and log ("bits/dim" when empty).
	Unit string
}

// Result summarizes a run.
type Result struct {
	Steps        int
	Images       int
	LastLoss     float64 // mean objective over the last LogEvery steps
	Elapsed      time.Duration
	ImagesPerSec float64
}

// progressState is stored in checkpoints under this metadata key.
const progressKey = "oodgpu.train"

type progress struct {
	Step int    `json:"step"`
	Seed uint64 `json:"seed"`
}

// Limits of Options: a batch is one executor run, and step counts stay far from overflow.
const (
	MaxBatch  = 4096
	MaxEpochs = 1e6
	MaxSteps  = 1 << 40
)

// Validate checks the options before any work is done: a batch of 1 to MaxBatch images, epochs
// (finite, 0 to MaxEpochs) or steps (0 to MaxSteps) that make a positive count, a finite positive
// learning rate, non-negative warm-up, a finite non-negative clipping norm, and non-negative
// checkpoint and log intervals.
func (o Options) Validate() error {
	switch {
	case o.Batch < 1 || o.Batch > MaxBatch:
		return fmt.Errorf("train: batch %d: want 1 to %d", o.Batch, MaxBatch)
	case !(o.Epochs >= 0 && o.Epochs <= MaxEpochs):
		return fmt.Errorf("train: epochs %g: want 0 to %g", o.Epochs, float64(MaxEpochs))
	case o.MaxSteps < 0 || o.MaxSteps > MaxSteps:
		return fmt.Errorf("train: steps %d: want 0 to %d", o.MaxSteps, int64(MaxSteps))
	case o.Epochs == 0 && o.MaxSteps == 0:
		return errors.New("train: neither epochs nor steps to train")
	case !(o.LR > 0 && o.LR <= 1):
		return fmt.Errorf("train: learning rate %g: want above 0 and at most 1", o.LR)
	case o.Warmup < 0:
		return fmt.Errorf("train: warm-up %d steps: want 0 or more", o.Warmup)
	case !(o.ClipNorm >= 0 && !math.IsInf(o.ClipNorm, 1)):
		return fmt.Errorf("train: clipping norm %g: want 0 (off) or a finite positive norm", o.ClipNorm)
	case !(o.EMA >= 0 && o.EMA < 1):
		return fmt.Errorf("train: moving-average decay %g: want 0 (off) or at least 0 and below 1", o.EMA)
	case o.CheckpointEvery < 0:
		return fmt.Errorf("train: checkpoint every %d steps: want 0 (only at the end) or more", o.CheckpointEvery)
	case o.LogEvery < 0:
		return fmt.Errorf("train: log every %d steps: want 0 (no log) or more", o.LogEvery)
	}
	return nil
}

// Run trains params in place (with Options.EMA, they end as the moving average). Every step's batch
// and noise derive from (Seed, step), so a resumed run continues exactly as an uninterrupted one
// would.
func Run(ctx context.Context, exec graph.Executor, task Task, params graph.Feeds, opt Options) (Result, error) {
	var res Result
	if err := opt.Validate(); err != nil {
		return res, err
	}
	if task.N < opt.Batch {
		return res, fmt.Errorf("train: batch %d is larger than the %d training images", opt.Batch, task.N)
	}
	g := graph.New()
	obj, err := task.Build(g, opt.Batch)
	if err != nil {
		return res, err
	}
	loss := g.Mean(obj)
	grads, err := g.Grad(loss, g.Params())
	if err != nil {
		return res, err
	}
	plan, err := graph.Compile(g, append([]*graph.Node{loss}, grads...)...)
	if err != nil {
		return res, err
	}
	defer exec.Forget(plan)
	adam := NewAdam()
	var avg graph.Feeds // the moving average, when opt.EMA > 0
	if opt.EMA > 0 {
		avg = make(graph.Feeds, len(params))
		for name, t := range params {
			avg[name] = &graph.Tensor{Shape: t.Shape, Data: slices.Clone(t.Data)}
		}
	}
	start := 0
	if opt.Resume && opt.Checkpoint != "" {
		if start, err = resume(opt.Checkpoint, params, adam, avg, opt.Seed); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
	}
	perEpoch := task.N / opt.Batch
	total := int(math.Ceil(opt.Epochs * float64(perEpoch)))
	if opt.MaxSteps > 0 {
		total = opt.MaxSteps
	}
	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(opt.Progress), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(time.Second),
			progressbar.OptionSetDescription("training"))
		_ = bar.Set(start)
	}
	unit := opt.Unit
	if unit == "" {
		unit = "bits/dim"
	}
	// The loss and gradients land in the same tensors every step (computed in place on the CPU).
	out := graph.NewOutputs(plan)
	named := make(map[string]*graph.Tensor, len(grads))
	for j, p := range g.Params() {
		named[p.LeafName()] = out[1+j]
	}
	began := time.Now()
	var perm []int
	permEpoch := -1
	var window []float64
	for step := start; step < total; step++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		epoch, k := step/perEpoch, step%perEpoch
		if epoch != permEpoch {
			perm = rand.New(rand.NewPCG(opt.Seed, uint64(epoch))).Perm(task.N)
			permEpoch = epoch
		}
		feeds, err := task.Inputs(perm[k*opt.Batch:(k+1)*opt.Batch], rand.New(rand.NewPCG(opt.Seed^0x5eed, uint64(step))))
		if err != nil {
			return res, err
		}
		for name, t := range params {
			feeds[name] = t
		}
		if err := graph.RunInto(ctx, exec, plan, feeds, out); err != nil {
			return res, fmt.Errorf("train: step %d: %w", step, err)
		}
		l := float64(out[0].Data[0])
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return res, fmt.Errorf("train: step %d: loss is %v (lower the learning rate or resume from the last checkpoint)", step, l)
		}
		clip(named, opt.ClipNorm)
		if err := adam.Update(params, named, opt.learningRate(step, total)); err != nil {
			return res, err
		}
		if avg != nil {
			updateAverage(avg, params, min(opt.EMA, float64(1+step)/float64(10+step)))
		}
		window = append(window, l)
		if len(window) > max(opt.LogEvery, 1) {
			window = window[1:]
		}
		res.Steps++
		res.Images += opt.Batch
		rate := float64(res.Images) / time.Since(began).Seconds()
		if bar != nil {
			bar.Describe(fmt.Sprintf("%.3f %s, %.1f img/s", l, unit, rate))
			_ = bar.Add(1)
		}
		if opt.Log != nil && opt.LogEvery > 0 && (step+1)%opt.LogEvery == 0 {
			fmt.Fprintf(opt.Log, "step %d/%d epoch %.2f: %.4f %s (mean of last %d), %.1f img/s\n",
				step+1, total, float64(step+1)/float64(perEpoch), mean(window), unit, len(window), rate)
		}
		if opt.Checkpoint != "" && opt.CheckpointEvery > 0 && (step+1)%opt.CheckpointEvery == 0 {
			if err := save(opt.Checkpoint, params, adam, avg, opt.Meta, step+1, opt.Seed); err != nil {
				return res, err
			}
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(opt.Progress)
	}
	if opt.Checkpoint != "" {
		if err := save(opt.Checkpoint, params, adam, avg, opt.Meta, total, opt.Seed); err != nil {
			return res, err
		}
	}
	for name, t := range avg {
		copy(params[name].Data, t.Data)
	}
	res.Elapsed = time.Since(began)
	res.LastLoss = mean(window)
	if res.Elapsed > 0 {
		res.ImagesPerSec = float64(res.Images) / res.Elapsed.Seconds()
	}
	return res, nil
}

// learningRate is the rate of step (0-based) of a run of total steps: linear warm-up, then
// constant or cosine decay.
func (opt Options) learningRate(step, total int) float64 {
	if opt.Warmup > 0 && step < opt.Warmup {
		return opt.LR * float64(step+1) / float64(opt.Warmup)
	}
	if !opt.Cosine || total <= opt.Warmup {
		return opt.LR
	}
	frac := float64(step-opt.Warmup) / float64(total-opt.Warmup)
	return opt.LR * 0.5 * (1 + math.Cos(math.Pi*frac))
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// clip scales the gradients so that their global L2 norm is at most maxNorm.
func clip(grads map[string]*graph.Tensor, maxNorm float64) {
	if maxNorm <= 0 {
		return
	}
	var sq float64
	for _, t := range grads {
		for _, v := range t.Data {
			sq += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sq)
	if norm <= maxNorm {
		return
	}
	s := float32(maxNorm / norm)
	for _, t := range grads {
		for i := range t.Data {
			t.Data[i] *= s
		}
	}
}

// save writes parameters, optimizer state and progress to path.
func save(path string, params graph.Feeds, adam *Adam, avg graph.Feeds, meta weights.Meta, step int, seed uint64) error {
	f := &weights.File{Tensors: map[string]*graph.Tensor{}}
	maps.Copy(f.Tensors, params)
	maps.Copy(f.Tensors, adam.State(params))
	for name, t := range avg {
		f.Tensors[averagePrefix+name] = t
	}
	if err := f.SetMeta(meta); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	b, err := json.Marshal(progress{Step: step, Seed: seed})
	if err != nil {
		return err
	}
	f.Metadata[progressKey] = string(b)
	if err := weights.Save(path, f); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// resume loads a checkpoint into params, adam and avg (when not nil: the moving average, which
// a checkpoint without one starts from the parameters) and returns the step to continue from.
func resume(path string, params graph.Feeds, adam *Adam, avg graph.Feeds, seed uint64) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	f, err := weights.Load(path)
	if err != nil {
		return 0, fmt.Errorf("train: resume: %w", err)
	}
	var pr progress
	if err := json.Unmarshal([]byte(f.Metadata[progressKey]), &pr); err != nil {
		return 0, fmt.Errorf("train: resume: %s is not a training checkpoint: %w", path, err)
	}
	if pr.Seed != seed {
		return 0, fmt.Errorf("train: resume: checkpoint was trained with seed %d, not %d", pr.Seed, seed)
	}
	adam.Restore(f.Tensors, pr.Step)
	for name, p := range params {
		t := f.Tensors[name]
		if t == nil || !t.Shape.Equal(p.Shape) {
			return 0, fmt.Errorf("train: resume: checkpoint lacks parameter %q or has another shape", name)
		}
		copy(p.Data, t.Data)
	}
	for name, a := range avg {
		src := f.Tensors[averagePrefix+name]
		if src == nil {
			src = params[name]
		}
		if len(src.Data) != len(a.Data) {
			return 0, fmt.Errorf("train: resume: checkpoint's average of %q has another shape", name)
		}
		copy(a.Data, src.Data)
	}
	return pr.Step, nil
}

// averagePrefix names the moving average's tensors in checkpoints.
const averagePrefix = "ema."

// updateAverage moves avg towards params: avg = decay avg + (1 - decay) params.
func updateAverage(avg, params graph.Feeds, decay float64) {
	d := float32(decay)
	for name, a := range avg {
		for i, p := range params[name].Data {
			a.Data[i] = d*a.Data[i] + (1-d)*p
		}
	}
}

// Evaluate returns the mean of a per-image objective over n images (PerImage).
func Evaluate(ctx context.Context, exec graph.Executor, build func(g *graph.Graph, batch int) (*graph.Node, error),
	inputs func(idx []int, r *rand.Rand) (graph.Feeds, error), n, batch int, params graph.Feeds, seed uint64) (float64, error) {
	v, err := PerImage(ctx, exec, build, inputs, n, batch, params, seed)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(n), nil
}

// PerImage returns a per-image objective for each of n images, in batches of at most batch:
// build makes the graph for a batch size, inputs the feeds for given image indices with noise
// drawn from seed and the batch's first index.
func PerImage(ctx context.Context, exec graph.Executor, build func(g *graph.Graph, batch int) (*graph.Node, error),
	inputs func(idx []int, r *rand.Rand) (graph.Feeds, error), n, batch int, params graph.Feeds, seed uint64) ([]float64, error) {
	if batch < 1 {
		return nil, fmt.Errorf("train: batches of %d images", batch)
	}
	plans := map[int]*graph.Plan{}
	out := make([]float64, 0, n)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		p := plans[hi-lo]
		if p == nil {
			g := graph.New()
			obj, err := build(g, hi-lo)
			if err != nil {
				return nil, err
			}
			if p, err = graph.Compile(g, obj); err != nil {
				return nil, err
			}
			plans[hi-lo] = p
			defer exec.Forget(p)
		}
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		feeds, err := inputs(idx, rand.New(rand.NewPCG(seed, uint64(lo))))
		if err != nil {
			return nil, err
		}
		maps.Copy(feeds, params)
		res, err := exec.Run(ctx, p, feeds)
		if err != nil {
			return nil, err
		}
		for _, v := range res[0].Data {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

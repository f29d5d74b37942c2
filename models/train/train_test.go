package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/weights"
)

// gaussianTask fits the mean and log-scale of a 4-dimensional Gaussian to data drawn around a
// known centre: the objective is the negative log-density per dimension in bits.
func gaussianTask(n int) (Task, []float32) {
	centre := []float32{1, -2, 0.5, 3}
	r := rand.New(rand.NewPCG(1, 1))
	samples := make([]float32, n*4)
	for i := range samples {
		samples[i] = centre[i%4] + float32(0.5*r.NormFloat64())
	}
	build := func(g *graph.Graph, batch int) (*graph.Node, error) {
		x := g.Input("x", batch, 4)
		mu, logs := g.Param("mu", 4), g.Param("logs", 4)
		d := g.Mul(g.Sub(x, mu), g.Exp(g.Neg(logs)))
		nll := g.Add(g.MulScalar(g.Square(d), 0.5), logs)
		return g.MulScalar(g.Mean(nll, 1), 1/float32(math.Ln2)), g.Err()
	}
	inputs := func(idx []int, _ *rand.Rand) (graph.Feeds, error) {
		t := graph.Zeros(len(idx), 4)
		for i, k := range idx {
			copy(t.Data[4*i:4*i+4], samples[4*k:4*k+4])
		}
		return graph.Feeds{"x": t}, nil
	}
	return Task{Build: build, Inputs: inputs, N: n}, centre
}

func freshParams() graph.Feeds {
	return graph.Feeds{"mu": graph.Zeros(4), "logs": graph.Zeros(4)}
}

func TestTrainConverges(t *testing.T) {
	task, centre := gaussianTask(512)
	params := freshParams()
	opt := Options{Batch: 32, Epochs: 20, LR: 0.05, Seed: 3}
	res, err := Run(context.Background(), cpu.New(), task, params, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 20*16 {
		t.Fatalf("%d steps, want %d", res.Steps, 20*16)
	}
	for i, c := range centre {
		if math.Abs(float64(params["mu"].Data[i]-c)) > 0.1 {
			t.Fatalf("mu = %v, want about %v", params["mu"].Data, centre)
		}
		if s := math.Exp(float64(params["logs"].Data[i])); math.Abs(s-0.5) > 0.1 {
			t.Fatalf("scale %g, want about 0.5", s)
		}
	}
}

// TestResumeMatchesUninterrupted trains 2 epochs in one go and as 1 + 1 with a checkpoint in
// between, with and without a moving average; the parameters must be identical.
func TestResumeMatchesUninterrupted(t *testing.T) {
	for _, ema := range []float64{0, 0.9} {
		t.Run(fmt.Sprintf("ema %g", ema), func(t *testing.T) { testResume(t, ema) })
	}
}

func testResume(t *testing.T, ema float64) {
	task, _ := gaussianTask(256)
	meta := weights.Meta{Kind: "test"}
	whole := freshParams()
	if _, err := Run(context.Background(), cpu.New(), task, whole, Options{Batch: 32, Epochs: 2, LR: 0.05, Seed: 4, Warmup: 5, EMA: ema}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	parts := freshParams()
	first := Options{Batch: 32, Epochs: 1, LR: 0.05, Seed: 4, Warmup: 5, Checkpoint: ckpt, CheckpointEvery: 3, Meta: meta, EMA: ema}
	if _, err := Run(context.Background(), cpu.New(), task, parts, first); err != nil {
		t.Fatal(err)
	}
	resumed := freshParams() // as after a restart: only the checkpoint carries the state
	second := first
	second.Epochs, second.Resume = 2, true
	res, err := Run(context.Background(), cpu.New(), task, resumed, second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 8 {
		t.Fatalf("resumed run took %d steps, want 8", res.Steps)
	}
	for _, name := range []string{"mu", "logs"} {
		for i, v := range whole[name].Data {
			if resumed[name].Data[i] != v {
				t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", name, i, resumed[name].Data[i], v)
			}
		}
	}
	wrongSeed := second
	wrongSeed.Seed = 5
	if _, err := Run(context.Background(), cpu.New(), task, freshParams(), wrongSeed); err == nil {
		t.Fatal("resuming with another seed was accepted")
	}
}

// TestMovingAverage checks the trained parameters under Options.EMA against the average formed
// here from the plain runs of 1 to n steps (each step's parameters), with the warm-up of the decay.
func TestMovingAverage(t *testing.T) {
	task, _ := gaussianTask(256)
	const n, decay = 6, 0.8
	opt := Options{Batch: 32, LR: 0.05, Seed: 6}
	var want graph.Feeds
	for k := 1; k <= n; k++ {
		params := freshParams()
		opt.MaxSteps = k
		if _, err := Run(context.Background(), cpu.New(), task, params, opt); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = freshParams()
		}
		d := float32(min(decay, float64(k)/float64(9+k)))
		for name, p := range params {
			for i, v := range p.Data {
				want[name].Data[i] = d*want[name].Data[i] + (1-d)*v
			}
		}
	}
	got := freshParams()
	opt.MaxSteps, opt.EMA = n, decay
	if _, err := Run(context.Background(), cpu.New(), task, got, opt); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		for i, v := range w.Data {
			if math.Abs(float64(got[name].Data[i]-v)) > 1e-6 {
				t.Fatalf("%s[%d]: %g, want the average %g", name, i, got[name].Data[i], v)
			}
		}
	}
}

func TestTrainRejectsNaN(t *testing.T) {
	task, _ := gaussianTask(64)
	params := freshParams()
	params["logs"].Data[0] = float32(math.Inf(-1))
	if _, err := Run(context.Background(), cpu.New(), task, params, Options{Batch: 32, Epochs: 1, LR: 0.01}); err == nil {
		t.Fatal("non-finite loss was not reported")
	}
}

func TestAdamStateRoundTrip(t *testing.T) {
	a := NewAdam()
	params := freshParams()
	grads := map[string]*graph.Tensor{"mu": graph.Full(1, 4), "logs": graph.Full(-1, 4)}
	if err := a.Update(params, grads, 0.1); err != nil {
		t.Fatal(err)
	}
	// The first Adam step moves every coordinate by lr against the gradient's sign.
	if d := params["mu"].Data[0] + 0.1; math.Abs(float64(d)) > 1e-6 {
		t.Fatalf("first step moved mu to %v", params["mu"].Data[0])
	}
	state := a.State(params)
	b := NewAdam()
	b.Restore(state, a.Step)
	if len(state) != 0 || b.Step != 1 || b.m["mu"][0] != a.m["mu"][0] {
		t.Fatalf("restore: left %d tensors, step %d", len(state), b.Step)
	}
	if err := a.Update(params, map[string]*graph.Tensor{"nope": graph.Zeros(4)}, 0.1); err == nil {
		t.Fatal("gradient of an unknown parameter accepted")
	}
}

func TestLearningRateSchedule(t *testing.T) {
	constant := Options{LR: 1e-3, Warmup: 10}
	cosine := Options{LR: 1e-3, Warmup: 10, Cosine: true}
	cases := []struct {
		name        string
		opt         Options
		step, total int
		want        float64
	}{
		{"warm-up start", constant, 0, 100, 1e-4},
		{"warm-up end", constant, 9, 100, 1e-3},
		{"constant after warm-up", constant, 99, 100, 1e-3},
		{"cosine start", cosine, 10, 110, 1e-3},
		{"cosine middle", cosine, 60, 110, 5e-4},
		{"cosine near end", cosine, 109, 110, 1e-3 * 0.5 * (1 + math.Cos(math.Pi*99/100))},
		{"cosine, all warm-up", cosine, 10, 10, 1e-3},
	}
	for _, c := range cases {
		if got := c.opt.learningRate(c.step, c.total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: learningRate(%d, %d) = %g, want %g", c.name, c.step, c.total, got, c.want)
		}
	}
}

// TestOptionsValidate checks that every bad option is refused before any work, with a message
// naming it.
func TestOptionsValidate(t *testing.T) {
	good := Options{Batch: 64, Epochs: 1, LR: 1e-3, Warmup: 200, ClipNorm: 100, CheckpointEvery: 100, LogEvery: 50}
	if err := good.Validate(); err != nil {
		t.Fatalf("good options refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"batch 0", func(o *Options) { o.Batch = 0 }, "batch 0"},
		{"batch -3", func(o *Options) { o.Batch = -3 }, "batch -3"},
		{"huge batch", func(o *Options) { o.Batch = MaxBatch + 1 }, "batch"},
		{"epochs -1", func(o *Options) { o.Epochs = -1 }, "epochs -1"},
		{"epochs NaN", func(o *Options) { o.Epochs = math.NaN() }, "epochs NaN"},
		{"epochs Inf", func(o *Options) { o.Epochs = math.Inf(1) }, "epochs +Inf"},
		{"nothing to train", func(o *Options) { o.Epochs = 0 }, "neither"},
		{"negative steps", func(o *Options) { o.MaxSteps = -1 }, "steps -1"},
		{"lr NaN", func(o *Options) { o.LR = math.NaN() }, "learning rate NaN"},
		{"lr 0", func(o *Options) { o.LR = 0 }, "learning rate 0"},
		{"warm-up", func(o *Options) { o.Warmup = -1 }, "warm-up"},
		{"clip Inf", func(o *Options) { o.ClipNorm = math.Inf(1) }, "clipping"},
		{"clip NaN", func(o *Options) { o.ClipNorm = math.NaN() }, "clipping"},
		{"checkpoints", func(o *Options) { o.CheckpointEvery = -1 }, "checkpoint"},
		{"log", func(o *Options) { o.LogEvery = -5 }, "log every"},
		{"ema 1", func(o *Options) { o.EMA = 1 }, "moving-average decay 1"},
		{"ema negative", func(o *Options) { o.EMA = -0.1 }, "moving-average decay"},
		{"ema NaN", func(o *Options) { o.EMA = math.NaN() }, "moving-average decay NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

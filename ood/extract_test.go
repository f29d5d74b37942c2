package ood

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// sampleExtractor scores the graphtest sample model on images that depend only on their index.
func sampleExtractor(chunk int, groups ...int) *Extractor {
	g := graph.New()
	graphtest.SampleModel(g, 1)
	params := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(3, 3)), 0.3)
	delete(params, "x")
	return &Extractor{
		Exec: cpu.New(),
		Build: func(g *graph.Graph, batch int) (Objective, error) {
			l := graphtest.SampleModel(g, batch)
			return Objective{LogLik: l, NLL: g.Neg(l)}, g.Err()
		},
		Params: params,
		Inputs: func(idx []int, _ *rand.Rand) (graph.Feeds, error) {
			x := graph.Zeros(len(idx), 3, 6, 6)
			per := 3 * 6 * 6
			for i, k := range idx {
				r := rand.New(rand.NewPCG(uint64(k), 7))
				for j := 0; j < per; j++ {
					x.Data[i*per+j] = float32(r.Float64() - 0.5)
				}
			}
			return graph.Feeds{"x": x}, nil
		},
		GroupSizes: groups,
		Chunk:      chunk,
	}
}

// TestBatchedFeaturesEqualSingleImageRuns checks the batched extraction (chunks of 10, B = 1 and
// B = 5 from one backward pass each) against single-image runs and against one run of five.
func TestBatchedFeaturesEqualSingleImageRuns(t *testing.T) {
	ctx := context.Background()
	batched, err := sampleExtractor(10, 1, 5).Run(ctx, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	single, err := sampleExtractor(1, 1).Run(ctx, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	fives, err := sampleExtractor(5, 5).Run(ctx, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want [][]float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if d := math.Abs(got[i][j] - want[i][j]); d > 1e-4*math.Abs(want[i][j])+1e-9 {
					t.Fatalf("%s row %d layer %s: %g vs %g", what, i, batched.Layers[j], got[i][j], want[i][j])
				}
			}
		}
	}
	check("B=1", batched.Rows[1], single.Rows[1])
	check("B=5", batched.Rows[5], fives.Rows[5])
	for i := range single.NLL {
		if math.Abs(batched.NLL[i]-single.NLL[i]) > 1e-5*math.Abs(single.NLL[i]) {
			t.Fatalf("NLL %d: %g vs %g", i, batched.NLL[i], single.NLL[i])
		}
	}
	if _, err := sampleExtractor(10, 3).Run(ctx, 20, nil); err == nil {
		t.Fatal("group size 3 with chunks of 10 accepted")
	}
}

func TestDetectorFitAndAssess(t *testing.T) {
	f, err := sampleExtractor(10, 1).Run(context.Background(), 40, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Fit(f, 1, 0.95, "sample", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.FitScores) != 40 || d.Percentile(d.Threshold) < 95 {
		t.Fatalf("threshold %g at percentile %g", d.Threshold, d.Percentile(d.Threshold))
	}
	res := d.Assess(f.Rows[1][0], f.NLL[:1], nil)
	if res.Invalid != "" || math.IsNaN(res.Score) || len(res.ZScores) != len(d.Gaussian.Keep) {
		t.Fatalf("assess: %+v", res)
	}
	bad := append([]float64(nil), f.Rows[1][0]...)
	bad[d.Gaussian.Keep[0]] = math.NaN()
	if res := d.Assess(bad, f.NLL[:1], nil); res.Invalid == "" || !res.OOD {
		t.Fatalf("NaN features not flagged: %+v", res)
	}
	// The unused parameter of the sample model has zero gradient everywhere: dropped.
	found := false
	for _, why := range d.Gaussian.Dropped {
		found = found || why == "unused: non-finite feature on the fit set" || why == "unused: zero variance on the fit set"
	}
	if !found {
		t.Fatalf("unused layer not dropped: %v", d.Gaussian.Dropped)
	}
}

// planCounter wraps an executor and counts the plans it holds buffers for: run and not forgotten.
type planCounter struct {
	graph.Executor
	held map[*graph.Plan]bool
}

func (c *planCounter) Run(ctx context.Context, p *graph.Plan, feeds graph.Feeds) ([]*graph.Tensor, error) {
	c.held[p] = true
	return c.Executor.Run(ctx, p, feeds)
}

func (c *planCounter) Forget(p *graph.Plan) {
	delete(c.held, p)
	c.Executor.Forget(p)
}

// TestExtractorReleasesPlans checks that a run leaves no plan buffers behind in the executor, so
// that a server scoring request after request does not grow without bound.
func TestExtractorReleasesPlans(t *testing.T) {
	ex := sampleExtractor(4, 1)
	counter := &planCounter{Executor: ex.Exec, held: map[*graph.Plan]bool{}}
	ex.Exec = counter
	for range 3 {
		if _, err := ex.Run(context.Background(), 10, nil); err != nil { // chunks of 4, 4 and 2: two plans
			t.Fatal(err)
		}
		if len(counter.held) != 0 {
			t.Fatalf("%d plans still held after a run", len(counter.held))
		}
	}
}

// TestImageKeyMakesFeaturesIndependentOfPosition checks that with ImageKey an image's noise, and
// so its NLL and features, depend on the image alone: the same images in another order and with
// other chunk sizes give the same values, where the per-chunk noise does not.
func TestImageKeyMakesFeaturesIndependentOfPosition(t *testing.T) {
	// noisy returns an extractor over the images content[0..n), where image k adds noise from r.
	noisy := func(content []int, chunk int, keyed bool) *Extractor {
		ex := sampleExtractor(chunk, 1)
		ex.Seed = 9
		ex.Inputs = func(idx []int, r *rand.Rand) (graph.Feeds, error) {
			x := graph.Zeros(len(idx), 3, 6, 6)
			per := 3 * 6 * 6
			for i, k := range idx {
				base := rand.New(rand.NewPCG(uint64(content[k]), 7))
				for j := 0; j < per; j++ {
					x.Data[i*per+j] = float32(base.Float64() - 0.5 + 0.1*r.Float64())
				}
			}
			return graph.Feeds{"x": x}, nil
		}
		if keyed {
			ex.ImageKey = func(i int) uint64 { return uint64(content[i]) }
		}
		return ex
	}
	forward := []int{0, 1, 2, 3, 4, 5}
	backward := []int{5, 4, 3, 2, 1, 0}
	for _, tc := range []struct {
		name  string
		keyed bool
	}{{"per-image keys", true}, {"per-chunk noise", false}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := noisy(forward, 6, tc.keyed).Run(context.Background(), 6, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := noisy(backward, 2, tc.keyed).Run(context.Background(), 6, nil)
			if err != nil {
				t.Fatal(err)
			}
			same := true
			for i := range forward {
				j := len(forward) - 1 - i
				same = same && math.Abs(a.NLL[i]-b.NLL[j]) <= 1e-6*math.Abs(a.NLL[i])
				for c := range a.Rows[1][i] {
					same = same && math.Abs(a.Rows[1][i][c]-b.Rows[1][j][c]) <= 1e-4*math.Abs(a.Rows[1][i][c])+1e-9
				}
			}
			if same != tc.keyed {
				t.Fatalf("values equal across order and chunking: %v, want %v", same, tc.keyed)
			}
		})
	}
}

// countingExec is the CPU executor, counting the plans it is asked to forget.
type countingExec struct {
	graph.Executor
	forgot int
}

func (c *countingExec) Forget(p *graph.Plan) {
	c.forgot++
	c.Executor.Forget(p)
}

// TestPlanCache checks that an extractor with a plan cache builds a plan once for runs of the
// same chunk size, gives the same features as one without, and that the cache forgets its least
// recently used plan when full, and all of them on Forget.
func TestPlanCache(t *testing.T) {
	exec := &countingExec{Executor: cpu.New()}
	cache := &PlanCache{Max: 2}
	plain, cached := sampleExtractor(4, 1), sampleExtractor(4, 1)
	plain.Exec, cached.Exec, cached.Plans = exec, exec, cache
	builds := 0
	build := cached.Build
	cached.Build = func(g *graph.Graph, batch int) (Objective, error) {
		builds++
		return build(g, batch)
	}
	want, err := plain.Run(context.Background(), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 3; run++ {
		got, err := cached.Run(context.Background(), 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: cached features differ", run)
		}
	}
	if builds != 1 {
		t.Fatalf("%d plans built for three runs of one chunk size, want 1", builds)
	}
	before := exec.forgot
	for _, chunk := range []int{1, 2} { // two more sizes: the first one is forgotten
		cached.Chunk = chunk
		if _, err := cached.Run(context.Background(), 4, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := exec.forgot - before; got != 1 {
		t.Fatalf("%d plans forgotten after a third size in a cache of 2, want 1", got)
	}
	cache.Forget()
	if got := exec.forgot - before; got != 3 {
		t.Fatalf("%d plans forgotten after Forget, want 3", got)
	}
}

func TestMeanFeatures(t *testing.T) {
	a := &Features{Layers: []string{"x", "y"}, NLL: []float64{1, 3}, Rows: map[int][][]float64{1: {{1, 2}, {3, 4}}, 2: {{5, 6}}}}
	b := &Features{Layers: []string{"x", "y"}, NLL: []float64{3, 5}, Rows: map[int][][]float64{1: {{3, 2}, {5, 0}}, 2: {{7, 8}}}}
	m, err := MeanFeatures(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.NLL, []float64{2, 4}) || !slices.Equal(m.Rows[1][0], []float64{2, 2}) || !slices.Equal(m.Rows[1][1], []float64{4, 2}) ||
		!slices.Equal(m.Rows[2][0], []float64{6, 7}) || !slices.Equal(a.NLL, []float64{1, 3}) {
		t.Errorf("mean %+v (first set now %+v)", m, a)
	}
	if m, err := MeanFeatures(a); err != nil || m != a {
		t.Errorf("mean of one set: %v, %v", m, err)
	}
	for name, bad := range map[string]*Features{
		"other layers": {Layers: []string{"x", "z"}, NLL: b.NLL, Rows: b.Rows},
		"fewer images": {Layers: b.Layers, NLL: b.NLL[:1], Rows: b.Rows},
		"fewer rows":   {Layers: b.Layers, NLL: b.NLL, Rows: map[int][][]float64{1: b.Rows[1][:1], 2: b.Rows[2]}},
		"short row":    {Layers: b.Layers, NLL: b.NLL, Rows: map[int][][]float64{1: {{1}, {2, 3}}, 2: b.Rows[2]}},
		"other groups": {Layers: b.Layers, NLL: b.NLL, Rows: map[int][][]float64{1: b.Rows[1], 3: b.Rows[2]}},
	} {
		if _, err := MeanFeatures(a, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := MeanFeatures(); err == nil {
		t.Error("mean of nothing: no error")
	}
}

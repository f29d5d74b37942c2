//go:build cgo

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

var (
	shared    *Executor
	sharedErr error
	once      sync.Once
)

// executor returns the test executor. Without an adapter the test skips with the reason, unless
// OODGPU_REQUIRE_GPU=1 (as in CI), where it fails.
func executor(t testing.TB) *Executor {
	t.Helper()
	once.Do(func() {
		shared, sharedErr = New(Options{})
		if sharedErr == nil {
			fmt.Fprintf(os.Stderr, "gpu tests run on %s\n", shared.Name())
		}
	})
	if sharedErr != nil {
		if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
			t.Fatalf("OODGPU_REQUIRE_GPU=1 but no WebGPU adapter: %v", sharedErr)
		}
		t.Skipf("skipping: no WebGPU adapter (%v); install mesa-vulkan-drivers for lavapipe", sharedErr)
	}
	return shared
}

// TestKernelParity compares every op's value and the gradients of a weighted sum of it (so every
// backward kernel runs too) between the WebGPU and the CPU executor.
func TestKernelParity(t *testing.T) {
	e := executor(t)
	for i, c := range graphtest.OpCases() {
		t.Run(c.Name, func(t *testing.T) {
			g, feeds, outs, err := c.Graph(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 2e-4, outs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFeatureParity compares the per-sample and per-batch gradient features of the sample model.
func TestFeatureParity(t *testing.T) {
	e := executor(t)
	for _, c := range []struct{ batch, group int }{{5, 1}, {6, 3}, {4, 4}} {
		t.Run(fmt.Sprintf("B%d/group%d", c.batch, c.group), func(t *testing.T) {
			g, feeds, outs, err := graphtest.FeatureCase(c.batch, c.group, uint64(c.batch))
			if err != nil {
				t.Fatal(err)
			}
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, outs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOneSubmitPerRun checks that a whole run, uploads to readback, is one submission.
func TestOneSubmitPerRun(t *testing.T) {
	e := executor(t)
	g := graph.New()
	l := graphtest.SampleModel(g, 3)
	feats, err := g.GradSqNorms(l, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, l, feats)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Forget(p)
	feeds := graphtest.RandomFeeds(g, rand.New(rand.NewPCG(1, 1)), 0.3)
	for run := 0; run < 3; run++ {
		before := e.Submits()
		if _, err := e.Run(context.Background(), p, feeds); err != nil {
			t.Fatal(err)
		}
		if got := e.Submits() - before; got != 1 {
			t.Fatalf("run %d submitted %d command buffers, want 1", run, got)
		}
	}
	if len(p.Steps) < 50 {
		t.Fatalf("sample plan has only %d steps", len(p.Steps))
	}
}

// TestNoMatchingAdapter checks that an adapter selection matching nothing is an ErrNoAdapter.
func TestNoMatchingAdapter(t *testing.T) {
	executor(t)
	_, err := New(Options{Adapter: "no such adapter 42"})
	if !errors.Is(err, ErrNoAdapter) {
		t.Fatalf("got %v, want ErrNoAdapter", err)
	}
}

func TestRunRejectsBadFeeds(t *testing.T) {
	e := executor(t)
	g := graph.New()
	y := g.Exp(g.Input("x", 4))
	p, err := graph.Compile(g, y)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background(), p, graph.Feeds{"x": graph.Zeros(5)}); err == nil {
		t.Fatal("wrong shape accepted")
	}
}

// TestBindKeepsParamsResident checks that bound parameters are uploaded once, that runs given
// other tensors for them still compute with those, and that the bound values come back after.
func TestBindKeepsParamsResident(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		executor(t) // skips or fails with the reason
		t.Fatal(err)
	}
	g, feeds, outs, err := graphtest.FeatureCase(4, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, outs...)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Forget(p)
	params, inputs := graph.Feeds{}, 0
	for _, n := range g.Params() {
		params[n.LeafName()] = feeds[n.LeafName()]
	}
	for name, v := range feeds {
		if params[name] == nil {
			inputs += 4 * len(v.Data)
		}
	}
	if err := e.Bind(params); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.Resident(); n != len(params) {
		t.Fatalf("%d parameters resident, want %d", n, len(params))
	}
	want := func(feeds graph.Feeds) []*graph.Tensor {
		out, err := cpu.New().Run(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(what string, feeds graph.Feeds, uploads int) {
		t.Helper()
		before := e.Uploaded()
		got, err := e.Run(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		if d := int(e.Uploaded() - before); d != uploads {
			t.Errorf("%s: uploaded %d bytes, want %d", what, d, uploads)
		}
		for i, w := range want(feeds) {
			for k := range w.Data {
				if d := math.Abs(float64(got[i].Data[k] - w.Data[k])); d > 1e-3*(math.Abs(float64(w.Data[k]))+1) {
					t.Fatalf("%s: output %d element %d: got %g, want %g", what, i, k, got[i].Data[k], w.Data[k])
				}
			}
		}
	}
	check("first run", feeds, inputs)
	check("second run", feeds, inputs)
	// Another tensor for one parameter: uploaded and used, then the bound one again.
	name := g.Params()[0].LeafName()
	other := graph.Feeds{}
	for k, v := range feeds {
		other[k] = v
	}
	changed := &graph.Tensor{Shape: feeds[name].Shape, Data: make([]float32, len(feeds[name].Data))}
	for k, v := range feeds[name].Data {
		changed.Data[k] = 2*v + 0.1
	}
	other[name] = changed
	check("run with another tensor", other, inputs+4*len(changed.Data))
	check("bound tensor again", feeds, inputs+4*len(changed.Data))
	check("and once more", feeds, inputs)
}

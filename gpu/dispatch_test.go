//go:build cgo

package gpu

import (
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// dispatchesBefore is the number of dispatches of the default Glow's per-sample features (B = 1,
// one image) before chains became kernels, reductions wrote in place and split gradients were
// joined (commit 092b506, every conv kernel then one dispatch, the norms two).
const dispatchesBefore = 3479

// TestDefaultGlowDispatches counts the dispatches of one image's features with the default
// model, its weights bound as the extractor binds them, on both convolution kernel sets, and
// checks that a run takes at most half of what it did (the steps that depend on the weights only
// run once, at the first run, and are counted apart).
func TestDefaultGlowDispatches(t *testing.T) {
	executor(t)
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := scorer.FromFile("default", f)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	obj, err := m.Net.Build(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := g.GradSqNorms(obj.LogLik, g.Params(), 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, obj.NLL, feats)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []ConvKernels{ConvTiled, ConvDirect} {
		e, err := New(Options{Conv: k})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Bind(m.Params); err != nil { // as the extractor does
			t.Fatal(err)
		}
		e.mu.Lock()
		prog, err := e.compile(p)
		e.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		dispatches := 0
		for _, c := range prog.cmds {
			if c.clear == nil {
				dispatches++
			}
		}
		e.release(prog)
		t.Logf("conv kernels %d: %d dispatches per image for %d steps (%.2f of the %d before), and %d once for the bound weights",
			k, dispatches, len(p.Steps), float64(dispatches)/dispatchesBefore, dispatchesBefore, len(prog.setup))
		if 2*dispatches > dispatchesBefore {
			t.Errorf("conv kernels %d: %d dispatches, more than half of the %d before", k, dispatches, dispatchesBefore)
		}
	}
}

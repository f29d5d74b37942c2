package graph_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// TestRunInto checks, on random graphs and their gradients, that graph.RunInto writes what Run
// returns, both where the executor computes outputs in place (the CPU executor) and where it
// falls back to Run and a copy (the same executor seen only as a graph.Executor), and that both
// refuse output tensors of the wrong shape.
func TestRunInto(t *testing.T) {
	e := cpu.New()
	runners := []struct {
		name string
		exec graph.Executor
	}{
		{"in place", e},
		{"run and copy", struct{ graph.Executor }{e}},
	}
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 2))
		g, outs := randomGraph(r, 10+r.IntN(30))
		grads, err := g.Grad(g.Sum(outs[0]), g.Params())
		if err != nil {
			t.Fatal(err)
		}
		p, err := graph.Compile(g, append(outs, grads...)...)
		if err != nil {
			t.Fatal(err)
		}
		feeds := graph.Feeds{}
		for _, n := range p.Feeds {
			v := graph.Zeros(n.Shape()...)
			for i := range v.Data {
				v.Data[i] = float32(r.NormFloat64()) / 4
			}
			feeds[n.LeafName()] = v
		}
		want, err := e.Run(context.Background(), p, feeds)
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range runners {
			got := graph.NewOutputs(p)
			for range 2 { // the second run over the first one's values
				if err := graph.RunInto(context.Background(), run.exec, p, feeds, got); err != nil {
					t.Fatalf("seed %d, %s: %v", seed, run.name, err)
				}
			}
			for i := range want {
				if !slices.Equal(got[i].Data, want[i].Data) {
					t.Fatalf("seed %d, %s: output %d (%v) differs from Run's", seed, run.name, i, p.Outputs[i])
				}
			}
			got[0] = graph.Zeros(1)
			if err := graph.RunInto(context.Background(), run.exec, p, feeds, got); err == nil || !strings.Contains(err.Error(), "needs a tensor of shape") {
				t.Fatalf("seed %d, %s: a wrong output shape gave %v", seed, run.name, err)
			}
		}
	}
}

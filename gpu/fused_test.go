//go:build cgo

package gpu

import (
	"context"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// TestFusedChains checks that the chain cases (also among the kernel parity cases, with their
// gradients) run as generated kernels: fewer dispatches than steps, some of them fused, and that
// their values alone, whose plans keep fewer members stored, agree with the CPU executor.
func TestFusedChains(t *testing.T) {
	e := executor(t)
	for i, c := range graphtest.ChainCases() {
		t.Run(c.Name, func(t *testing.T) {
			g, feeds, outs, err := c.Graph(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 2e-4, outs[0]); err != nil {
				t.Fatal(err)
			}
			p, err := graph.Compile(g, outs...)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Forget(p)
			if _, err := e.Run(context.Background(), p, feeds); err != nil {
				t.Fatal(err)
			}
			prog := e.programs[p]
			fused := 0
			for _, cmd := range prog.cmds {
				if strings.HasPrefix(cmd.label, "fused.") {
					fused++
				}
			}
			if fused == 0 || len(prog.cmds) >= len(p.Steps) {
				t.Fatalf("%d dispatches (%d fused) for %d steps: the chains did not fuse", len(prog.cmds), fused, len(p.Steps))
			}
		})
	}
}

// TestConvKernelParity runs the convolution cases and the feature case on both kernel sets,
// tiled and direct, whichever the adapter would choose by itself.
func TestConvKernelParity(t *testing.T) {
	executor(t)
	for _, k := range []struct {
		name string
		conv ConvKernels
	}{{"tiled", ConvTiled}, {"direct", ConvDirect}} {
		e, err := New(Options{Conv: k.conv})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range graphtest.OpCases() {
			if !strings.HasPrefix(c.Name, "conv") {
				continue
			}
			t.Run(k.name+"/"+c.Name, func(t *testing.T) {
				g, feeds, outs, err := c.Graph(uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 2e-4, outs...); err != nil {
					t.Fatal(err)
				}
			})
		}
		t.Run(k.name+"/features", func(t *testing.T) {
			g, feeds, outs, err := graphtest.FeatureCase(6, 3, 6)
			if err != nil {
				t.Fatal(err)
			}
			if err := graphtest.Compare(context.Background(), e, cpu.New(), g, feeds, 1e-3, outs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

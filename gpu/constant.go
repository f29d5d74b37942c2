//go:build cgo || js

package gpu

import (
	"github.com/oodgpu/oodgpu/graph"
)

// constantSteps marks, per step of p, the steps whose values depend only on constants and on
// parameters the program reads from resident (bound) buffers: with bound weights they are the
// same at every run (the Glow's 1x1 convolution matrices built from their LU factors, exp of
// log-scales, their broadcasts), so the program computes them once, in its setup commands, and
// runs only the rest per image. A chain counts only when all its members do, since it runs as a
// whole.
func constantSteps(p *graph.Plan, prog *program) []bool {
	index := make(map[*graph.Node]int, len(p.Steps))
	for i, n := range p.Steps {
		index[n] = i
	}
	constant := make([]bool, len(p.Steps))
	known := func(n *graph.Node) bool {
		if i, ok := index[n]; ok {
			return constant[i]
		}
		if _, ok := n.Op().(*graph.ConstOp); ok {
			return true
		}
		return prog.feedFrom[n] != nil
	}
	varies := make([]bool, len(p.Steps)) // chain members that must run with their chain
	for {
		for i, n := range p.Steps {
			constant[i] = !varies[i]
			for _, in := range n.Inputs() {
				constant[i] = constant[i] && known(in)
			}
		}
		demoted := false
		for i, f := range p.Chains {
			if f == nil || !constant[i] {
				continue
			}
			for _, m := range f.Nodes {
				if !constant[index[m]] {
					varies[i], demoted = true, true
					break
				}
			}
		}
		if !demoted {
			return constant
		}
	}
}

package glow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// TestNormForms lists, for the default Glow's feature graphs at B = 1 and B = 5, the form the
// planner picks for each convolution weight's per-group squared gradient norm (the table in
// docs/ARCHITECTURE.md comes from `go test -run NormForms -v ./models/glow/`). At B = 1 the
// last level's 1x1 and first 3x3 convolutions, with 16 positions against 128 channels, read
// their norms from Gram matrices; at B = 5 every layer forms the gradient.
func TestNormForms(t *testing.T) {
	for _, tc := range []struct {
		group     int
		wantGram  int
		wantTotal int
	}{{1, 16, 74}, {5, 0, 74}} {
		g := graph.New()
		net, err := Build(g, Default(), 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.GradSqNorms(net.LogLik, g.Params(), tc.group); err != nil {
			t.Fatal(err)
		}
		var rows []string
		count := map[string]int{}
		gram, total := 0, 0
		for _, n := range g.Nodes() {
			o, ok := n.Op().(*graph.ConvWeightGradSqNorm)
			if !ok {
				continue
			}
			x, gy := n.Inputs()[0].Shape(), n.Inputs()[1].Shape()
			form := o.Form(x, gy)
			total++
			if form == graph.NormGram {
				gram++
			}
			row := fmt.Sprintf("B=%d %dx%d conv %d->%d at %dx%d: T=%d d_in=%d d_out=%d: %v",
				tc.group, o.KH, o.KW, x[1], gy[1], gy[2], gy[3], tc.group*gy[2]*gy[3], x[1]*o.KH*o.KW, gy[1], form)
			if count[row] == 0 {
				rows = append(rows, row)
			}
			count[row]++
		}
		for i, r := range rows {
			rows[i] = fmt.Sprintf("%2d x %s", count[r], r)
		}
		t.Log("\n" + strings.Join(rows, "\n"))
		if gram != tc.wantGram || total != tc.wantTotal {
			t.Errorf("B = %d: %d of %d convolution norms in Gram form, want %d of %d", tc.group, gram, total, tc.wantGram, tc.wantTotal)
		}
	}
}

package cpu

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// referenceValues evaluates the element-wise, reduction and matmul nodes of g in float64, one
// element at a time from the ops' definitions, as the fused kernels' reference.
func referenceValues(t *testing.T, g *graph.Graph, feeds map[string][]float64) map[int][]float64 {
	t.Helper()
	vals := map[int][]float64{}
	for _, n := range g.Nodes() {
		ys := n.Shape()
		y := make([]float64, ys.Size())
		ins := n.Inputs()
		// at reads operand k at the output's multi-index idx, with broadcasting.
		at := func(k int, idx []int) float64 {
			s := ins[k].Shape()
			st := graph.BroadcastStrides(s, ys)
			off := 0
			for d, i := range idx {
				off += i * st[d]
			}
			return vals[ins[k].ID()][off]
		}
		switch o := n.Op().(type) {
		case *graph.InputOp, *graph.ParamOp:
			copy(y, feeds[n.LeafName()])
		case *graph.ConstOp:
			for i, v := range o.Value.Data {
				y[i] = float64(v)
			}
		case *graph.Reshape:
			copy(y, vals[ins[0].ID()])
		case *graph.Permute:
			xs := ins[0].Shape()
			xst := xs.Strides()
			idx := make([]int, len(ys))
			for i := range y {
				rem, off := i, 0
				for d := len(ys) - 1; d >= 0; d-- {
					idx[d] = rem % ys[d]
					rem /= ys[d]
					off += idx[d] * xst[o.Perm[d]]
				}
				y[i] = vals[ins[0].ID()][off]
			}
		case *graph.Unary, *graph.Binary, *graph.Affine:
			idx := make([]int, len(ys))
			for i := range y {
				rem := i
				for d := len(ys) - 1; d >= 0; d-- {
					idx[d] = rem % ys[d]
					rem /= ys[d]
				}
				switch o := o.(type) {
				case *graph.Unary:
					y[i] = o.Fn.Apply(at(0, idx))
				case *graph.Binary:
					y[i] = o.Fn.Apply(at(0, idx), at(1, idx))
				case *graph.Affine:
					y[i] = at(0, idx)*float64(o.Scale) + float64(o.Shift)
				}
			}
		case *graph.Reduce:
			xs := ins[0].Shape()
			x := vals[ins[0].ID()]
			count := xs.Size() / max(len(y), 1)
			idx := make([]int, len(xs))
			for i, v := range x {
				rem := i
				for d := len(xs) - 1; d >= 0; d-- {
					idx[d] = rem % xs[d]
					rem /= xs[d]
				}
				out := 0
				for d := range xs {
					if !slices.Contains(o.Axes, d) {
						out = out*xs[d] + idx[d]
					}
				}
				if o.Fn == graph.SumSquares {
					v *= v
				}
				y[out] += v
			}
			if o.Fn == graph.Mean {
				for i := range y {
					y[i] /= float64(count)
				}
			}
		case *graph.Matmul:
			a, b := vals[ins[0].ID()], vals[ins[1].ID()]
			m, k, n := ys[0], ins[0].Shape()[1], ys[1]
			for i := range m {
				for j := range n {
					for l := range k {
						y[i*n+j] += a[i*k+l] * b[l*n+j]
					}
				}
			}
		default:
			t.Fatalf("reference: no rule for %s", n.Op().Kind())
		}
		vals[n.ID()] = y
	}
	return vals
}

// TestFusedChainsMatchReference runs graphs whose plans fuse element-wise chains (broadcast and
// strided operands, stored members, reductions over leading, trailing and middle axes) and
// compares every output with the float64 reference.
func TestFusedChainsMatchReference(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *graph.Graph) []*graph.Node
	}{
		{"actnorm and relu, stored members", func(g *graph.Graph) []*graph.Node {
			x, b, s := g.Input("x", 3, 5, 4, 7), g.Param("b", 1, 5, 1, 1), g.Param("s", 1, 5, 1, 1)
			h := g.Mul(g.Add(x, b), g.Exp(s))
			r := g.Relu(h)
			return []*graph.Node{r, g.Sum(g.Mul(h, r), 0, 2, 3)}
		}},
		{"per-sample reduction of a chain", func(g *graph.Graph) []*graph.Node {
			x, y := g.Input("x", 4, 3, 6), g.Input("y", 4, 1, 6)
			return []*graph.Node{g.SumSquares(g.Sub(g.Sigmoid(x), g.MulScalar(y, 0.5)), 1, 2)}
		}},
		{"mean over the middle axis with a transposed operand", func(g *graph.Graph) []*graph.Node {
			x, w := g.Input("x", 5, 6), g.Param("w", 6, 5)
			wt := g.Transpose(w)
			return []*graph.Node{g.Mean(g.Reshape(g.Mul(g.Softplus(x), wt), 5, 2, 3), 1)}
		}},
		{"reduction over the leading axis, a stored member written with a stride", func(g *graph.Graph) []*graph.Node {
			x, c := g.Input("x", 7, 9), g.Param("c", 1, 9)
			h := g.Tanh(x)
			return []*graph.Node{g.Sum(g.Div(h, g.AddScalar(g.Square(c), 1)), 0), h}
		}},
		{"reduction over a long leading axis in pieces, the kept axis innermost", func(g *graph.Graph) []*graph.Node {
			x, c := g.Input("x", 64, 5), g.Param("c", 1, 5)
			h := g.Mul(g.Exp(x), c)
			return []*graph.Node{g.SumSquares(g.AddScalar(h, 1), 0), h}
		}},
		{"mean over batch and pixels in pieces, per channel", func(g *graph.Graph) []*graph.Node {
			x, b := g.Input("x", 40, 3, 2, 5), g.Param("b", 1, 3, 1, 1)
			return []*graph.Node{g.Mean(g.Relu(g.Add(x, b)), 0, 2, 3)}
		}},
		{"scalar operands and a member read by a later matmul", func(g *graph.Graph) []*graph.Node {
			x := g.Input("x", 3, 3)
			a := g.Mul(g.Affine(x, 2, -1), g.Scalar(3))
			b := g.Sub(g.Scalar(1), g.LogSigmoid(a))
			return []*graph.Node{b, g.Matmul(a, x)}
		}},
		{"blocks of many short runs, a per-row operand gathered", func(g *graph.Graph) []*graph.Node {
			x, b := g.Input("x", 3, 100, 6), g.Param("b", 1, 100, 1)
			h := g.Mul(g.Exp(g.Add(x, b)), b)
			return []*graph.Node{g.Relu(h), g.Sum(h, 0, 2), g.SumSquares(h, 0, 1, 2)}
		}},
		{"sum over the second and last axes, a stored member scattered by rows", func(g *graph.Graph) []*graph.Node {
			x, c := g.Input("x", 4, 3, 5, 6), g.Param("c", 1, 3, 1, 6)
			h := g.Softplus(g.Mul(x, c))
			return []*graph.Node{g.Sum(g.Square(h), 1, 3), h}
		}},
		{"long chain over blocks larger than one", func(g *graph.Graph) []*graph.Node {
			x, c := g.Input("x", 2, 3000), g.Param("c", 1, 3000)
			v := x
			for range 6 {
				v = g.Add(g.Mul(v, c), x)
				v = g.Silu(v)
			}
			return []*graph.Node{v, g.Sum(v, 1)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New()
			outs := tc.build(g)
			p, err := graph.Compile(g, outs...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(p.Chains, func(f *graph.Fused) bool { return f != nil }) {
				t.Fatal("the plan fuses no chain; the test would not exercise the fused kernels")
			}
			r := rand.New(rand.NewPCG(1, 2))
			feeds := graph.Feeds{}
			f64 := map[string][]float64{}
			for _, n := range p.Feeds {
				tt := graph.Zeros(n.Shape()...)
				f64[n.LeafName()] = make([]float64, len(tt.Data))
				for i := range tt.Data {
					tt.Data[i] = float32(r.Float64()*2 - 1)
					f64[n.LeafName()][i] = float64(tt.Data[i])
				}
				feeds[n.LeafName()] = tt
			}
			got, err := New().Run(context.Background(), p, feeds)
			if err != nil {
				t.Fatal(err)
			}
			got64, err := New().RunFloat64(context.Background(), p, f64)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceValues(t, g, f64)
			for i, o := range outs {
				w := want[o.ID()]
				for j := range w {
					tol := 1e-5 * max(1, math.Abs(w[j]))
					if d := math.Abs(float64(got[i].Data[j]) - w[j]); !(d <= tol*10) {
						t.Fatalf("output %d (%v) [%d]: float32 %g, reference %g", i, o, j, got[i].Data[j], w[j])
					}
					if d := math.Abs(got64[i][j] - w[j]); !(d <= 1e-12*max(1, math.Abs(w[j]))) {
						t.Fatalf("output %d (%v) [%d]: float64 %g, reference %g", i, o, j, got64[i][j], w[j])
					}
				}
			}
		})
	}
}

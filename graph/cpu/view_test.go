package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// viewOffsets lists the element offsets of v's index space in row-major order.
func viewOffsets(v graph.View) []int {
	n := v.Size()
	out := make([]int, 0, n)
	walk(v.Shape, [][]int{v.Strides}, 0, n, func(off []int, m int) {
		out = append(out, v.Offset+off[0]) // m is 1 for a view of rank 0
		for i := 1; i < m; i++ {
			out = append(out, v.Offset+off[0]+i*v.Strides[len(v.Strides)-1])
		}
	})
	return out
}

// atCores runs f with GOMAXPROCS set to each of 1 and 3, so that kernels split work differently.
func atCores(t *testing.T, f func(t *testing.T)) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 3} {
		runtime.GOMAXPROCS(p)
		t.Run(fmt.Sprintf("cores%d", p), f)
	}
}

// TestReduceView checks the reduction kernel against one float64 loop per output over its
// elements in row-major order: the results must be equal bit for bit, whatever the path and the
// number of cores.
func TestReduceView(t *testing.T) {
	type tc struct {
		op graph.Op
		x  graph.Shape
	}
	var cases []tc
	for _, axes := range [][]int{{0, 2, 3}, {1, 2, 3}, {2, 3}, {0}, {1}, {3}, {0, 1, 2, 3}, {0, 2}} {
		for _, x := range []graph.Shape{{8, 6, 32, 32}, {5, 3, 4, 4}, {3, 7, 1, 5}} {
			cases = append(cases, tc{&graph.Reduce{Axes: axes}, x})
		}
	}
	cases = append(cases, tc{&graph.AvgPool{Size: 2}, graph.Shape{4, 6, 32, 32}}, tc{&graph.AvgPool{Size: 3}, graph.Shape{2, 3, 6, 9}})
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		x := randomTensor(r, c.x...).Data
		red, _ := graph.Reductions(c.op, c.x)
		kept, within := viewOffsets(red.Kept), viewOffsets(red.Reduced)
		fns := []graph.ReduceFn{graph.Sum, graph.Mean, graph.LogSumExp, graph.SumSquares}
		if _, ok := c.op.(*graph.AvgPool); ok {
			fns = fns[1:2]
		}
		for _, fn := range fns {
			want := make([]float32, len(kept))
			for k, base := range kept {
				want[k] = float32(reference(fn, x, base, within))
			}
			t.Run(fmt.Sprintf("%s%v/%s", c.op.Kind(), c.x, fn), func(t *testing.T) {
				atCores(t, func(t *testing.T) {
					got := make([]float32, len(kept))
					if o, ok := c.op.(*graph.Reduce); ok {
						reduce(&graph.Reduce{Fn: fn, Axes: o.Axes}, x, c.x, got)
					} else {
						avgPool(c.op.(*graph.AvgPool).Size, x, c.x, got)
					}
					for k := range got {
						if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
							t.Fatalf("output %d: %v, want %v", k, got[k], want[k])
						}
					}
				})
			})
		}
	}
}

// reference reduces x's elements at base+o for the offsets o in order, in float64.
func reference(fn graph.ReduceFn, x []float32, base int, offsets []int) float64 {
	var acc float64
	switch fn {
	case graph.LogSumExp:
		m := math.Inf(-1)
		for _, o := range offsets {
			m = math.Max(m, float64(x[base+o]))
		}
		for _, o := range offsets {
			acc += math.Exp(float64(x[base+o]) - m)
		}
		return m + math.Log(acc)
	case graph.SumSquares:
		for _, o := range offsets {
			acc += float64(x[base+o]) * float64(x[base+o])
		}
		return acc
	}
	for _, o := range offsets {
		acc += float64(x[base+o])
	}
	if fn == graph.Mean {
		acc /= float64(len(offsets))
	}
	return acc
}

// TestCopyView checks the copy kernel, which reorders and blocks the axes of a copy, against the
// copies graph derives, element by element.
func TestCopyView(t *testing.T) {
	cases := []struct {
		op graph.Op
		in []graph.Shape
	}{
		{&graph.SpaceToDepth{Block: 2}, []graph.Shape{{8, 2, 32, 32}}},
		{&graph.DepthToSpace{Block: 2}, []graph.Shape{{8, 16, 16, 16}}},
		{&graph.DepthToSpace{Block: 3}, []graph.Shape{{2, 18, 5, 4}}},
		{&graph.Upsample{Factor: 2}, []graph.Shape{{4, 3, 40, 40}}},
		{&graph.Permute{Perm: []int{2, 0, 3, 1}}, []graph.Shape{{6, 7, 40, 50}}},
		{&graph.BroadcastTo{To: graph.Shape{4, 30, 5, 40}}, []graph.Shape{{30, 1, 40}}},
		{&graph.Slice{Start: []int{0, 1, 0, 3}, End: []int{16, 2, 16, 16}}, []graph.Shape{{16, 2, 16, 16}}},
		{&graph.Pad{Lo: []int{0, 1, 0, 0}, Hi: []int{0, 0, 2, 1}}, []graph.Shape{{64, 1, 16, 16}}},
		{&graph.Concat{Axis: 1}, []graph.Shape{{64, 2, 8, 8}, {64, 2, 8, 8}, {64, 1, 8, 8}}},
		{&graph.Concat{Axis: 3}, []graph.Shape{{3, 2, 4, 1}, {3, 2, 4, 5}}},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		ins := make([][]float32, len(c.in))
		for i, s := range c.in {
			ins[i] = randomTensor(r, s...).Data
		}
		copies, _ := graph.Copies(c.op, c.in)
		want := []float32{}
		for _, cp := range copies {
			dst := viewOffsets(cp.Dst)
			for i, s := range viewOffsets(cp.Src) {
				if dst[i] >= len(want) {
					want = append(want, make([]float32, dst[i]+1-len(want))...)
				}
				want[dst[i]] = ins[cp.Input][s]
			}
		}
		t.Run(fmt.Sprintf("%s%v", c.op.Kind(), c.in), func(t *testing.T) {
			atCores(t, func(t *testing.T) {
				got := make([]float32, len(want))
				for _, cp := range copies {
					copyView(got, ins[cp.Input], cp)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("element %d: %v, want %v", i, got[i], want[i])
					}
				}
			})
		})
	}
}

package graph

import (
	"slices"
	"testing"
)

// offsets lists the element offsets of v's index space in row-major order.
func offsets(v View) []int {
	out := make([]int, 0, v.Size())
	idx := make([]int, len(v.Shape))
	for range v.Size() {
		off := v.Offset
		for i, j := range idx {
			off += j * v.Strides[i]
		}
		out = append(out, off)
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < v.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// unflatten returns the multi-index of the row-major position i in shape s.
func unflatten(i int, s Shape) []int {
	idx := make([]int, len(s))
	for d := len(s) - 1; d >= 0; d-- {
		idx[d] = i % s[d]
		i /= s[d]
	}
	return idx
}

func flatten(idx []int, s Shape) int {
	off := 0
	for d, st := range s.Strides() {
		off += idx[d] * st
	}
	return off
}

// source is a result element's origin: operand input at its multi-index idx, or zero if !ok.
type source struct {
	input int
	idx   []int
	ok    bool
}

func TestCopies(t *testing.T) {
	cases := []struct {
		name string
		op   Op
		in   []Shape
		// ref says, element by element, where the result's element y comes from.
		ref func(y []int) source
	}{
		{"permute", &Permute{Perm: []int{2, 0, 1}}, []Shape{{2, 3, 4}}, func(y []int) source {
			return source{0, []int{y[1], y[2], y[0]}, true}
		}},
		{"broadcast", &BroadcastTo{To: Shape{2, 3, 4}}, []Shape{{3, 1}}, func(y []int) source {
			return source{0, []int{y[1], 0}, true}
		}},
		{"slice", &Slice{Start: []int{1, 0, 2}, End: []int{3, 5, 5}}, []Shape{{4, 5, 6}}, func(y []int) source {
			return source{0, []int{y[0] + 1, y[1], y[2] + 2}, true}
		}},
		{"pad", &Pad{Lo: []int{0, 1, 2}, Hi: []int{1, 0, 1}}, []Shape{{2, 3, 4}}, func(y []int) source {
			x := []int{y[0], y[1] - 1, y[2] - 2}
			for d, v := range x {
				if v < 0 || v >= []int{2, 3, 4}[d] {
					return source{}
				}
			}
			return source{0, x, true}
		}},
		{"concat", &Concat{Axis: 1}, []Shape{{2, 3, 4}, {2, 1, 4}, {2, 2, 4}}, func(y []int) source {
			switch {
			case y[1] < 3:
				return source{0, []int{y[0], y[1], y[2]}, true}
			case y[1] < 4:
				return source{1, []int{y[0], y[1] - 3, y[2]}, true}
			}
			return source{2, []int{y[0], y[1] - 4, y[2]}, true}
		}},
		{"spacetodepth2", &SpaceToDepth{Block: 2}, []Shape{{2, 3, 4, 6}}, func(y []int) source {
			c, i, j := y[1]/4, y[1]/2%2, y[1]%2
			return source{0, []int{y[0], c, 2*y[2] + i, 2*y[3] + j}, true}
		}},
		{"spacetodepth3", &SpaceToDepth{Block: 3}, []Shape{{1, 2, 6, 3}}, func(y []int) source {
			c, i, j := y[1]/9, y[1]/3%3, y[1]%3
			return source{0, []int{y[0], c, 3*y[2] + i, 3*y[3] + j}, true}
		}},
		{"depthtospace2", &DepthToSpace{Block: 2}, []Shape{{2, 12, 2, 3}}, func(y []int) source {
			i, j := y[2]%2, y[3]%2
			return source{0, []int{y[0], 4*y[1] + 2*i + j, y[2] / 2, y[3] / 2}, true}
		}},
		{"upsample3", &Upsample{Factor: 3}, []Shape{{2, 2, 3, 2}}, func(y []int) source {
			return source{0, []int{y[0], y[1], y[2] / 3, y[3] / 3}, true}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ys, err := tc.op.inferShape(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			copies, ok := Copies(tc.op, tc.in)
			if !ok {
				t.Fatal("Copies: not a data movement")
			}
			for _, collapse := range []bool{false, true} {
				// from[k] is the (input, offset) written to result element k, or -1s if none.
				type elem struct{ input, off int }
				from := make([]elem, ys.Size())
				for i := range from {
					from[i] = elem{-1, -1}
				}
				for _, c := range copies {
					if !slices.Equal(c.Src.Shape, c.Dst.Shape) {
						t.Fatalf("source shape %v, destination %v", c.Src.Shape, c.Dst.Shape)
					}
					if collapse {
						c = c.Collapse()
					}
					src, dst := offsets(c.Src), offsets(c.Dst)
					for i, d := range dst {
						if from[d].input >= 0 {
							t.Fatalf("collapse %v: result element %v written twice", collapse, unflatten(d, ys))
						}
						from[d] = elem{c.Input, src[i]}
					}
				}
				for k, got := range from {
					y := unflatten(k, ys)
					s := tc.ref(y)
					want := elem{-1, -1}
					if s.ok {
						want = elem{s.input, flatten(s.idx, tc.in[s.input])}
					}
					if got != want {
						t.Fatalf("collapse %v: result %v reads (input, offset) %v, want %v", collapse, y, got, want)
					}
				}
			}
		})
	}
}

func TestReductions(t *testing.T) {
	cases := []struct {
		name string
		op   Op
		x    Shape
		// out is the result offset that x's element at idx contributes to.
		out func(x []int) int
	}{
		{"axes023", &Reduce{Axes: []int{0, 2, 3}}, Shape{2, 3, 4, 5}, func(x []int) int { return x[1] }},
		{"axes123", &Reduce{Axes: []int{1, 2, 3}}, Shape{2, 3, 4, 5}, func(x []int) int { return x[0] }},
		{"axes23", &Reduce{Axes: []int{2, 3}}, Shape{2, 3, 4, 5}, func(x []int) int { return 3*x[0] + x[1] }},
		{"axis0", &Reduce{Axes: []int{0}}, Shape{4, 3, 2}, func(x []int) int { return 2*x[1] + x[2] }},
		{"axis1", &Reduce{Axes: []int{1}, KeepDims: true}, Shape{4, 3, 2}, func(x []int) int { return 2*x[0] + x[2] }},
		{"all", &Reduce{Axes: []int{0, 1}}, Shape{3, 5}, func([]int) int { return 0 }},
		{"avgpool2", &AvgPool{Size: 2}, Shape{2, 3, 4, 6}, func(x []int) int {
			return ((x[0]*3+x[1])*2+x[2]/2)*3 + x[3]/2
		}},
		{"avgpool3", &AvgPool{Size: 3}, Shape{1, 2, 3, 9}, func(x []int) int { return x[1]*3 + x[3]/3 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ys, err := tc.op.inferShape([]Shape{tc.x})
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]int, ys.Size())
			for i := range tc.x.Size() {
				k := tc.out(unflatten(i, tc.x))
				want[k] = append(want[k], i)
			}
			r, ok := Reductions(tc.op, tc.x)
			if !ok {
				t.Fatal("Reductions: not a reduction")
			}
			for _, collapse := range []bool{false, true} {
				v := r
				if collapse {
					v = r.Collapse()
				}
				kept, red := offsets(v.Kept), offsets(v.Reduced)
				if len(kept) != len(want) {
					t.Fatalf("collapse %v: %d outputs, want %d", collapse, len(kept), len(want))
				}
				for k, base := range kept {
					got := make([]int, len(red))
					for j, o := range red {
						got[j] = base + o
					}
					slices.Sort(got)
					if !slices.Equal(got, want[k]) {
						t.Fatalf("collapse %v: output %d reduces offsets %v, want %v", collapse, k, got, want[k])
					}
				}
			}
		})
	}
}

func TestViewsOfOtherOps(t *testing.T) {
	if _, ok := Copies(&Unary{Fn: Exp}, []Shape{{2}}); ok {
		t.Error("Copies of exp: ok")
	}
	if _, ok := Reductions(&Permute{Perm: []int{0}}, Shape{2}); ok {
		t.Error("Reductions of permute: ok")
	}
}

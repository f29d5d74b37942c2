package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// special values every loop must treat as the pure-Go loops do.
var special = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.SmallestNonzeroFloat32, -math.MaxFloat32, 3e38}

// operand returns n values starting at a random offset into a larger slice (so that the
// assembly sees unaligned starts), with special values mixed in.
func operand(r *rand.Rand, n int) []float32 {
	off := r.IntN(8)
	v := make([]float32, n+off)
	for i := range v {
		if r.IntN(8) == 0 {
			v[i] = special[r.IntN(len(special))]
		} else {
			v[i] = float32(r.NormFloat64() * 10)
		}
	}
	return v[off:]
}

// sameBits reports whether a and b are equal bit for bit, NaNs being equal to any NaN.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// lengths covers empty, tails of every size, one and several 8- and 32-element iterations.
var lengths = []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 100, 513}

// both runs f with the assembly loops and with the pure-Go ones.
func both(t *testing.T, f func()) {
	t.Helper()
	if !hasAVX2 {
		t.Skip("no assembly loops on this CPU or build: the pure-Go loops are the only ones (tested through graph/cpu)")
	}
	defer func() { hasAVX2 = true }()
	hasAVX2 = true
	f()
	hasAVX2 = false
	f()
}

func TestLoopsMatchPureGo(t *testing.T) {
	const c, scale, shift = float32(-1.75), float32(0.3), float32(2.5)
	loops := map[string]func(y, a, b []float32){
		"add": Add, "sub": Sub, "mul": Mul, "div": Div,
		"add scalar":  func(y, a, _ []float32) { AddScalar(y, a, c) },
		"sub scalar":  func(y, a, _ []float32) { SubScalar(y, a, c) },
		"scalar sub":  func(y, a, _ []float32) { ScalarSub(y, a, c) },
		"mul scalar":  func(y, a, _ []float32) { MulScalar(y, a, c) },
		"div scalar":  func(y, a, _ []float32) { DivScalar(y, a, c) },
		"scalar div":  func(y, a, _ []float32) { ScalarDiv(y, a, c) },
		"affine":      func(y, a, _ []float32) { Affine(y, a, scale, shift) },
		"relu":        func(y, a, _ []float32) { Relu(y, a) },
		"step":        func(y, a, _ []float32) { Step(y, a) },
		"neg":         func(y, a, _ []float32) { Neg(y, a) },
		"square":      func(y, a, _ []float32) { Square(y, a) },
		"exp":         func(y, a, _ []float32) { Exp(y, a) },
		"sigmoid":     func(y, a, _ []float32) { Sigmoid(y, a) },
		"softplus":    func(y, a, _ []float32) { Softplus(y, a) },
		"log sigmoid": func(y, a, _ []float32) { LogSigmoid(y, a) },
		"sum":         func(y, a, _ []float32) { y[0] = float32(Sum(a[:len(y)-1])) },
		"sum squares": func(y, a, _ []float32) { y[0] = float32(SumSquares(a[:len(y)-1])) },
	}
	r := rand.New(rand.NewPCG(1, 1))
	for name, f := range loops {
		for _, n := range lengths {
			a, b := operand(r, n+1), operand(r, n+1)
			var got [2][]float32
			k := 0
			both(t, func() {
				got[k] = make([]float32, n+1)
				f(got[k], a, b)
				k++
			})
			for i := range got[0] {
				if !sameBits(got[0][i], got[1][i]) {
					t.Fatalf("%s, n = %d, [%d]: assembly %g (%#x), Go %g (%#x) from a = %g, b = %g", name, n, i,
						got[0][i], math.Float32bits(got[0][i]), got[1][i], math.Float32bits(got[1][i]), a[i], b[i])
				}
			}
		}
	}
}

// ulps returns how many float32 values lie between got and want (rounded to float32).
func ulps(got float32, want float64) int64 {
	w := float32(want)
	d := int64(int32(math.Float32bits(got))) - int64(int32(math.Float32bits(w)))
	return max(d, -d)
}

// TestExpAccuracy sweeps exp32 and the functions built on it over their whole range, normal and
// subnormal results, overflow and the special values, against the float64 functions.
func TestExpAccuracy(t *testing.T) {
	funcs := []struct {
		name   string
		f      func(y, a []float32)
		want   func(x float64) float64
		maxULP int64
	}{
		{"exp", Exp, math.Exp, 2},
		{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 3},
		{"softplus", Softplus, func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }, 3},
		{"log sigmoid", LogSigmoid, func(x float64) float64 { return math.Min(x, 0) - math.Log1p(math.Exp(-math.Abs(x))) }, 3},
	}
	var xs []float32
	for x := -110.0; x <= 95; x += 0.0137 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, special...)
	xs = append(xs, -87.33655, -87.3365, 88.7228, 88.7229, 1e-8, -1e-8, 0.34657359, -0.34657359)
	for _, fn := range funcs {
		both(t, func() {
			y := make([]float32, len(xs))
			fn.f(y, xs)
			for i, x := range xs {
				want := fn.want(float64(x))
				switch {
				case math.IsNaN(want):
					if y[i] == y[i] {
						t.Fatalf("%s(%g) = %g, want NaN (assembly %v)", fn.name, x, y[i], hasAVX2)
					}
				case math.Abs(want) < 0x1p-126: // a subnormal result: within its spacing
					if d := math.Abs(float64(y[i]) - want); !(d <= 2*0x1p-149) {
						t.Fatalf("%s(%g) = %g, want %g (assembly %v)", fn.name, x, y[i], want, hasAVX2)
					}
				default:
					if u := ulps(y[i], want); u > fn.maxULP {
						t.Fatalf("%s(%g) = %g, want %g: %d units in the last place (assembly %v)", fn.name, x, y[i], want, u, hasAVX2)
					}
				}
			}
		})
	}
}

func TestSumsAreExact(t *testing.T) {
	// Small integers sum exactly in float64 in any order: both ways must give the exact sum.
	for _, n := range lengths {
		x := make([]float32, n)
		want, wantSq := 0.0, 0.0
		for i := range x {
			x[i] = float32(i%7 - 3)
			want += float64(x[i])
			wantSq += float64(x[i]) * float64(x[i])
		}
		both(t, func() {
			if got := Sum(x); got != want {
				t.Errorf("n = %d: Sum %g, want %g (assembly %v)", n, got, want, hasAVX2)
			}
			if got := SumSquares(x); got != wantSq {
				t.Errorf("n = %d: SumSquares %g, want %g (assembly %v)", n, got, wantSq, hasAVX2)
			}
			if got := Dot(x, x); float64(got) != wantSq {
				t.Errorf("n = %d: Dot %g, want %g (assembly %v)", n, got, wantSq, hasAVX2)
			}
		})
	}
}

func BenchmarkLoops(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 512 // a fused chain's block
	y, a, v := make([]float32, n), operand(r, n), operand(r, n)
	for _, asm := range []bool{false, true} {
		if asm && !Accelerated() {
			continue
		}
		name := "go"
		if asm {
			name = "avx2"
		}
		for _, l := range []struct {
			op string
			f  func()
		}{
			{"mul", func() { Mul(y, a, v) }},
			{"mul-scalar", func() { MulScalar(y, a, 3) }},
			{"relu", func() { Relu(y, a) }},
			{"exp", func() { Exp(y, a) }},
			{"sigmoid", func() { Sigmoid(y, a) }},
			{"sum", func() { y[0] = float32(Sum(a)) }},
			{"dot", func() { y[0] = Dot(a, v) }},
		} {
			b.Run(l.op+"/"+name, func(b *testing.B) {
				defer func(v bool) { hasAVX2 = v }(hasAVX2)
				hasAVX2 = asm
				for b.Loop() {
					l.f()
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}

package shiftconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randoms(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// randomRuns returns k run starts within [0, span).
func randomRuns(r *rand.Rand, k, span int) Runs {
	s := make([]int, k)
	for i := range s {
		s[i] = r.IntN(span)
	}
	return NewRuns(s)
}

// close reports whether got is within the rounding of a sum of terms of total magnitude mag.
func close(got, want, mag float64, terms int) bool {
	return math.Abs(got-want) <= 4*float64(terms+2)*0x1p-24*mag
}

// withKernels runs f with each kernel set this CPU and build have.
func withKernels(t *testing.T, f func(set kernelSet)) {
	t.Helper()
	if len(kernels) == 1 {
		t.Log("no assembly kernels on this CPU or build: testing the pure-Go ones against the float64 reference only")
	}
	defer func(u kernelSet) { use = u }(use)
	for _, k := range kernels {
		use = k
		f(k)
	}
}

func TestForwardMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, k := range []int{0, 1, 2, 7, 18, 1152} {
		const span, ldy = 300, 37
		w, src, runs := randoms(r, Outputs*k), randoms(r, span+Positions), randomRuns(r, k, span)
		withKernels(t, func(asm kernelSet) {
			y := randoms(r, (Outputs-1)*ldy+Positions+3)
			before := append([]float32(nil), y...)
			Forward(w, runs, src, y, ldy)
			for i := range y {
				o, q := i/ldy, i%ldy
				if o >= Outputs || q >= Positions {
					if y[i] != before[i] {
						t.Fatalf("k = %d, kernels %s: y[%d] outside the tile changed", k, asm, i)
					}
					continue
				}
				var want, mag float64
				for j, s := range runs.start {
					term := float64(w[Outputs*j+o]) * float64(src[s+q])
					want += term
					mag += math.Abs(term)
				}
				if !close(float64(y[i]), want, mag, k) {
					t.Fatalf("k = %d, kernels %s: y[%d][%d] = %g, want %g", k, asm, o, q, y[i], want)
				}
			}
		})
	}
}

func TestDotMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, chunks := range []int{1, 2, 5, 18} {
		const span, ldg, ldw = 200, 300, 7
		g, src := randoms(r, (Outputs-1)*ldg+Lanes*chunks), randoms(r, span+Lanes*chunks)
		runs := randomRuns(r, Outputs, span)
		withKernels(t, func(asm kernelSet) {
			dw := randoms(r, (Outputs-1)*ldw+Outputs+2)
			before := append([]float32(nil), dw...)
			Dot(chunks, g, ldg, runs, src, dw, ldw)
			for i := range dw {
				o, rr := i/ldw, i%ldw
				if o >= Outputs || rr >= Outputs {
					if dw[i] != before[i] {
						t.Fatalf("chunks = %d, kernels %s: dw[%d] outside the block changed", chunks, asm, i)
					}
					continue
				}
				want, mag := float64(before[i]), math.Abs(float64(before[i]))
				for q := range Lanes * chunks {
					term := float64(g[o*ldg+q]) * float64(src[runs.start[rr]+q])
					want += term
					mag += math.Abs(term)
				}
				if !close(float64(dw[i]), want, mag, Lanes*chunks) {
					t.Fatalf("chunks = %d, kernels %s: dw[%d][%d] = %g, want %g", chunks, asm, o, rr, dw[i], want)
				}
			}
		})
	}
}

// BenchmarkKernels times Forward over the 1152 runs of a 128-channel 3x3 convolution and Dot
// over 18 chunks (a 16x16 plane at pitch 18), in GFLOP/s.
func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	const k, chunks, span = 1152, 18, 128 * 324
	w, src, runs := randoms(r, Outputs*k), randoms(r, span+Positions+Lanes*chunks), randomRuns(r, k, span)
	y, g, dw := make([]float32, Outputs*Positions), randoms(r, Outputs*Lanes*chunks), make([]float32, Outputs*Outputs)
	for _, set := range kernels {
		b.Run(fmt.Sprintf("forward/%s", set), func(b *testing.B) {
			defer func(u kernelSet) { use = u }(use)
			use = set
			for i := 0; i < b.N; i++ {
				Forward(w, runs, src, y, Positions)
			}
			b.ReportMetric(2*Outputs*Positions*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("dot/%s", set), func(b *testing.B) {
			defer func(u kernelSet) { use = u }(use)
			use = set
			four := NewRuns(runs.start[:Outputs])
			for i := 0; i < b.N; i++ {
				Dot(chunks, g, Lanes*chunks, four, src, dw, Outputs)
			}
			b.ReportMetric(2*Outputs*Outputs*Lanes*chunks*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

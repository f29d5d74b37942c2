package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// problem is one product C = op(A) op(B) + beta C with its storage.
type problem struct {
	tA, tB        bool
	m, n, k       int
	lda, ldb, ldc int
	beta          float32
	a, b, c       []float32
}

// newProblem fills a product of the given shape with random values; pad widens every leading
// dimension past its row width and shift starts each slice one element into its backing array,
// so that nothing is aligned.
func newProblem(r *rand.Rand, tA, tB bool, m, n, k, pad int, shift bool, beta float32) problem {
	p := problem{tA: tA, tB: tB, m: m, n: n, k: k, beta: beta}
	ra, ca := m, k
	if tA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB {
		rb, cb = n, k
	}
	p.lda, p.ldb, p.ldc = max(ca, 1)+pad, max(cb, 1)+pad, max(n, 1)+pad
	p.a = randomSlice(r, ra*p.lda, shift)
	p.b = randomSlice(r, rb*p.ldb, shift)
	p.c = randomSlice(r, m*p.ldc, shift)
	return p
}

func randomSlice(r *rand.Rand, n int, shift bool) []float32 {
	s := make([]float32, n+1)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	if shift {
		return s[1:]
	}
	return s[:n]
}

// reference returns the float64 product and, per element, the sum of |terms| that bounds its
// rounding error.
func (p problem) reference() (want, mag []float64) {
	want, mag = make([]float64, p.m*p.n), make([]float64, p.m*p.n)
	for i := range p.m {
		for j := range p.n {
			var s, g float64
			for q := range p.k {
				t := float64(p.a[offset(p.tA, i, q, p.lda)]) * float64(p.b[offset(!p.tB, j, q, p.ldb)])
				s += t
				g += math.Abs(t)
			}
			cv := float64(p.c[i*p.ldc+j])
			if p.beta != 0 {
				s += float64(p.beta) * cv
				g += math.Abs(float64(p.beta) * cv)
			}
			want[i*p.n+j], mag[i*p.n+j] = s, g
		}
	}
	return want, mag
}

// check compares C after the product with the reference, and the padding of C with its value
// before.
func (p problem) check(t *testing.T, before []float32, want, mag []float64) {
	t.Helper()
	tol := 4 * float64(p.k+2) * 0x1p-24
	for i := range p.m {
		for j := range p.ldc {
			got := p.c[i*p.ldc+j]
			if j >= p.n {
				if got != before[i*p.ldc+j] {
					t.Fatalf("C[%d,%d] past column n changed: %v, was %v", i, j, got, before[i*p.ldc+j])
				}
				continue
			}
			w, g := want[i*p.n+j], mag[i*p.n+j]
			if d := math.Abs(float64(got) - w); !(d <= tol*g+1e-30) {
				t.Fatalf("C[%d,%d] = %v, want %v (|diff| %.3g > %.3g)", i, j, got, w, d, tol*g)
			}
		}
	}
}

// run computes the product with kern and checks it.
func (p problem) run(t *testing.T, kern *kernel) {
	t.Helper()
	want, mag := p.reference()
	before := append([]float32(nil), p.c...)
	gemmWith(kern, p.tA, p.tB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	p.check(t, before, want, mag)
}

var oddSizes = []int{1, 2, 3, 5, 7, 13, 17, 31, 33, 65, 100, 129}

// TestKernels runs every kernel this CPU has on odd shapes, every transpose combination,
// padded leading dimensions, unaligned slices and several betas.
func TestKernels(t *testing.T) {
	for name, why := range missing() {
		t.Logf("kernel %s skipped: %s", name, why)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, kern := range kernels {
		t.Run(kern.name, func(t *testing.T) {
			for i, m := range oddSizes {
				n := oddSizes[(i+3)%len(oddSizes)]
				k := oddSizes[(i+7)%len(oddSizes)]
				for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					for bi, beta := range []float32{0, 1, -0.5, 2} {
						p := newProblem(r, tr[0], tr[1], m, n, k, bi, bi%2 == 1, beta)
						t.Run(fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/beta=%v", m, n, k, tr[0], tr[1], beta), func(t *testing.T) {
							p.run(t, kern)
						})
					}
				}
			}
		})
	}
}

// TestBlocking runs products larger than one block of every loop (mc, kc, nc) on every kernel.
func TestBlocking(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, kern := range kernels {
		m, n, k := kern.mc+kern.mr+1, kern.nc+kern.nr+3, 2*kern.kc+5
		for _, tr := range [2][2]bool{{false, false}, {true, true}} {
			p := newProblem(r, tr[0], tr[1], m, n, k, 3, true, 0.5)
			t.Run(fmt.Sprintf("%s/tA=%v/tB=%v", kern.name, tr[0], tr[1]), func(t *testing.T) {
				p.run(t, kern)
			})
		}
	}
}

// TestParallel splits products by rows and by columns over several goroutines.
func TestParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ m, n, k, workers int }{
		{300, 130, 70, 3},  // by rows
		{70, 301, 130, 4},  // by columns
		{129, 129, 129, 7}, // more workers than a row of tiles allows on small kernels
		{5, 7, 3, 4},       // fewer tiles than workers on large kernels
	}
	for _, c := range cases {
		for _, kern := range kernels {
			p := newProblem(r, c.m%2 == 0, c.n%2 == 0, c.m, c.n, c.k, 1, true, 1)
			t.Run(fmt.Sprintf("%s/%dx%dx%d/%d", kern.name, c.m, c.n, c.k, c.workers), func(t *testing.T) {
				p.runSplit(t, kern, c.workers)
			})
		}
	}
}

// runSplit is run through splitGemm, ParallelGemm's split, whatever the size.
func (p problem) runSplit(t *testing.T, kern *kernel, workers int) {
	t.Helper()
	want, mag := p.reference()
	before := append([]float32(nil), p.c...)
	splitGemm(kern, workers, p.tA, p.tB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	p.check(t, before, want, mag)
}

// TestPackedA multiplies A packed once by several B, on every kernel: odd shapes, transposes,
// betas, and products past one block of mc and kc.
func TestPackedA(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, kern := range kernels {
		shapes := [][3]int{{1, 1, 1}, {13, 33, 7}, {129, 17, 65}, {kern.mc + kern.mr + 1, 40, 2*kern.kc + 5}}
		for i, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				beta := []float32{0, 1, -0.5, 2}[i]
				p := newProblem(r, tr[0], tr[1], m, n, k, i%2, i%2 == 1, beta)
				packed := packAWith(kern, p.tA, m, k, p.a, p.lda)
				t.Run(fmt.Sprintf("%s/%dx%dx%d/tA=%v/tB=%v", kern.name, m, n, k, tr[0], tr[1]), func(t *testing.T) {
					for range 2 { // the same packing, used twice
						q := newProblem(r, p.tA, p.tB, m, n, k, i%2, i%2 == 1, beta)
						q.a = p.a
						want, mag := q.reference()
						before := append([]float32(nil), q.c...)
						packed.Gemm(q.tB, n, q.b, q.ldb, beta, q.c, q.ldc)
						q.check(t, before, want, mag)
					}
				})
			}
		}
	}
}

// TestEdgeCases covers empty dimensions, k = 0 and beta = 0 over NaN.
func TestEdgeCases(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name    string
		m, n, k int
		beta    float32
		c, want []float32
	}{
		{"m=0", 0, 2, 2, 0, []float32{}, []float32{}},
		{"n=0", 2, 0, 2, 0, []float32{7, 7}, []float32{7, 7}},
		{"k=0 beta=0", 1, 2, 0, 0, []float32{nan, 3}, []float32{0, 0}},
		{"k=0 beta=2", 1, 2, 0, 2, []float32{1, 3}, []float32{2, 6}},
		{"beta=0 over NaN", 1, 1, 1, 0, []float32{nan}, []float32{6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := []float32{2, 2}, []float32{3, 3}
			Gemm(false, false, c.m, c.n, c.k, a, max(c.k, 1), b, max(c.n, 1), c.beta, c.c, max(c.n, 1))
			for i := range c.want {
				if c.c[i] != c.want[i] {
					t.Fatalf("C = %v, want %v", c.c, c.want)
				}
			}
		})
	}
}

// TestKernelBlocking checks what the packing relies on: mc a multiple of mr, nc of nr.
func TestKernelBlocking(t *testing.T) {
	for _, kern := range kernels {
		if kern.mc%kern.mr != 0 || kern.nc%kern.nr != 0 || kern.kc < 1 {
			t.Errorf("kernel %s: mc %d, nc %d, kc %d for %dx%d tiles", kern.name, kern.mc, kern.nc, kern.kc, kern.mr, kern.nr)
		}
	}
}

// TestShortC checks that a C shorter than its precondition makes a Go bounds panic on every
// kernel rather than an assembly write past its end.
func TestShortC(t *testing.T) {
	for _, kern := range kernels {
		t.Run(kern.name, func(t *testing.T) {
			m, n, k := kern.mr, kern.nr, 3
			a, b := make([]float32, m*k), make([]float32, k*n)
			backing := make([]float32, m*n)
			c := backing[: m*n-1 : m*n-1]
			defer func() {
				if recover() == nil {
					t.Fatal("no panic for a C one element short")
				}
			}()
			gemmWith(kern, false, false, m, n, k, a, k, b, n, 0, c, n)
		})
	}
}

// TestAligned checks that packing scratch starts on a 64-byte boundary.
func TestAligned(t *testing.T) {
	for _, n := range []int{1, 15, 16, 1000} {
		s := aligned(n)
		if len(s) != n || addr(s)%64 != 0 {
			t.Fatalf("aligned(%d): len %d, address %% 64 = %d", n, len(s), addr(s)%64)
		}
	}
}

// FuzzGemm checks the kernel Gemm uses against the reference on small fuzzed shapes.
func FuzzGemm(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(3), uint8(0), uint8(1), uint64(1))
	f.Add(uint8(13), uint8(1), uint8(33), uint8(15), uint8(2), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 7))
		betas := []float32{0, 1, 0.25, -3}
		p := newProblem(r, flags&1 != 0, flags&2 != 0, int(m%40), int(n%70), int(k%40), int(pad%4),
			flags&4 != 0, betas[flags>>3%4])
		p.run(t, best)
	})
}

func addr(s []float32) uintptr { return uintptr(unsafe.Pointer(&s[0])) }

// BenchmarkGemmKernels times every kernel this CPU has on one goroutine, at 512 x 512 x 512.
func BenchmarkGemmKernels(b *testing.B) {
	const n = 512
	r := rand.New(rand.NewPCG(8, 9))
	x, y, z := randomSlice(r, n*n, false), randomSlice(r, n*n, false), make([]float32, n*n)
	for _, kern := range kernels {
		b.Run(kern.name, func(b *testing.B) {
			for b.Loop() {
				gemmWith(kern, false, false, n, n, n, x, n, y, n, 0, z, n)
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

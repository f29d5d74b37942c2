// Package sgemm is the CPU executor's single-precision matrix product: a blocked GEMM with packed
// panels of A and B and register-blocked micro-kernels (Go assembly: AVX2+FMA or AVX-512 on
// amd64, chosen at run time, and NEON on arm64; pure Go elsewhere).
package sgemm

import (
	"runtime"
	"sync"
	"unsafe"
)

// parallelThreshold is the m*n*k above which ParallelGemm splits a product over goroutines:
// below it the goroutine start-up and the repeated packing cost more than they save.
const parallelThreshold = 1 << 21

// Gemm computes C = op(A) op(B) + beta C on one goroutine, for row-major matrices: op(A) is
// m x k (A is stored k x m when tA, m x k otherwise, with leading dimension lda), op(B) is k x n
// (B is stored n x k when tB, k x n otherwise, leading dimension ldb) and C is m x n with leading
// dimension ldc. When beta is 0, C is overwritten, whatever it held (NaN included).
//
// Gemm checks nothing; the caller guarantees m, n, k >= 0, leading dimensions at least the stored
// row widths (and at least 1), and slices long enough for the rows they are indexed at:
// len(a) >= (rows-1)*lda + cols for A's stored rows x cols, likewise for b and c. Nothing is
// read from A or B when m or n is 0, nor when k is 0 (then C = beta C).
func Gemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmWith(best, tA, tB, m, n, k, a, lda, b, ldb, beta, c, ldc)
}

// ParallelGemm is Gemm split over runtime.GOMAXPROCS(0) goroutines by blocks of C's rows or
// columns (whichever side is longer) when m*n*k exceeds 2^21; smaller products run as Gemm.
// It has Gemm's preconditions. Call it for one large product; a caller that already runs
// products in parallel (one per image of a batch, say) should call Gemm instead, so as not to
// start more goroutines than cores.
func ParallelGemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers := runtime.GOMAXPROCS(0)
	if workers <= 1 || float64(m)*float64(n)*float64(k) <= parallelThreshold {
		Gemm(tA, tB, m, n, k, a, lda, b, ldb, beta, c, ldc)
		return
	}
	splitGemm(best, workers, tA, tB, m, n, k, a, lda, b, ldb, beta, c, ldc)
}

// splitGemm runs the product on kern as at most workers concurrent products, each on a block
// of whole micro-tiles of C's rows (when m >= n) or columns.
func splitGemm(kern *kernel, workers int, tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	byRows := m >= n
	size, unit := n, kern.nr
	if byRows {
		size, unit = m, kern.mr
	}
	tiles := (size + unit - 1) / unit
	parts := max(1, min(workers, tiles))
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*tiles/parts*unit, min((p+1)*tiles/parts*unit, size)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if byRows {
				as := a[offset(tA, lo, 0, lda):]
				gemmWith(kern, tA, tB, hi-lo, n, k, as, lda, b, ldb, beta, c[lo*ldc:], ldc)
				return
			}
			bs := b[offset(!tB, lo, 0, ldb):]
			gemmWith(kern, tA, tB, m, hi-lo, k, a, lda, bs, ldb, beta, c[lo:], ldc)
		}()
	}
	wg.Wait()
}

// offset is the index of element (i, p) of op(X) in X's storage; t says X is stored transposed.
func offset(t bool, i, p, ld int) int {
	if t {
		return p*ld + i
	}
	return i*ld + p
}

// gemmWith is Gemm on the given micro-kernel.
func gemmWith(kern *kernel, tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panelA := func(ic, pc, mc, kc int, dst []float32) []float32 {
		packA(kern.mr, tA, mc, kc, a, lda, ic, pc, dst)
		return dst
	}
	gemmPanels(kern, m, n, k, panelA, tB, b, ldb, beta, c, ldc)
}

// gemmPanels runs the loops of the GotoBLAS scheme: B packed in kc x nc panels (L3), A in
// mc x kc panels (L2) that panelA returns (packed into dst, or packed before), the kernel
// sweeping mr x nr tiles of C.
func gemmPanels(kern *kernel, m, n, k int, panelA func(ic, pc, mc, kc int, dst []float32) []float32,
	tB bool, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if beta != 0 && beta != 1 {
		scale(m, n, beta, c, ldc)
	}
	if k == 0 {
		if beta == 0 {
			scale(m, n, 0, c, ldc)
		}
		return
	}
	s := getScratch(kern)
	defer scratchPool.Put(s)
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packB(kern.nr, tB, kc, nc, b, ldb, pc, jc, s.b)
			acc := pc > 0 || beta != 0
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				ap := panelA(ic, pc, mc, kc, s.a)
				macroKernel(kern, mc, nc, kc, ap, s, c[ic*ldc+jc:], ldc, acc)
			}
		}
	}
}

// PackedA is op(A) packed once into the panels Gemm's loops read, for products of one A by
// many B (a weight matrix by each image of a batch): each product then packs only its B.
type PackedA struct {
	kern   *kernel
	m, k   int
	panels [][]float32 // panel (ic/mc, pc/kc) at index pc/kc*blocksM + ic/mc
}

// PackA packs op(A), m x k (A stored k x m when tA, m x k otherwise, with leading dimension
// lda), for the micro-kernel Gemm uses. It has Gemm's preconditions on A.
func PackA(tA bool, m, k int, a []float32, lda int) *PackedA {
	return packAWith(best, tA, m, k, a, lda)
}

func packAWith(kern *kernel, tA bool, m, k int, a []float32, lda int) *PackedA {
	p := &PackedA{kern: kern, m: m, k: k}
	for pc := 0; pc < k; pc += kern.kc {
		kc := min(kern.kc, k-pc)
		for ic := 0; ic < m; ic += kern.mc {
			mc := min(kern.mc, m-ic)
			// Rows past mc in the last strip stay zero: their tiles are cut before reaching C.
			panel := aligned((mc + kern.mr - 1) / kern.mr * kern.mr * kc)
			packA(kern.mr, tA, mc, kc, a, lda, ic, pc, panel)
			p.panels = append(p.panels, panel)
		}
	}
	return p
}

// Gemm computes C = op(A) op(B) + beta C for the packed op(A), m x k, and op(B) k x n (B stored
// n x k when tB, k x n otherwise, leading dimension ldb), C m x n with leading dimension ldc,
// on one goroutine; concurrent calls may share p. It has the package Gemm's preconditions on B
// and C.
func (p *PackedA) Gemm(tB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blocksM := (p.m + p.kern.mc - 1) / p.kern.mc
	panelA := func(ic, pc, _, _ int, _ []float32) []float32 {
		return p.panels[pc/p.kern.kc*blocksM+ic/p.kern.mc]
	}
	gemmPanels(p.kern, p.m, n, p.k, panelA, tB, b, ldb, beta, c, ldc)
}

// macroKernel multiplies the packed mc x kc panel ap of A by the packed kc x nc panel of B in s
// into C (c starts at the block's top-left element), tile by tile.
func macroKernel(kern *kernel, mc, nc, kc int, ap []float32, s *scratch, c []float32, ldc int, acc bool) {
	mr, nr := kern.mr, kern.nr
	for jr := 0; jr < nc; jr += nr {
		bp := &s.b[jr*kc]
		w := min(nr, nc-jr)
		for ir := 0; ir < mc; ir += mr {
			ap := &ap[ir*kc]
			h := min(mr, mc-ir)
			if h == mr && w == nr {
				// Slicing the whole tile checks its bounds before the kernel writes through a pointer.
				tile := c[ir*ldc+jr : (ir+mr-1)*ldc+jr+nr]
				kern.fn(kc, ap, bp, &tile[0], ldc, acc)
				continue
			}
			kern.fn(kc, ap, bp, &s.tile[0], nr, false)
			edge(h, w, nr, s.tile, c[ir*ldc+jr:], ldc, acc)
		}
	}
}

// edge writes the h x w top-left corner of an mr x nr tile (row stride nr) into C, adding to
// what C holds when acc.
func edge(h, w, nr int, tile, c []float32, ldc int, acc bool) {
	for i := range h {
		t, row := tile[i*nr:i*nr+w], c[i*ldc:i*ldc+w]
		if acc {
			for j, v := range t {
				row[j] += v
			}
			continue
		}
		copy(row, t)
	}
}

// scale sets C = beta C (C = 0 when beta is 0, NaN and infinities included).
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA copies the mc x kc block of op(A) at (ic, pc) into dst as strips of mr rows, each
// strip stored k-major (mr values per k). The last strip's rows past mc keep what they held:
// the tiles they make are cut to mc rows before reaching C.
func packA(mr int, tA bool, mc, kc int, a []float32, lda, ic, pc int, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		strip := dst[ir*kc : (ir+mr)*kc]
		m := min(mr, mc-ir)
		if tA {
			// op(A)'s rows are A's columns: each k step reads m neighbours.
			for p := range kc {
				src := a[(pc+p)*lda+ic+ir : (pc+p)*lda+ic+ir+m]
				copy(strip[p*mr:p*mr+m], src)
			}
			continue
		}
		// A transpose, in blocks of 8 k steps, so that the lines written stay in cache while
		// every row visits them.
		for p0 := 0; p0 < kc; p0 += 8 {
			pn := min(8, kc-p0)
			for i := range m {
				row := ic + ir + i
				src := a[row*lda+pc+p0 : row*lda+pc+p0+pn]
				for q, v := range src {
					strip[(p0+q)*mr+i] = v
				}
			}
		}
	}
}

// packB copies the kc x nc block of op(B) at (pc, jc) into dst as strips of nr columns, each
// strip stored k-major (nr values per k). The last strip's columns past nc keep what they held:
// the tiles they make are cut to nc columns before reaching C.
func packB(nr int, tB bool, kc, nc int, b []float32, ldb, pc, jc int, dst []float32) {
	for jr := 0; jr < nc; jr += nr {
		strip := dst[jr*kc : (jr+nr)*kc]
		w := min(nr, nc-jr)
		if tB {
			// A transpose, in blocks of 8 rows of the strip, so that the lines written stay
			// in cache while every column visits them.
			for p0 := 0; p0 < kc; p0 += 8 {
				pn := min(8, kc-p0)
				for j := range w {
					col := jc + jr + j
					src := b[col*ldb+pc+p0 : col*ldb+pc+p0+pn]
					for q, v := range src {
						strip[(p0+q)*nr+j] = v
					}
				}
			}
			continue
		}
		for p := range kc {
			src := b[(pc+p)*ldb+jc+jr : (pc+p)*ldb+jc+jr+w]
			copy(strip[p*nr:p*nr+w], src)
		}
	}
}

// kernel is a micro-kernel with its blocking: fn computes the mr x nr tile
// sum_p a[p*mr+i] * b[p*nr+j] over p < k from packed strips, into C (row stride ldc),
// adding to C when acc and overwriting it otherwise. mc is a multiple of mr and nc of nr.
type kernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	fn         func(k int, a, b, c *float32, ldc int, acc bool)
}

// scratch holds the packed panels and the edge tile of one Gemm call, 64-byte aligned.
type scratch struct {
	kern       *kernel
	a, b, tile []float32
}

var scratchPool sync.Pool

// getScratch returns pooled scratch sized for kern, or new scratch.
func getScratch(kern *kernel) *scratch {
	if s, ok := scratchPool.Get().(*scratch); ok && s.kern == kern {
		return s
	}
	return &scratch{
		kern: kern,
		a:    aligned(kern.mc * kern.kc),
		b:    aligned(kern.nc * kern.kc),
		tile: aligned(kern.mr * kern.nr),
	}
}

// aligned returns a zeroed slice of n float32 whose first element is 64-byte aligned.
func aligned(n int) []float32 {
	const align = 64 / 4
	buf := make([]float32, n+align)
	skip := int(uintptr(unsafe.Pointer(&buf[0]))%64) / 4
	off := (align - skip) % align
	return buf[off : off+n : off+n]
}

// Kernel names the micro-kernel Gemm uses on this CPU: "avx512", "avx2", "neon" or "generic" (pure Go).
func Kernel() string { return best.name }

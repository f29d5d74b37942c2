// Package shiftconv holds the micro-kernels of the CPU executor's shifted convolutions: a
// same-size, stride-1 convolution whose input planes are laid out with zero borders, so that
// kernel offset (c, i, j) reads one contiguous run of the padded input (graph/cpu's shifted.go
// lays them out). A kernel works on four output channels at a time:
//   - Forward: 32 output positions of four channels, sum over the runs of weight times run;
//   - Dot: the dot products of four output channels' gradients with four runs, added to a 4x4
//     block of the weight gradient.
//
// On amd64 they run in assembly (kernels_amd64.s), with AVX-512 where the CPU has it, else AVX2
// and FMA; everywhere else in the pure-Go loops below, which are also the reference the assembly
// is tested against. The assembly fuses multiplies and adds and sums in another order, so they
// agree to rounding, not bit for bit.
package shiftconv

import "slices"

// Outputs is the number of output channels a kernel call covers, Positions the number of output
// positions a Forward call writes and Lanes the number of positions Dot takes at a time.
const (
	Outputs   = 4
	Positions = 32
	Lanes     = 16
)

// Runs are the starts of the runs a kernel reads, one per kernel offset, in elements of the
// padded input, with the smallest and the largest of them (which Forward and Dot check against
// src once per call, as slice indexing would).
type Runs struct {
	start    []int
	min, max int
}

// NewRuns returns the runs starting at start.
func NewRuns(start []int) Runs {
	r := Runs{start: start}
	if len(start) > 0 {
		r.min, r.max = slices.Min(start), slices.Max(start)
	}
	return r
}

// Len is the number of runs.
func (r Runs) Len() int { return len(r.start) }

// Forward sets y[o*ldy+q] = sum over runs r of w[4r+o] * src[start_r+q], for o < 4 and q < 32:
// w holds the weights of the four output channels run by run. src must reach 32 elements past
// the last run's start.
func Forward(w []float32, runs Runs, src, y []float32, ldy int) {
	k := runs.Len()
	if k > 0 {
		_, _ = src[runs.min], src[runs.max+Positions-1]
	}
	_ = w[:Outputs*k]
	_ = y[(Outputs-1)*ldy+Positions-1]
	switch {
	case k == 0 || use == pureGo:
		forwardGo(w, runs.start, src, y, ldy)
	case use == avx512:
		forward4x32(k, &w[0], &src[0], &runs.start[0], &y[0], ldy)
	default:
		forward4x16AVX2(k, &w[0], &src[0], &runs.start[0], &y[0], ldy)
		forward4x16AVX2(k, &w[0], &src[Positions/2], &runs.start[0], &y[Positions/2], ldy)
	}
}

func forwardGo(w []float32, start []int, src, y []float32, ldy int) {
	for o := range Outputs {
		row := y[o*ldy : o*ldy+Positions]
		clear(row)
		for r, s := range start {
			wv, run := w[Outputs*r+o], src[s:s+Positions]
			for q, v := range run {
				row[q] += wv * v
			}
		}
	}
}

// Dot adds to dw[o*ldw+r], for the four output channels o < 4 and runs r < 4, the dot product
// of channel o of the gradient, g[o*ldg : o*ldg+16*chunks], with run r, src[start_r :
// start_r+16*chunks], for the first four runs (runs must hold four or more). src must reach
// 16*chunks elements past the last start, g 16*chunks past the start of its fourth row.
func Dot(chunks int, g []float32, ldg int, runs Runs, src, dw []float32, ldw int) {
	if chunks <= 0 {
		return
	}
	_ = runs.start[Outputs-1]
	_, _ = src[runs.min], src[runs.max+Lanes*chunks-1]
	_ = g[(Outputs-1)*ldg+Lanes*chunks-1]
	_ = dw[(Outputs-1)*ldw+Outputs-1]
	switch use {
	case pureGo:
		dotGo(chunks, g, ldg, runs.start[:Outputs], src, dw, ldw)
	case avx512:
		dot4x4(chunks, &g[0], ldg, &src[0], &runs.start[0], &dw[0], ldw)
	default:
		dot4x4AVX2(chunks, &g[0], ldg, &src[0], &runs.start[0], &dw[0], ldw)
	}
}

func dotGo(chunks int, g []float32, ldg int, start []int, src, dw []float32, ldw int) {
	n := Lanes * chunks
	for o := range Outputs {
		gv := g[o*ldg : o*ldg+n]
		for r, s := range start {
			var acc float32
			for q, v := range src[s : s+n] {
				acc += gv[q] * v
			}
			dw[o*ldw+r] += acc
		}
	}
}

// kernelSet names an implementation of the kernels.
type kernelSet string

const (
	pureGo kernelSet = "go"
	avx2   kernelSet = "avx2"
	avx512 kernelSet = "avx512"
)

// use is the kernel set Forward and Dot run: the fastest this CPU has.
var use = kernels[len(kernels)-1]

// Accelerated says whether the kernels run in assembly on this CPU.
func Accelerated() bool { return use != pureGo }

// Kernels names the kernel set in use: "avx512", "avx2" (with FMA) or "go".
func Kernels() string { return string(use) }

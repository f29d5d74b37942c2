package cpu

import (
	"runtime"
	"sync"

	"github.com/oodgpu/oodgpu/graph"
)

// float is the element type the kernels are written for: float32 for runs, float64 for the
// finite-difference reference checks.
type float interface{ ~float32 | ~float64 }

// parallelFor splits [0, n) into contiguous chunks of at least grain items and runs fn on them
// concurrently, one chunk per available core.
func parallelFor(n, grain int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if grain < 1 {
		grain = 1
	}
	chunks := min(workers, (n+grain-1)/grain)
	if chunks <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for c := 0; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// walk visits the linear indices [lo, hi) of the index space shape in row-major order, one run
// along the innermost axis at a time: fn gets each operand's element offset at the start of the run
// (operand k has strides st[k]) and the run length.
func walk(shape []int, st [][]int, lo, hi int, fn func(off []int, n int)) {
	if lo >= hi {
		return
	}
	r := len(shape)
	off := make([]int, len(st))
	if r == 0 {
		fn(off, 1)
		return
	}
	idx := make([]int, r)
	rem := lo
	for d := r - 1; d >= 0; d-- {
		idx[d] = rem % shape[d]
		rem /= shape[d]
		for k := range st {
			off[k] += idx[d] * st[k][d]
		}
	}
	last := r - 1
	for pos := lo; pos < hi; {
		run := min(shape[last]-idx[last], hi-pos)
		fn(off, run)
		pos += run
		idx[last] += run
		for k := range st {
			off[k] += run * st[k][last]
		}
		for d := last; d > 0 && idx[d] == shape[d]; d-- {
			idx[d] = 0
			idx[d-1]++
			for k := range st {
				off[k] += st[k][d-1] - shape[d]*st[k][d]
			}
		}
	}
}

func contiguous(shape []int) []int { return graph.Shape(shape).Strides() }

func prod(s []int) int { return graph.Shape(s).Size() }

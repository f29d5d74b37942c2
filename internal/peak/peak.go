// Package peak measures the machine's fp32 peak: a loop of independent FMA chains in assembly,
// run on every core at once, so that benchmarks can report their share of it (make bench).
package peak

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
)

// ErrUnknown is returned where this package has no FMA loop for the CPU (another GOARCH, or an
// amd64 without AVX2 and FMA).
var ErrUnknown = errors.New("peak: unknown on this CPU (no FMA loop for it)")

// loop is one FMA kernel: fn runs n iterations, each doing flopsPerIter floating-point operations.
type loop struct {
	name         string
	fn           func(n int)
	flopsPerIter float64
}

// Kernel names the FMA loop this CPU runs ("avx512", "avx2"), or "unknown".
func Kernel() string {
	if k := kernel(); k != nil {
		return k.name
	}
	return "unknown"
}

// Run runs iters iterations of the FMA loop on each of GOMAXPROCS goroutines at once and returns
// the floating-point operations done in all.
func Run(iters int) (float64, error) {
	k := kernel()
	if k == nil {
		return 0, ErrUnknown
	}
	if iters < 0 {
		return 0, fmt.Errorf("peak: %d iterations: want 0 or more", iters)
	}
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() { k.fn(iters) })
	}
	wg.Wait()
	return float64(procs) * float64(iters) * k.flopsPerIter, nil
}

// Measure times Run(iters) and returns the fp32 rate in GFLOP/s.
func Measure(iters int) (float64, error) {
	start := time.Now()
	flops, err := Run(iters)
	if err != nil {
		return 0, err
	}
	rate := flops / time.Since(start).Seconds() / 1e9
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 0, fmt.Errorf("peak: %d iterations took too little time to measure; run more", iters)
	}
	return rate, nil
}

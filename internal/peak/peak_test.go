package peak

import (
	"errors"
	"math"
	"runtime"
	"testing"
)

// TestRunCountsFlops checks the operation count Run reports: every goroutine's iterations, each
// of the kernel's FMAs counted as two operations per lane.
func TestRunCountsFlops(t *testing.T) {
	k := kernel()
	if k == nil {
		if _, err := Run(1); !errors.Is(err, ErrUnknown) {
			t.Fatalf("no kernel on this CPU: Run error %v, want ErrUnknown", err)
		}
		t.Skipf("no FMA loop for this CPU: %s", Kernel())
	}
	procs := float64(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		iters int
		want  float64
	}{
		{0, 0},
		{1, procs * k.flopsPerIter},
		{1000, 1000 * procs * k.flopsPerIter},
	} {
		got, err := Run(c.iters)
		if err != nil || got != c.want {
			t.Errorf("Run(%d) = %v, %v; want %v flops", c.iters, got, err, c.want)
		}
	}
	if _, err := Run(-1); err == nil {
		t.Error("Run(-1): want an error")
	}
}

// TestMeasure checks that the peak is a positive finite rate where the CPU has a loop.
func TestMeasure(t *testing.T) {
	gflops, err := Measure(1 << 20)
	if kernel() == nil {
		if !errors.Is(err, ErrUnknown) {
			t.Fatalf("no kernel: Measure error %v, want ErrUnknown", err)
		}
		t.Skipf("no FMA loop for this CPU")
	}
	if err != nil || !(gflops > 0) || math.IsInf(gflops, 0) {
		t.Fatalf("Measure = %v GFLOP/s, %v; want a positive finite rate", gflops, err)
	}
	t.Logf("%s: %.1f GFLOP/s on %d threads", Kernel(), gflops, runtime.GOMAXPROCS(0))
}

// BenchmarkPeak reports the fp32 peak of all cores in GFLOP/s (make bench divides each GEMM's
// rate by it).
func BenchmarkPeak(b *testing.B) {
	if kernel() == nil {
		b.Skip(ErrUnknown)
	}
	// 2^22 iterations an op (about 10 ms on two Zen 5 cores): long enough that starting the
	// goroutines is negligible even at -benchtime 20x.
	flops, err := Run(b.N << 22)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

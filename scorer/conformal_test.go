package scorer

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/internal/race"
)

func TestApplyAlpha(t *testing.T) {
	rows := []Row{{PValue: 0.5}, {PValue: 0.05}, {PValue: 0.04}, {PValue: 0.9, Invalid: "NaN score"}}
	ApplyAlpha(rows, 0.05)
	for i, want := range []string{InDistribution, OOD, OOD, OOD} {
		if rows[i].Verdict != want {
			t.Errorf("row %d (p %g, invalid %q): verdict %q, want %q", i, rows[i].PValue, rows[i].Invalid, rows[i].Verdict, want)
		}
	}
}

// TestConformalFalseAlarms scores held-out FashionMNIST test images (the default detector was fit
// on test[5000:6000]) and checks that calling OOD where the p-value is at most alpha flags about
// alpha of them: the conformal guarantee is at most alpha in expectation; 400 images (200 under
// the race detector, where scoring them takes over a minute) allow a binomial margin of three
// standard deviations.
func TestConformalFalseAlarms(t *testing.T) {
	dir := datatest.FashionMNIST(t)
	m := defaultModel(t)
	n := 400
	if race.Enabled {
		n = 200
	}
	sp, err := data.ParseSpec(fmt.Sprintf("fashionmnist:test[:%d]", n))
	if err != nil {
		t.Fatal(err)
	}
	set, err := data.Load(sp, data.Options{FashionMNISTDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	rows, err := m.Score(context.Background(), cpu.New(), set, names, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, alpha := range []float64{0.01, 0.05, 0.2} {
		ApplyAlpha(rows, alpha)
		flagged := 0
		for _, r := range rows {
			if r.Verdict == OOD {
				flagged++
			}
		}
		rate := float64(flagged) / float64(n)
		margin := 3 * math.Sqrt(alpha*(1-alpha)/float64(n))
		t.Logf("alpha %.2f: %d of %d held-out in-distribution images flagged (%.3f)", alpha, flagged, n, rate)
		if rate > alpha+margin || rate < alpha-margin {
			t.Errorf("alpha %.2f: false-alarm rate %.3f, outside %.3f +- %.3f", alpha, rate, alpha, margin)
		}
	}
}

package ood

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFitGaussian(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	names := []string{"a", "b", "constant", "dead"}
	rows := make([][]float64, 500)
	for i := range rows {
		rows[i] = []float64{math.Exp(1 + 0.5*r.NormFloat64()), math.Exp(-3 + 2*r.NormFloat64()), 7, 0}
	}
	rows[3][3] = math.NaN()
	g, err := FitGaussian(names, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Keep) != 2 || g.Keep[0] != 0 || g.Keep[1] != 1 {
		t.Fatalf("kept %v, dropped %v", g.Keep, g.Dropped)
	}
	if math.Abs(g.Mean[0]-1) > 0.1 || math.Abs(g.Var[0]-0.25) > 0.05 || math.Abs(g.Mean[1]+3) > 0.3 {
		t.Fatalf("mean %v var %v", g.Mean, g.Var)
	}
	if len(g.Dropped) != 2 || !strings.Contains(g.Dropped[0], "constant: zero variance") ||
		!strings.Contains(g.Dropped[1], "dead: non-finite") {
		t.Fatalf("dropped %q", g.Dropped)
	}
	typical, err := g.Score([]float64{math.E, math.Exp(-3), 7, 0})
	if err != nil {
		t.Fatal(err)
	}
	far, err := g.Score([]float64{math.Exp(5), math.Exp(-3), 7, 0})
	if err != nil || far <= typical {
		t.Fatalf("far %g (err %v) should exceed typical %g", far, err, typical)
	}
	if s, err := g.Score([]float64{math.Inf(1), 1, 7, 0}); !errors.Is(err, ErrBadFeatures) || !math.IsInf(s, 1) {
		t.Fatalf("Inf feature: %g, %v", s, err)
	}
	if s, err := g.Score([]float64{0, 1, 7, 0}); err != nil || math.IsInf(s, 0) {
		t.Fatalf("zero feature should score finitely at the floor: %g, %v", s, err)
	}
	if _, err := g.Score([]float64{1}); err == nil {
		t.Fatal("short row accepted")
	}
	if _, err := FitGaussian(names, rows[:1]); err == nil {
		t.Fatal("one row accepted")
	}
}

// TestFitGaussianMoments checks the fitted moments exactly on small sets: the mean and the
// unbiased (n-1) variance of log f, zero features at the floor.
func TestFitGaussianMoments(t *testing.T) {
	floor := math.Log(LogFloor)
	cases := []struct {
		name      string
		col       []float64
		mean, vrc float64
	}{
		{"logs 1, 2, 3", []float64{math.E, math.Exp(2), math.Exp(3)}, 2, 1},
		{"two rows", []float64{1, math.Exp(4)}, 2, 8},
		{"a zero feature", []float64{0, 1}, floor / 2, floor * floor / 2},
	}
	for _, c := range cases {
		rows := make([][]float64, len(c.col))
		for i, v := range c.col {
			rows[i] = []float64{v}
		}
		g, err := FitGaussian([]string{"l"}, rows)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(g.Mean[0]-c.mean) > 1e-12*math.Abs(c.mean) || math.Abs(g.Var[0]-c.vrc) > 1e-12*c.vrc {
			t.Errorf("%s: mean %.17g var %.17g, want %g %g", c.name, g.Mean[0], g.Var[0], c.mean, c.vrc)
		}
	}
}

func TestFisherScore(t *testing.T) {
	stat, p := FisherScore([]float64{0, 0})
	// z = 0 gives p = 1 per test, statistic 0, combined p-value 1.
	if math.Abs(stat) > 1e-12 || math.Abs(p-1) > 1e-12 {
		t.Fatalf("z=0: %g %g", stat, p)
	}
	small, _ := FisherScore([]float64{1, -1})
	big, pBig := FisherScore([]float64{4, -50})
	if !(big > small) || math.IsInf(big, 0) || pBig > 1e-10 {
		t.Fatalf("statistics %g %g, p %g", small, big, pBig)
	}
}

func TestTypicality(t *testing.T) {
	ty := FitTypicality([]float64{3, 3.2, 2.8})
	if math.Abs(ty.H-3) > 1e-12 || math.Abs(ty.Score([]float64{3.5, 2.5})) > 1e-12 || math.Abs(ty.Score([]float64{4})-1) > 1e-12 {
		t.Fatalf("H %g", ty.H)
	}
}

package ood

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFisherWindowDiagonalDominance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	independent := make([][]float64, 2000)
	for i := range independent {
		independent[i] = []float64{r.NormFloat64(), 2 * r.NormFloat64(), 0.5 * r.NormFloat64()}
	}
	norm, ratio := FisherWindow(independent)
	if ratio < 5 || math.Abs(norm[1][1]-1) > 1e-12 || math.Abs(norm[0][1]) > 0.1 {
		t.Fatalf("independent coordinates: ratio %g, normalized %v", ratio, norm)
	}
	shared := make([][]float64, 2000)
	for i := range shared {
		z := r.NormFloat64()
		shared[i] = []float64{z, z, z}
	}
	if _, ratio := FisherWindow(shared); math.Abs(ratio-1) > 1e-9 {
		t.Fatalf("identical coordinates: ratio %g, want 1", ratio)
	}
}

func TestCorrelationByDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	rows := make([][]float64, 3000)
	for i := range rows {
		a := r.NormFloat64()
		rows[i] = []float64{a, a + 0.1*r.NormFloat64(), r.NormFloat64()}
	}
	c := CorrelationByDistance(rows)
	// Distance 1: pairs (0,1) correlated ~1 and (1,2) ~0; distance 2: (0,2) ~0.
	if len(c) != 2 || math.Abs(c[0]-0.5) > 0.05 || c[1] > 0.05 {
		t.Fatalf("correlation by distance %v", c)
	}
}

func TestCorrelationByDistanceExact(t *testing.T) {
	cases := []struct {
		name string
		rows [][]float64
		want []float64
	}{
		// Columns x, 2x+1, -x: every pair is perfectly correlated, the last two negatively.
		{"linear", [][]float64{{1, 3, -1}, {2, 5, -2}, {4, 9, -4}}, []float64{1, 1}},
		// A constant column correlates with nothing: (0,1) is -1, (1,2) and (0,2) count 0.
		{"constant column", [][]float64{{1, 2, 5}, {2, 1, 5}, {3, 0, 5}}, []float64{0.5, 0}},
		// Centred columns (1, -1, 0) and (1, 0, -1): r = 1/2.
		{"half", [][]float64{{1, 1}, {-1, 0}, {0, -1}}, []float64{0.5}},
	}
	for _, c := range cases {
		got := CorrelationByDistance(c.rows)
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v, want %v", c.name, got, c.want)
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

func TestMeanVar(t *testing.T) {
	cases := []struct {
		name      string
		v         []float64
		mean, vrc float64
	}{
		{"unbiased", []float64{1, 2, 3, 6}, 3, 14.0 / 3},
		{"one value", []float64{7}, 7, 0},
	}
	for _, c := range cases {
		if m, v := meanVar(c.v); math.Abs(m-c.mean) > 1e-12 || math.Abs(v-c.vrc) > 1e-12 {
			t.Errorf("%s: %g %g, want %g %g", c.name, m, v, c.mean, c.vrc)
		}
	}
}

func TestMostDiscriminative(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	mk := func(shift float64) [][]float64 {
		rows := make([][]float64, 200)
		for i := range rows {
			rows[i] = []float64{math.Exp(r.NormFloat64()), math.Exp(r.NormFloat64() + shift), math.Exp(r.NormFloat64())}
		}
		return rows
	}
	in, out := mk(0), mk(3)
	g, err := FitGaussian([]string{"a", "b", "c"}, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.MostDiscriminative(in, out, 1); len(got) != 1 || g.Layers[g.Keep[got[0]]] != "b" {
		t.Fatalf("most discriminative %v", got)
	}
}

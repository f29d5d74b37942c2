package ood

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// momentRows are feature rows with a layer of each kind FitGaussian treats apart: varying
// features over several scales, a constant (zero variance), one with a NaN on some row, one
// with an exact zero (clamped to LogFloor).
func momentRows(n int, seed uint64) ([]string, [][]float64) {
	r := rand.New(rand.NewPCG(seed, 2))
	names := []string{"a", "b", "const", "nan", "zero"}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{math.Exp(3 + r.NormFloat64()), 1e-8 * math.Exp(r.NormFloat64()/10), 7, math.Exp(r.NormFloat64()), math.Exp(r.NormFloat64())}
		if i == n/2 {
			rows[i][3] = math.NaN()
		}
		if i%3 == 0 {
			rows[i][4] = 0
		}
	}
	return names, rows
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / max(math.Abs(a), math.Abs(b), 1e-300) }

func TestMomentsMergeEqualsFitGaussian(t *testing.T) {
	names, rows := momentRows(103, 1)
	want, err := FitGaussian(names, rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cuts []int // part boundaries
	}{
		{"one part", nil},
		{"halves", []int{51}},
		{"uneven", []int{1, 2, 40, 41, 100}},
		{"singletons", func() []int {
			var c []int
			for i := 1; i < len(rows); i++ {
				c = append(c, i)
			}
			return c
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			bounds := append(append([]int{0}, c.cuts...), len(rows))
			var parts []*Moments
			for k := 0; k+1 < len(bounds); k++ {
				m := NewMoments(names)
				for _, row := range rows[bounds[k]:bounds[k+1]] {
					if err := m.Add(row); err != nil {
						t.Fatal(err)
					}
				}
				parts = append(parts, m)
			}
			// Merge in reverse, into an empty state, as a combiner may.
			total := NewMoments(names)
			for _, p := range slices.Backward(parts) {
				if err := total.Merge(p); err != nil {
					t.Fatal(err)
				}
			}
			got, err := total.Gaussian()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Keep, want.Keep) || !slices.Equal(got.Dropped, want.Dropped) || !slices.Equal(got.Layers, want.Layers) {
				t.Fatalf("kept %v dropped %q, want %v and %q", got.Keep, got.Dropped, want.Keep, want.Dropped)
			}
			for k := range want.Keep {
				if d := relDiff(got.Mean[k], want.Mean[k]); d > 1e-12 {
					t.Errorf("mean %d: %v, want %v (rel %.2g)", k, got.Mean[k], want.Mean[k], d)
				}
				if d := relDiff(got.Var[k], want.Var[k]); d > 1e-12 {
					t.Errorf("var %d: %v, want %v (rel %.2g)", k, got.Var[k], want.Var[k], d)
				}
			}
		})
	}
}

func TestMomentsErrors(t *testing.T) {
	m := NewMoments([]string{"a", "b"})
	if err := m.Add([]float64{1}); err == nil {
		t.Error("a short row was added")
	}
	if err := m.Merge(NewMoments([]string{"a", "c"})); err == nil {
		t.Error("moments of other layers were merged")
	}
	if err := m.Add([]float64{1, 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Gaussian(); err == nil {
		t.Error("a Gaussian from one row")
	}
	bad := &Moments{Layers: []string{"a"}, N: 3}
	if err := m.Merge(bad); err == nil {
		t.Error("merged moments without means")
	}
	if _, err := bad.Gaussian(); err == nil {
		t.Error("a Gaussian from moments without means")
	}
}

// TestAssembleDetectorEqualsFitWith fits a detector in parts, as a pipeline does, and checks it
// against FitWith's, with and without the complexity term.
func TestAssembleDetectorEqualsFitWith(t *testing.T) {
	names, rows := momentRows(60, 3)
	r := rand.New(rand.NewPCG(4, 5))
	const b = 2
	f := &Features{Layers: names, Rows: map[int][][]float64{b: rows}}
	var l []float64
	for range 2 * len(rows) {
		f.NLL = append(f.NLL, 3+r.Float64())
		l = append(l, 2+r.Float64())
	}
	l[7] = math.NaN() // an unusable S-score, counted as +Inf
	for _, c := range []struct {
		name       string
		complexity []float64
	}{{"gaussian", nil}, {"combined", l}} {
		t.Run(c.name, func(t *testing.T) {
			o := FitOptions{Recall: 0.9, FitData: "synthetic", Seed: 7}
			if c.complexity != nil {
				o.Complexity, o.Compressor = c.complexity, "brotli"
			}
			want, err := FitWith(context.Background(), f, b, o)
			if err != nil {
				t.Fatal(err)
			}
			m := NewMoments(names)
			for _, row := range rows {
				if err := m.Add(row); err != nil {
					t.Fatal(err)
				}
			}
			g, err := m.Gaussian()
			if err != nil {
				t.Fatal(err)
			}
			var grad []float64
			for _, row := range rows {
				s, _ := g.Score(row) // +Inf for unusable features, as FitWith scores them
				grad = append(grad, s)
			}
			scores, term := grad, (*ComplexityTerm)(nil)
			if c.complexity != nil {
				s, err := SScores(f.NLL, c.complexity, b)
				if err != nil {
					t.Fatal(err)
				}
				if term, err = NewComplexityTerm("brotli", grad, s); err != nil {
					t.Fatal(err)
				}
				scores = nil
				for i := range grad {
					scores = append(scores, term.FitScore(grad[i], s[i]))
				}
			}
			got, err := AssembleDetector(b, g, FitTypicality(f.NLL), scores, term, o)
			if err != nil {
				t.Fatal(err)
			}
			near := func(what string, x, y []float64) {
				t.Helper()
				if len(x) != len(y) {
					t.Fatalf("%s: %d values, want %d", what, len(x), len(y))
				}
				for i := range x {
					if x[i] != y[i] && relDiff(x[i], y[i]) > 1e-12 {
						t.Errorf("%s[%d] = %v, want %v", what, i, x[i], y[i])
					}
				}
			}
			near("fit scores", got.FitScores, want.FitScores)
			near("threshold", []float64{got.Threshold}, []float64{want.Threshold})
			if got.FitRows != want.FitRows || got.Recall != want.Recall || got.Typicality != want.Typicality ||
				got.FitData != want.FitData || got.Seed != want.Seed || (got.Complexity == nil) != (want.Complexity == nil) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if want.Complexity != nil {
				near("gradient fit scores", got.Complexity.GradientFitScores, want.Complexity.GradientFitScores)
				near("S fit scores", got.Complexity.SFitScores, want.Complexity.SFitScores)
			}
		})
	}
	if _, err := AssembleDetector(1, &Gaussian{}, Typicality{}, []float64{1, 2}, nil, FitOptions{Recall: 0.9, Model: ModelOCSVM}); err == nil {
		t.Error("a one-class SVM detector was assembled")
	}
}

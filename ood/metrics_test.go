package ood

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

func TestEvaluateSimple(t *testing.T) {
	cases := []struct {
		name    string
		in, out []float64
		auroc   float64
		fpr     float64
	}{
		{"separated", []float64{0, 1, 2}, []float64{3, 4}, 1, 0},
		{"reversed", []float64{3, 4}, []float64{0, 1, 2}, 0, 1},
		{"all tied", []float64{1, 1}, []float64{1, 1, 1}, 0.5, 1},
		{"interleaved", []float64{1, 3}, []float64{2, 4}, 0.75, 0.5},
		{"inf is most OOD", []float64{1, 2}, []float64{math.Inf(1), 0}, 0.5, 1},
	}
	for _, c := range cases {
		m, err := Evaluate(c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.AUROC-c.auroc) > 1e-12 || math.Abs(m.FPR95TPR-c.fpr) > 1e-12 {
			t.Errorf("%s: AUROC %g FPR %g, want %g %g", c.name, m.AUROC, m.FPR95TPR, c.auroc, c.fpr)
		}
	}
	if _, err := Evaluate(nil, []float64{1}); err == nil {
		t.Error("empty in-distribution accepted")
	}
	if _, err := Evaluate([]float64{math.NaN()}, []float64{1}); err == nil {
		t.Error("NaN accepted")
	}
}

// TestAUROCMatchesGonum checks the Mann-Whitney AUROC against gonum's ROC curve integrated with
// the trapezoid rule, on continuous scores (no ties).
func TestAUROCMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		n, m := 50+r.IntN(200), 50+r.IntN(200)
		in := make([]float64, n)
		out := make([]float64, m)
		for i := range in {
			in[i] = r.NormFloat64()
		}
		shift := r.Float64() * 2
		for i := range out {
			out[i] = r.NormFloat64() + shift
		}
		m1, err := Evaluate(in, out)
		if err != nil {
			t.Fatal(err)
		}
		y := append(append([]float64(nil), in...), out...)
		classes := make([]bool, len(y))
		for i := n; i < len(y); i++ {
			classes[i] = true
		}
		inds := make([]int, len(y))
		floats.Argsort(y, inds)
		sorted := make([]bool, len(y))
		for i, k := range inds {
			sorted[i] = classes[k]
		}
		tpr, fpr, _ := stat.ROC(nil, y, sorted, nil)
		ref := 0.0
		for i := 1; i < len(tpr); i++ {
			ref += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
		}
		if math.Abs(ref-m1.AUROC) > 1e-9 {
			t.Fatalf("trial %d: AUROC %g, gonum ROC %g", trial, m1.AUROC, ref)
		}
	}
}

func TestAveragePrecision(t *testing.T) {
	// Positives at ranks 1 and 3 of 4: AP = (1/1 + 2/3) / 2.
	got := averagePrecision([]float64{4, 2}, []float64{3, 1})
	if math.Abs(got-(1+2.0/3)/2) > 1e-12 {
		t.Fatalf("AP %g", got)
	}
}

func TestROCCurve(t *testing.T) {
	fpr, tpr := ROC([]float64{1, 3}, []float64{2, 4})
	wantF, wantT := []float64{0, 0, 0.5, 0.5, 1}, []float64{0, 0.5, 0.5, 1, 1}
	for i := range wantF {
		if fpr[i] != wantF[i] || tpr[i] != wantT[i] {
			t.Fatalf("ROC %v %v", fpr, tpr)
		}
	}
}

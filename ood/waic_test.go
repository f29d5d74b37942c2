package ood

import (
	"math"
	"testing"
)

func TestWAIC(t *testing.T) {
	// Image 0: the members agree (variance 0); image 1: log-likelihoods -10, -12, -14 (mean -12,
	// sample variance 4); image 2: one member gives -Inf.
	e, err := NewEnsemble([][]float64{{-5, -10, -1}, {-5, -12, math.Inf(-1)}, {-5, -14, -1}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Mean[1] != -12 || e.Var[1] != 4 || e.Var[0] != 0 {
		t.Errorf("means %v, variances %v", e.Mean, e.Var)
	}
	got := e.WAIC()
	if got[0] != -5 || got[1] != -16 || !math.IsNaN(got[2]) && !math.IsInf(got[2], 0) {
		t.Errorf("WAIC = %v, want [-5 -16 non-finite]", got)
	}
	for _, bad := range [][][]float64{nil, {{1, 2}}, {{1, 2}, {1}}} {
		if _, err := NewEnsemble(bad); err == nil {
			t.Errorf("NewEnsemble(%v): no error", bad)
		}
	}
}

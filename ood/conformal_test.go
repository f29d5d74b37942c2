package ood

import (
	"math"
	"testing"
)

func TestConformalP(t *testing.T) {
	fit := []float64{1, 2, 2, 3, 5}
	for _, c := range []struct {
		s, want float64
	}{
		{0, 6.0 / 6}, // every fit score is at least as high
		{1, 6.0 / 6},
		{2, 5.0 / 6}, // ties count as at least as high
		{2.5, 3.0 / 6},
		{5, 2.0 / 6},
		{9, 1.0 / 6}, // beyond every fit score: the smallest p-value there is
	} {
		if got := ConformalP(fit, c.s); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("ConformalP(%v) = %g, want %g", c.s, got, c.want)
		}
	}
	if got := ConformalP(fit, math.NaN()); !math.IsNaN(got) {
		t.Errorf("ConformalP(NaN) = %g, want NaN", got)
	}
}

func TestFisherCombined(t *testing.T) {
	if got, want := FisherCombined(0.5, 0.25), -2*(math.Log(0.5)+math.Log(0.25)); math.Abs(got-want) > 1e-12 {
		t.Errorf("FisherCombined(0.5, 0.25) = %g, want %g", got, want)
	}
	if FisherCombined(0.01, 0.9) <= FisherCombined(0.5, 0.9) {
		t.Error("a smaller p-value does not raise the combined score")
	}
	if !math.IsNaN(FisherCombined(0.5, math.NaN())) {
		t.Error("a NaN p-value does not make the combined score NaN")
	}
}

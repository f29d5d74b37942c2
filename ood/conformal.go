package ood

import (
	"math"
	"sort"
)

// ConformalP is the conformal p-value of score s against the n sorted scores of a detector's fit
// set: (1 + #{fit scores >= s}) / (n + 1). For an in-distribution image exchangeable with the fit
// images, P(ConformalP <= alpha) <= alpha: a verdict of OOD at p <= alpha keeps false alarms at
// most alpha, whatever the scores' distribution. NaN for a NaN score.
func ConformalP(sorted []float64, s float64) float64 {
	if math.IsNaN(s) {
		return math.NaN()
	}
	below := sort.SearchFloat64s(sorted, s) // fit scores < s
	return float64(len(sorted)-below+1) / float64(len(sorted)+1)
}

// FisherCombined joins p-values of independent tests of one image into one score by Fisher's
// method, -2 sum ln p (higher is more OOD): each test weighs the same whatever its scale. NaN
// when any p-value is.
func FisherCombined(ps ...float64) float64 {
	s := 0.0
	for _, p := range ps {
		s -= 2 * math.Log(p)
	}
	return s
}

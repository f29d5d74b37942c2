package ood

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Typicality is the typicality test of Nalisnick et al. (2019b): a batch is atypical when its mean
// negative log-likelihood is far from the entropy estimate H, the mean NLL of the fit set.
type Typicality struct {
	H float64 `json:"h"` // mean NLL (bits/dim) on the fit set
}

// FitTypicality estimates H from per-image NLLs of the fit set.
func FitTypicality(nll []float64) Typicality {
	s := 0.0
	for _, v := range nll {
		s += v
	}
	return Typicality{H: s / float64(len(nll))}
}

// Score is |mean NLL of the batch - H|; for one image, |NLL - H|.
func (t Typicality) Score(batchNLL []float64) float64 {
	s := 0.0
	for _, v := range batchNLL {
		s += v
	}
	return math.Abs(s/float64(len(batchNLL)) - t.H)
}

// FisherScore combines the per-layer two-sided z-test p-values with Fisher's method: the
// statistic -2 sum log p_j, which under the null is chi-squared with 2k degrees of freedom. It
// returns the statistic (higher is more OOD) and the combined p-value.
func FisherScore(z []float64) (stat, p float64) {
	std := distuv.UnitNormal
	for _, v := range z {
		// log of the two-sided p-value 2 * (1 - Phi(|z|)), via the log survival for large |z|.
		lp := math.Log(2) + logSurvival(std, math.Abs(v))
		stat -= 2 * lp
	}
	chi := distuv.ChiSquared{K: float64(2 * len(z))}
	return stat, chi.Survival(stat)
}

// logSurvival is log(1 - Phi(x)) for x >= 0, accurate in the far tail.
func logSurvival(n distuv.Normal, x float64) float64 {
	s := n.Survival(x)
	if s > 1e-300 {
		return math.Log(s)
	}
	// Mills ratio asymptotics: 1 - Phi(x) ~ phi(x)/x (1 - 1/x^2 + 3/x^4).
	return -x*x/2 - math.Log(x*math.Sqrt(2*math.Pi)) + math.Log1p(-1/(x*x)+3/(x*x*x*x))
}

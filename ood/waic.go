package ood

import (
	"errors"
	"fmt"
)

// Ensemble holds, per image, the mean and the unbiased sample variance of its log-likelihood
// over the members of an ensemble of models (the same architecture trained with different
// seeds), the parts of WAIC.
type Ensemble struct {
	Mean, Var []float64
}

// NewEnsemble gathers logLik[k][i], image i's log-likelihood (in nats, per image) under member
// k: at least two members, each with every image. A non-finite log-likelihood gives a
// non-finite mean and variance.
func NewEnsemble(logLik [][]float64) (Ensemble, error) {
	if len(logLik) < 2 {
		return Ensemble{}, errors.New("ood: an ensemble needs at least 2 models")
	}
	n := len(logLik[0])
	for k, l := range logLik {
		if len(l) != n {
			return Ensemble{}, fmt.Errorf("ood: ensemble member %d has %d images, member 0 has %d", k, len(l), n)
		}
	}
	e := Ensemble{Mean: make([]float64, n), Var: make([]float64, n)}
	m := float64(len(logLik))
	for i := range n {
		var mean float64
		for _, l := range logLik {
			mean += l[i]
		}
		mean /= m
		var ss float64
		for _, l := range logLik {
			d := l[i] - mean
			ss += d * d
		}
		e.Mean[i], e.Var[i] = mean, ss/(m-1)
	}
	return e, nil
}

// WAIC is the score of Choi et al. (2018), "WAIC, but why? Generative ensembles for robust anomaly
// detection", per image: the mean log-likelihood minus its variance over the members, so that an
// image the members disagree on looks less likely. Lower means more OOD.
func (e Ensemble) WAIC() []float64 {
	out := make([]float64, len(e.Mean))
	for i := range out {
		out[i] = e.Mean[i] - e.Var[i]
	}
	return out
}

package ood

import (
	"errors"
	"fmt"
)

// WAIC is the score of Choi et al. (2018), "WAIC, but why? Generative ensembles for robust anomaly
// detection", for each image under an ensemble of models trained with different seeds: the
// mean over the members of the image's log-likelihood minus its variance over them (the
// unbiased sample variance), so that an image the members disagree on looks less likely. Lower
// means more OOD. logLik[k][i] is image i's log-likelihood (in nats, per image) under member k;
// there must be at least two members, each with every image. A non-finite log-likelihood gives
// a non-finite WAIC.
func WAIC(logLik [][]float64) ([]float64, error) {
	if len(logLik) < 2 {
		return nil, errors.New("ood: WAIC needs an ensemble of at least 2 models")
	}
	n := len(logLik[0])
	for k, l := range logLik {
		if len(l) != n {
			return nil, fmt.Errorf("ood: WAIC: member %d has %d images, member 0 has %d", k, len(l), n)
		}
	}
	out := make([]float64, n)
	m := float64(len(logLik))
	for i := range out {
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
		out[i] = mean - ss/(m-1)
	}
	return out, nil
}

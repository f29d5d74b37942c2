package ood

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
)

// LogFloor replaces log(0) when a squared gradient norm is exactly zero (float32 underflow, or a
// layer that does not influence the likelihood): log f >= log(LogFloor).
const LogFloor = 1e-45

// Gaussian is the paper's detector: a diagonal Gaussian over the log squared gradient norms of the
// kept layers, fitted on held-out in-distribution data. Layers whose log features have zero
// variance (or are not finite) on the fit set are dropped.
type Gaussian struct {
	Layers  []string  `json:"layers"`  // names of all layers, in feature order
	Keep    []int     `json:"keep"`    // indices of the kept layers
	Mean    []float64 `json:"mean"`    // per kept layer, of log f
	Var     []float64 `json:"var"`     // per kept layer, of log f (unbiased)
	Dropped []string  `json:"dropped"` // dropped layers and why
}

// logFeature is log f with zero clamped to LogFloor; ok is false for NaN, infinite or negative f.
func logFeature(f float64) (float64, bool) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f < 0:
		return math.NaN(), false
	case f < LogFloor:
		return math.Log(LogFloor), true
	}
	return math.Log(f), true
}

// FitGaussian fits the detector to feature rows (one per image or per batch), names giving the
// layer of each column. It needs at least two rows.
func FitGaussian(names []string, rows [][]float64) (*Gaussian, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("ood: fit needs at least 2 feature rows, got %d", len(rows))
	}
	g := &Gaussian{Layers: append([]string(nil), names...)}
	for j, name := range names {
		finite := true
		vals := make([]float64, len(rows))
		for i, r := range rows {
			if len(r) != len(names) {
				return nil, fmt.Errorf("ood: fit: row %d has %d features, want %d", i, len(r), len(names))
			}
			v, ok := logFeature(r[j])
			if !ok {
				finite = false
				break
			}
			vals[i] = v
		}
		if !finite {
			g.Dropped = append(g.Dropped, name+": non-finite feature on the fit set")
			continue
		}
		mean, variance := stat.MeanVariance(vals, nil) // the unbiased variance, as Var says
		if !(variance > 1e-12) {
			g.Dropped = append(g.Dropped, name+": zero variance on the fit set")
			continue
		}
		g.Keep = append(g.Keep, j)
		g.Mean = append(g.Mean, mean)
		g.Var = append(g.Var, variance)
	}
	if len(g.Keep) == 0 {
		return nil, errors.New("ood: fit: every layer has zero variance or non-finite features")
	}
	return g, nil
}

// ErrBadFeatures marks a feature row holding NaN, infinite or negative values.
var ErrBadFeatures = errors.New("ood: non-finite gradient features")

// Score is the negative log-density of the row's log features under the Gaussian (higher is more
// OOD). A row with NaN or infinite values in a kept layer scores +Inf with ErrBadFeatures: callers
// report it and treat the sample as out-of-distribution.
func (g *Gaussian) Score(row []float64) (float64, error) {
	z, err := g.ZScores(row)
	if err != nil {
		return math.Inf(1), err
	}
	return g.scoreOf(z), nil
}

// scoreOf is the negative log-density of the z-scores of the kept layers.
func (g *Gaussian) scoreOf(z []float64) float64 {
	s := 0.0
	for k, v := range z {
		s += 0.5*v*v + 0.5*math.Log(2*math.Pi*g.Var[k])
	}
	return s
}

// ZScores returns (log f - mean)/sd for each kept layer.
func (g *Gaussian) ZScores(row []float64) ([]float64, error) {
	v, err := g.LogFeatures(row)
	if err != nil {
		return nil, err
	}
	return g.zOf(v), nil
}

// LogFeatures returns log f of each kept layer (zero clamped to LogFloor), the vector the
// Gaussian and the one-class SVM model; a row with NaN, infinite or negative values in a kept
// layer gives ErrBadFeatures.
func (g *Gaussian) LogFeatures(row []float64) ([]float64, error) {
	if len(row) != len(g.Layers) {
		return nil, fmt.Errorf("ood: feature row has %d values, detector expects %d", len(row), len(g.Layers))
	}
	out := make([]float64, len(g.Keep))
	for k, j := range g.Keep {
		v, ok := logFeature(row[j])
		if !ok {
			return nil, fmt.Errorf("%w: layer %s has %v", ErrBadFeatures, g.Layers[j], row[j])
		}
		out[k] = v
	}
	return out, nil
}

// zOf returns the z-scores of the kept layers' log features v.
func (g *Gaussian) zOf(v []float64) []float64 {
	z := make([]float64, len(v))
	for k, x := range v {
		z[k] = (x - g.Mean[k]) / math.Sqrt(g.Var[k])
	}
	return z
}

// validate checks that g is a complete Gaussian over layers, the model's parameter names in
// feature order: the same layers, at least one kept, kept indices in range and unique, per kept
// layer a finite mean and a positive finite variance, and reasons for dropped layers that are
// short printable text, no more of them than layers.
func (g *Gaussian) validate(layers []string) error {
	if len(g.Layers) != len(layers) {
		return fmt.Errorf("%d layers, the model has %d", len(g.Layers), len(layers))
	}
	for j, name := range layers {
		if g.Layers[j] != name {
			return fmt.Errorf("layer %d is %q, the model's is %q", j, g.Layers[j], name)
		}
	}
	if len(g.Keep) == 0 || len(g.Mean) != len(g.Keep) || len(g.Var) != len(g.Keep) {
		return fmt.Errorf("%d kept layers with %d means and %d variances, want as many of each and at least one",
			len(g.Keep), len(g.Mean), len(g.Var))
	}
	kept := make([]bool, len(layers))
	for k, j := range g.Keep {
		switch {
		case j < 0 || j >= len(layers):
			return fmt.Errorf("kept layer index %d outside 0..%d", j, len(layers)-1)
		case kept[j]:
			return fmt.Errorf("layer %s is kept twice", layers[j])
		case !finite(g.Mean[k]):
			return fmt.Errorf("mean of layer %s is %v, want a finite number", layers[j], g.Mean[k])
		case !(g.Var[k] > 0) || math.IsInf(g.Var[k], 1):
			return fmt.Errorf("variance of layer %s is %v, want a positive finite number", layers[j], g.Var[k])
		}
		kept[j] = true
	}
	if len(g.Dropped) > len(layers) {
		return fmt.Errorf("%d dropped layers of %d", len(g.Dropped), len(layers))
	}
	for _, why := range g.Dropped {
		if err := checkText("dropped layer", why); err != nil {
			return err
		}
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

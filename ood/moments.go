package ood

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Moments is the state of a Gaussian fit that can be split and merged, for fits computed in
// parts (a distributed pipeline): the number of feature rows and, per layer, the mean and the
// sum of squared deviations (M2) of the log features, added a row at a time by Welford's method
// and merged by the parallel formula of Chan, Golub and LeVeque. However the rows are split and
// in whatever order the parts are merged, Gaussian gives what FitGaussian gives on all the rows
// (the same kept and dropped layers; means and variances equal up to rounding, about 1e-15
// relative), since only the order of floating-point additions differs.
//
// Its fields are exported so that a pipeline can encode it; use NewMoments, Add and Merge to
// change them.
type Moments struct {
	Layers []string // the layers' names, in feature order
	N      int      // feature rows added
	Mean   []float64
	M2     []float64
	// NonFinite marks the layers with a NaN, infinite or negative feature on some row: dropped
	// by Gaussian, as by FitGaussian (their Mean and M2 are then meaningless).
	NonFinite []bool
}

// NewMoments is the state of a fit over no rows, of the given layers in feature order.
func NewMoments(layers []string) *Moments {
	n := len(layers)
	return &Moments{Layers: slices.Clone(layers), Mean: make([]float64, n), M2: make([]float64, n), NonFinite: make([]bool, n)}
}

// Add adds one feature row (one value per layer, as Features.Rows holds them).
func (m *Moments) Add(row []float64) error {
	if err := m.check(); err != nil {
		return err
	}
	if len(row) != len(m.Layers) {
		return fmt.Errorf("ood: fit: row has %d features, want %d", len(row), len(m.Layers))
	}
	m.N++
	n := float64(m.N)
	for j, f := range row {
		if m.NonFinite[j] {
			continue
		}
		v, ok := logFeature(f)
		if !ok {
			m.NonFinite[j] = true
			continue
		}
		d := v - m.Mean[j]
		m.Mean[j] += d / n
		m.M2[j] += d * (v - m.Mean[j])
	}
	return nil
}

// Merge adds the rows of o to m, as if each of them had been added to m; o is unchanged.
func (m *Moments) Merge(o *Moments) error {
	if err := m.check(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if !slices.Equal(m.Layers, o.Layers) {
		return errors.New("ood: fit: merging moments of different layers")
	}
	switch {
	case o.N == 0:
		return nil
	case m.N == 0:
		m.N = o.N
		copy(m.Mean, o.Mean)
		copy(m.M2, o.M2)
		copy(m.NonFinite, o.NonFinite)
		return nil
	}
	na, nb := float64(m.N), float64(o.N)
	n := na + nb
	for j := range m.Layers {
		if m.NonFinite[j] || o.NonFinite[j] {
			m.NonFinite[j] = true
			continue
		}
		d := o.Mean[j] - m.Mean[j]
		m.Mean[j] += d * nb / n
		m.M2[j] += o.M2[j] + d*d*na*nb/n
	}
	m.N += o.N
	return nil
}

// check reports an error unless m's slices have one value per layer and its count is not
// negative: a Moments decoded from elsewhere may not.
func (m *Moments) check() error {
	n := len(m.Layers)
	if m.N < 0 || len(m.Mean) != n || len(m.M2) != n || len(m.NonFinite) != n {
		return fmt.Errorf("ood: fit: moments of %d rows with %d means, %d sums of squares and %d flags for %d layers",
			m.N, len(m.Mean), len(m.M2), len(m.NonFinite), n)
	}
	return nil
}

// Gaussian is the detector's Gaussian over the rows added: what FitGaussian gives on them, with
// the same rules for dropping layers (non-finite features, a variance of at most 1e-12) and the
// same reasons. It needs at least two rows.
func (m *Moments) Gaussian() (*Gaussian, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if m.N < 2 {
		return nil, fmt.Errorf("ood: fit needs at least 2 feature rows, got %d", m.N)
	}
	g := &Gaussian{Layers: slices.Clone(m.Layers)}
	for j, name := range m.Layers {
		if m.NonFinite[j] {
			g.Dropped = append(g.Dropped, name+": non-finite feature on the fit set")
			continue
		}
		variance := m.M2[j] / float64(m.N-1) // unbiased, as FitGaussian's
		if !(variance > 1e-12) {
			g.Dropped = append(g.Dropped, name+": zero variance on the fit set")
			continue
		}
		g.Keep = append(g.Keep, j)
		g.Mean = append(g.Mean, m.Mean[j])
		g.Var = append(g.Var, variance)
	}
	if len(g.Keep) == 0 {
		return nil, errors.New("ood: fit: every layer has zero variance or non-finite features")
	}
	return g, nil
}

// NewComplexityTerm is the complexity term of a combined detector fitted on rows with these
// gradient scores and S-scores (each in any order): as FitWith makes it, an unusable S-score
// (NaN or -Inf) counts as +Inf, and both lists are sorted copies.
func NewComplexityTerm(compressor string, gradient, s []float64) (*ComplexityTerm, error) {
	if compressor == "" {
		return nil, errors.New("ood: fit: input complexities without the name of their compressor")
	}
	if len(gradient) != len(s) {
		return nil, fmt.Errorf("ood: fit: %d S-scores for %d feature rows", len(s), len(gradient))
	}
	c := &ComplexityTerm{Compressor: compressor, GradientFitScores: slices.Clone(gradient), SFitScores: slices.Clone(s)}
	for i, v := range c.SFitScores {
		c.SFitScores[i] = fitSScore(v)
	}
	sort.Float64s(c.GradientFitScores)
	sort.Float64s(c.SFitScores)
	return c, nil
}

// FitScore is the combined score of a fit row with gradient score g and S-score s, as FitWith
// computes the fit scores of a combined detector (an unusable s counted as +Inf).
func (c *ComplexityTerm) FitScore(g, s float64) float64 { return c.combine(g, fitSScore(s)) }

// fitSScore is s, or +Inf when s is unusable (NaN or -Inf), as FitWith counts fit S-scores.
func fitSScore(s float64) float64 {
	if math.IsNaN(s) || math.IsInf(s, -1) {
		return math.Inf(1)
	}
	return s
}

// AssembleDetector is the Gaussian detector for group size b that FitWith fits, from parts
// computed apart: g (from Moments.Gaussian), the typicality of the fit images' NLLs, the fit
// rows' scores in any order (their gradient scores, Gaussian.Score with +Inf for unusable
// features, or for a combined detector c.FitScore of them) and, for a combined detector, its
// complexity term c (else nil). o gives the recall, the fit data's description and the seed;
// a one-class SVM (o.Model) is not assembled this way, since its fit needs every row at once.
// The detector is validated against g's layers.
func AssembleDetector(b int, g *Gaussian, t Typicality, scores []float64, c *ComplexityTerm, o FitOptions) (*Detector, error) {
	switch {
	case g == nil:
		return nil, errors.New("ood: fit: no Gaussian")
	case len(scores) < 2:
		return nil, fmt.Errorf("ood: fit: %d feature rows for B=%d", len(scores), b)
	case !(o.Recall > 0 && o.Recall <= 1):
		return nil, fmt.Errorf("ood: fit: recall %g must be in (0, 1]", o.Recall)
	case o.Model != "" && o.Model != ModelGaussian:
		return nil, fmt.Errorf("ood: fit: score model %q cannot be assembled from parts; want %q", o.Model, ModelGaussian)
	}
	d := &Detector{GroupSize: b, Gaussian: g, Typicality: t, FitData: o.FitData, FitRows: len(scores), Seed: o.Seed,
		Recall: o.Recall, FitScores: slices.Clone(scores), Complexity: c}
	d.setThreshold()
	if err := d.Validate(g.Layers); err != nil {
		return nil, err
	}
	return d, nil
}

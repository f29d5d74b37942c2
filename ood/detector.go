package ood

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Detector is a fitted detector for one batch size B: the Gaussian over log gradient features,
// the typicality baseline, and the distribution of fit-set scores for percentiles and a
// threshold. It is stored as JSON in a weight file's metadata.
type Detector struct {
	GroupSize  int        `json:"group_size"` // the paper's B
	Gaussian   *Gaussian  `json:"gaussian"`
	Typicality Typicality `json:"typicality"`
	FitData    string     `json:"fit_data"`
	FitRows    int        `json:"fit_rows"`
	Seed       uint64     `json:"seed"`
	// FitScores are the fit set's gradient scores, sorted.
	FitScores []float64 `json:"fit_scores"`
	// Recall is the in-distribution recall the threshold keeps (0.95: 95% of fit rows pass).
	Recall    float64 `json:"recall"`
	Threshold float64 `json:"threshold"`
}

// Fit fits a detector for group size b from features of held-out in-distribution images.
func Fit(f *Features, b int, recall float64, fitData string, seed uint64) (*Detector, error) {
	rows := f.Rows[b]
	if len(rows) < 2 {
		return nil, fmt.Errorf("ood: fit: %d feature rows for B=%d", len(rows), b)
	}
	if !(recall > 0 && recall <= 1) {
		return nil, fmt.Errorf("ood: fit: recall %g must be in (0, 1]", recall)
	}
	gauss, err := FitGaussian(f.Layers, rows)
	if err != nil {
		return nil, err
	}
	d := &Detector{GroupSize: b, Gaussian: gauss, Typicality: FitTypicality(f.NLL), FitData: fitData,
		FitRows: len(rows), Seed: seed, Recall: recall}
	for _, r := range rows {
		s, err := gauss.Score(r)
		if err != nil && !errors.Is(err, ErrBadFeatures) {
			return nil, err
		}
		d.FitScores = append(d.FitScores, s)
	}
	sort.Float64s(d.FitScores)
	k := int(math.Ceil(recall*float64(len(d.FitScores)))) - 1
	d.Threshold = d.FitScores[max(k, 0)]
	return d, nil
}

// Percentile is the percentage of fit-set scores at or below score.
func (d *Detector) Percentile(score float64) float64 {
	i := sort.Search(len(d.FitScores), func(i int) bool { return d.FitScores[i] > score })
	return 100 * float64(i) / float64(len(d.FitScores))
}

// IsOOD reports whether score lies beyond the threshold.
func (d *Detector) IsOOD(score float64) bool { return score > d.Threshold }

// Result is the verdict on one image or batch.
type Result struct {
	NLL        float64 // mean bits/dim over the batch
	Score      float64 // gradient score: negative log-density of the log features
	Typicality float64 // |NLL - H|
	Percentile float64 // of Score among the fit set's scores
	OOD        bool
	Invalid    string // why the features were unusable, or ""
	ZScores    []float64
}

// Assess scores one feature row with the NLLs of its images.
func (d *Detector) Assess(row []float64, nll []float64) Result {
	r := Result{Typicality: d.Typicality.Score(nll)}
	for _, v := range nll {
		r.NLL += v / float64(len(nll))
	}
	z, err := d.Gaussian.ZScores(row)
	if err != nil {
		r.Score, r.OOD, r.Invalid, r.Percentile = math.Inf(1), true, err.Error(), 100
		return r
	}
	r.ZScores = z
	r.Score, _ = d.Gaussian.Score(row)
	r.Percentile = d.Percentile(r.Score)
	r.OOD = d.IsOOD(r.Score)
	return r
}

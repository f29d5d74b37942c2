package ood

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
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

// IsOOD reports whether score lies beyond the threshold; a NaN score is OOD.
func (d *Detector) IsOOD(score float64) bool { return !(score <= d.Threshold) }

// Reasons in Result.Invalid for non-finite numbers.
const (
	NonFiniteScore = "non-finite gradient score"
	NonFiniteNLL   = "non-finite likelihood"
)

// Result is the verdict on one image or batch.
type Result struct {
	NLL        float64 // mean bits/dim over the batch
	Score      float64 // gradient score: negative log-density of the log features
	Typicality float64 // |NLL - H|
	Percentile float64 // of Score among the fit set's scores
	OOD        bool
	// Invalid says why the features or the numbers were unusable ("; " between reasons), or "".
	// An invalid result is OOD.
	Invalid string
	ZScores []float64
}

// Assess scores one feature row with the NLLs of its images. Unusable features, a NaN or
// infinite gradient score and a NaN or infinite NLL make the result OOD, with the reasons in
// Invalid.
func (d *Detector) Assess(row []float64, nll []float64) Result {
	r := Result{Typicality: d.Typicality.Score(nll)}
	for _, v := range nll {
		r.NLL += v / float64(len(nll))
	}
	var invalid []string
	if z, err := d.Gaussian.ZScores(row); err != nil {
		r.Score, r.Percentile = math.Inf(1), 100
		invalid = append(invalid, err.Error())
	} else {
		r.ZScores, r.Score = z, d.Gaussian.scoreOf(z)
		r.Percentile = d.Percentile(r.Score)
		if !finite(r.Score) {
			invalid = append(invalid, NonFiniteScore)
		}
	}
	if !finite(r.NLL) {
		invalid = append(invalid, NonFiniteNLL)
	}
	r.Invalid = strings.Join(invalid, "; ")
	r.OOD = r.Invalid != "" || d.IsOOD(r.Score)
	return r
}

// Validate checks a detector read from a weight file against the model's layers (its parameter
// names, in feature order): a positive group size, a complete Gaussian over those layers, a
// finite typicality entropy and threshold, a recall in (0, 1], and as many fit scores as fit
// rows, sorted, none NaN or -Inf (+Inf marks a fit row with unusable features).
func (d *Detector) Validate(layers []string) error {
	if d == nil {
		return errors.New("ood: detector is null")
	}
	if err := d.validate(layers); err != nil {
		return fmt.Errorf("ood: detector for B = %d: %w", d.GroupSize, err)
	}
	return nil
}

// validate is Validate without the detector's name on errors.
func (d *Detector) validate(layers []string) error {
	switch {
	case d.GroupSize < 1:
		return errors.New("group size must be >= 1")
	case d.Gaussian == nil:
		return errors.New("no gaussian")
	case !finite(d.Typicality.H):
		return fmt.Errorf("typicality entropy %v, want a finite number", d.Typicality.H)
	case !(d.Recall > 0 && d.Recall <= 1):
		return fmt.Errorf("recall %v outside (0, 1]", d.Recall)
	case !finite(d.Threshold):
		return fmt.Errorf("threshold %v, want a finite number", d.Threshold)
	case len(d.FitScores) == 0:
		return errors.New("no fit scores")
	case d.FitRows != len(d.FitScores):
		return fmt.Errorf("%d fit rows with %d fit scores", d.FitRows, len(d.FitScores))
	}
	if err := checkText("fit data", d.FitData); err != nil {
		return err
	}
	for i, s := range d.FitScores {
		switch {
		case math.IsNaN(s) || math.IsInf(s, -1):
			return fmt.Errorf("fit score %d is %v", i, s)
		case i > 0 && s < d.FitScores[i-1]:
			return fmt.Errorf("fit scores are not sorted (score %d is %v, after %v)", i, s, d.FitScores[i-1])
		}
	}
	if err := d.Gaussian.validate(layers); err != nil {
		return fmt.Errorf("gaussian: %w", err)
	}
	return nil
}

// maxText bounds the length in bytes of the text a detector holds.
const maxText = 1024

// checkText reports an error unless s is printable UTF-8 text of at most maxText bytes, fit for
// messages.
func checkText(field, s string) error {
	if len(s) > maxText || !utf8.ValidString(s) || strings.IndexFunc(s, notPrint) >= 0 {
		return fmt.Errorf("%s %.40q is not printable text of at most %d bytes", field, s, maxText)
	}
	return nil
}

func notPrint(r rune) bool { return !unicode.IsPrint(r) }

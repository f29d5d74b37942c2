package ood

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oodgpu/oodgpu/ood/ocsvm"
)

// Score models of a detector (Detector.Model, FitOptions.Model).
const (
	// ModelGaussian scores a row by the negative log-density of its log features under the
	// diagonal Gaussian: the paper's detector.
	ModelGaussian = "gaussian"
	// ModelOCSVM scores a row by minus the decision value of a one-class SVM (RBF kernel) on its
	// log features: the paper's Table 6.
	ModelOCSVM = "ocsvm"
)

// Detector is a fitted detector for one batch size B: the Gaussian over log gradient features
// (and, when OCSVM is set, a one-class SVM over the same log features that gives the score
// instead), the typicality baseline, and the distribution of fit-set scores for percentiles and a
// threshold. It is stored as JSON in a weight file's metadata.
type Detector struct {
	GroupSize int       `json:"group_size"` // the paper's B
	Gaussian  *Gaussian `json:"gaussian"`
	// OCSVM, when set, is the score model: a one-class SVM over the log features of the layers
	// the Gaussian keeps, unstandardized; the score is minus its decision value. The Gaussian
	// still gives the per-layer z-scores and decides which layers are used.
	OCSVM      *ocsvm.Model `json:"ocsvm,omitempty"`
	Typicality Typicality   `json:"typicality"`
	FitData    string       `json:"fit_data"`
	FitRows    int          `json:"fit_rows"`
	Seed       uint64       `json:"seed"`
	// FitScores are the fit set's gradient scores, sorted.
	FitScores []float64 `json:"fit_scores"`
	// Recall is the in-distribution recall the threshold keeps (0.95: 95% of fit rows pass).
	Recall    float64 `json:"recall"`
	Threshold float64 `json:"threshold"`
	// Complexity, when set, makes the detector a combined one: its score joins the gradient
	// score and the S-score by Fisher's method on their conformal p-values, and FitScores and
	// Threshold are of that combined score.
	Complexity *ComplexityTerm `json:"complexity,omitempty"`
}

// ComplexityTerm is the S-score part of a combined detector: S(x) = NLL(x) - L(x), L the
// image's input complexity (its losslessly compressed length in bits per dimension, by the
// compressor named Compressor; package complexity), of Serra et al. (2020). The detector's
// score is FisherCombined of two conformal p-values: the gradient score's against
// GradientFitScores and the S-score's against SFitScores. Each part weighs the same whatever
// its scale, so an image flagged by either scores high: the S-score sees images that are
// likely only because they are simple, the gradient score those the likelihood cannot tell.
type ComplexityTerm struct {
	Compressor string `json:"compressor"`
	// GradientFitScores and SFitScores are the fit rows' gradient scores and S-scores, sorted
	// (+Inf for a row whose numbers were unusable).
	GradientFitScores []float64 `json:"gradient_fit_scores"`
	SFitScores        []float64 `json:"s_fit_scores"`
}

// combine is the combined score of a gradient score g and an S-score s: Fisher's method on
// their conformal p-values against the fit rows'.
func (c *ComplexityTerm) combine(g, s float64) float64 {
	return FisherCombined(ConformalP(c.GradientFitScores, g), ConformalP(c.SFitScores, s))
}

// Model names the detector's score model: ModelOCSVM or ModelGaussian.
func (d *Detector) Model() string {
	if d.OCSVM != nil {
		return ModelOCSVM
	}
	return ModelGaussian
}

// FitOptions are the choices of FitWith.
type FitOptions struct {
	// Recall is the in-distribution recall the threshold keeps, in (0, 1].
	Recall float64
	// FitData says what the fit images were, for messages.
	FitData string
	// Seed is the dequantization seed of the features, recorded.
	Seed uint64
	// Model is the score model, ModelGaussian ("" too) or ModelOCSVM.
	Model string
	// Nu is the one-class SVM's nu, in (0, 1]: an upper bound on the share of fit rows outside
	// its support, a lower bound on the share of support vectors. 0 means 1 - Recall, so that
	// the SVM's boundary and the threshold aim at the same false-alarm rate. Gamma is always
	// scikit-learn's "scale" rule over the fit set's log features (ocsvm.ScaleGamma).
	Nu float64
	// Complexity, when set, makes a combined detector (ComplexityTerm): the input complexity
	// L of each image of the fit features, in bits per dimension, by the compressor named
	// Compressor.
	Complexity []float64
	Compressor string
}

// Fit fits a detector with the Gaussian score for group size b from features of held-out
// in-distribution images: FitWith with that model.
func Fit(f *Features, b int, recall float64, fitData string, seed uint64) (*Detector, error) {
	return FitWith(context.Background(), f, b, FitOptions{Recall: recall, FitData: fitData, Seed: seed})
}

// FitWith fits a detector for group size b from features of held-out in-distribution images:
// the Gaussian over the log features (which also chooses the layers), the one-class SVM on
// those layers' log features when o.Model asks for it (at most ocsvm.MaxRows rows), the fit
// rows' scores, and the threshold that keeps o.Recall of them. A long SVM fit stops when ctx
// is cancelled.
func FitWith(ctx context.Context, f *Features, b int, o FitOptions) (*Detector, error) {
	rows := f.Rows[b]
	if len(rows) < 2 {
		return nil, fmt.Errorf("ood: fit: %d feature rows for B=%d", len(rows), b)
	}
	if !(o.Recall > 0 && o.Recall <= 1) {
		return nil, fmt.Errorf("ood: fit: recall %g must be in (0, 1]", o.Recall)
	}
	if o.Model != "" && o.Model != ModelGaussian && o.Model != ModelOCSVM {
		return nil, fmt.Errorf("ood: fit: score model %q: want %q or %q", o.Model, ModelGaussian, ModelOCSVM)
	}
	gauss, err := FitGaussian(f.Layers, rows)
	if err != nil {
		return nil, err
	}
	d := &Detector{GroupSize: b, Gaussian: gauss, Typicality: FitTypicality(f.NLL), FitData: o.FitData,
		FitRows: len(rows), Seed: o.Seed, Recall: o.Recall}
	if o.Model == ModelOCSVM {
		nu, from := o.Nu, ""
		if nu == 0 {
			nu, from = 1-o.Recall, fmt.Sprintf(" (1 - recall %v)", o.Recall)
		}
		if !(nu > 0 && nu <= 1) {
			return nil, fmt.Errorf("ood: fit: one-class SVM nu %v%s outside (0, 1]", nu, from)
		}
		// Every kept layer is finite on every fit row (FitGaussian drops the others).
		x := make([][]float64, len(rows))
		for i, r := range rows {
			if x[i], err = gauss.LogFeatures(r); err != nil {
				return nil, fmt.Errorf("ood: fit: row %d: %w", i, err)
			}
		}
		if d.OCSVM, err = ocsvm.Fit(ctx, x, ocsvm.Params{Nu: nu}); err != nil {
			return nil, fmt.Errorf("ood: fit B=%d: %w", b, err)
		}
	}
	for _, r := range rows {
		s, err := d.score(r)
		if err != nil && !errors.Is(err, ErrBadFeatures) {
			return nil, err
		}
		d.FitScores = append(d.FitScores, s)
	}
	if o.Complexity != nil {
		if err := d.addComplexity(f, o.Complexity, o.Compressor); err != nil {
			return nil, err
		}
	}
	d.setThreshold()
	return d, nil
}

// addComplexity makes d a combined detector: l holds the input complexity of each image of the
// fit features f, by the compressor named compressor, and d.FitScores the fit rows' gradient
// scores in row order, which it replaces by their combined scores.
func (d *Detector) addComplexity(f *Features, l []float64, compressor string) error {
	s, err := SScores(f.NLL, l, d.GroupSize)
	if err != nil {
		return fmt.Errorf("ood: fit: %w", err)
	}
	c, err := NewComplexityTerm(compressor, d.FitScores, s)
	if err != nil {
		return err
	}
	for i, g := range d.FitScores {
		d.FitScores[i] = c.FitScore(g, s[i])
	}
	d.Complexity = c
	return nil
}

// setThreshold sorts d's fit scores and sets its threshold to the one that keeps the share
// d.Recall of them.
func (d *Detector) setThreshold() {
	sort.Float64s(d.FitScores)
	k := int(math.Ceil(d.Recall*float64(len(d.FitScores)))) - 1
	d.Threshold = d.FitScores[max(k, 0)]
}

// score is the detector's score of a feature row; a row with unusable features scores +Inf with
// ErrBadFeatures.
func (d *Detector) score(row []float64) (float64, error) {
	v, err := d.Gaussian.LogFeatures(row)
	if err != nil {
		return math.Inf(1), err
	}
	return d.scoreOf(v, nil), nil
}

// scoreOf is the score of the kept layers' log features v, whose z-scores are z (computed
// from v when nil and needed).
func (d *Detector) scoreOf(v, z []float64) float64 {
	if d.OCSVM != nil {
		f, err := d.OCSVM.Decision(v)
		if err != nil { // Validate makes the lengths agree
			return math.NaN()
		}
		return -f
	}
	if z == nil {
		z = d.Gaussian.zOf(v)
	}
	return d.Gaussian.scoreOf(z)
}

// Percentile is the percentage of fit-set scores at or below score.
func (d *Detector) Percentile(score float64) float64 {
	i := sort.Search(len(d.FitScores), func(i int) bool { return d.FitScores[i] > score })
	return 100 * float64(i) / float64(len(d.FitScores))
}

// IsOOD reports whether score lies beyond the threshold; a NaN score is OOD.
func (d *Detector) IsOOD(score float64) bool { return !(score <= d.Threshold) }

// Reasons in Result.Invalid for non-finite numbers and missing input.
const (
	NonFiniteScore = "non-finite gradient score"
	NonFiniteNLL   = "non-finite likelihood"
	NoComplexity   = "no input complexity"
)

// Result is the verdict on one image or batch.
type Result struct {
	NLL float64 // mean bits/dim over the batch
	// Score is the detector's score: the gradient score, or for a combined detector
	// (Detector.Complexity) the gradient score and the S-score joined.
	Score float64
	// GradientScore is the negative log-density of the log features (or minus the one-class
	// SVM's decision value).
	GradientScore float64
	// Complexity is the batch's mean input complexity L in bits/dim, and SScore is NLL -
	// Complexity: both NaN unless the detector is a combined one.
	Complexity, SScore float64
	Typicality         float64 // |NLL - H|
	Percentile         float64 // of Score among the fit set's scores
	OOD                bool
	// Invalid says why the features or the numbers were unusable ("; " between reasons), or "".
	// An invalid result is OOD.
	Invalid string
	ZScores []float64
}

// Assess scores one feature row with the NLLs of its images and, for a combined detector, their
// input complexities l (nil otherwise; ignored then). Unusable features, a NaN or infinite
// gradient score, a NaN or infinite NLL and, for a combined detector, missing complexities make
// the result OOD, with the reasons in Invalid.
func (d *Detector) Assess(row, nll, l []float64) Result {
	r := Result{Typicality: d.Typicality.Score(nll), Complexity: math.NaN(), SScore: math.NaN()}
	for _, v := range nll {
		r.NLL += v / float64(len(nll))
	}
	var invalid []string
	if v, err := d.Gaussian.LogFeatures(row); err != nil {
		r.GradientScore = math.Inf(1)
		invalid = append(invalid, err.Error())
	} else {
		r.ZScores = d.Gaussian.zOf(v)
		r.GradientScore = d.scoreOf(v, r.ZScores)
		if !finite(r.GradientScore) {
			invalid = append(invalid, NonFiniteScore)
		}
	}
	if !finite(r.NLL) {
		invalid = append(invalid, NonFiniteNLL)
	}
	r.Score = r.GradientScore
	if d.Complexity != nil {
		if len(l) != len(nll) || len(l) == 0 {
			invalid = append(invalid, NoComplexity)
		} else {
			r.Complexity = 0
			for _, v := range l {
				r.Complexity += v / float64(len(l))
			}
			r.SScore = r.NLL - r.Complexity
		}
		s := r.SScore
		if !finite(s) {
			s = math.Inf(1)
		}
		r.Score = d.Complexity.combine(r.GradientScore, s)
	}
	r.Percentile = d.Percentile(r.Score)
	r.Invalid = strings.Join(invalid, "; ")
	r.OOD = r.Invalid != "" || d.IsOOD(r.Score)
	return r
}

// Validate checks a detector read from a weight file against the model's layers (its parameter
// names, in feature order): a positive group size, a complete Gaussian over those layers, a
// finite typicality entropy and threshold, a recall in (0, 1], as many fit scores as fit
// rows, sorted, none NaN or -Inf (+Inf marks a fit row with unusable features), and a one-class
// SVM, if any, that is valid (ocsvm.Model.Validate), over as many values as the Gaussian keeps
// layers and fitted on the detector's fit rows; a complexity term, if any, naming its compressor
// (the caller checks that it knows it) with fit scores of each part checked as the detector's.
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
	}
	if err := checkText("fit data", d.FitData); err != nil {
		return err
	}
	if err := checkFitScores("", d.FitScores, d.FitRows); err != nil {
		return err
	}
	if err := d.Gaussian.validate(layers); err != nil {
		return fmt.Errorf("gaussian: %w", err)
	}
	if c := d.Complexity; c != nil {
		if c.Compressor == "" {
			return errors.New("complexity: no compressor")
		}
		if err := checkText("complexity compressor", c.Compressor); err != nil {
			return err
		}
		if err := checkFitScores("complexity: gradient", c.GradientFitScores, d.FitRows); err != nil {
			return err
		}
		if err := checkFitScores("complexity: S-score", c.SFitScores, d.FitRows); err != nil {
			return err
		}
	}
	if d.OCSVM != nil {
		if err := d.OCSVM.Validate(); err != nil {
			return err
		}
		if d.OCSVM.Dim != len(d.Gaussian.Keep) {
			return fmt.Errorf("ocsvm: rows of %d values, the gaussian keeps %d layers", d.OCSVM.Dim, len(d.Gaussian.Keep))
		}
		if d.OCSVM.Rows != d.FitRows {
			return fmt.Errorf("ocsvm: fitted on %d rows, the detector on %d", d.OCSVM.Rows, d.FitRows)
		}
	}
	return nil
}

// checkFitScores reports an error unless scores, the fit scores named by what ("" for the
// detector's own), are rows scores, sorted, none NaN or -Inf (+Inf marks a fit row with
// unusable numbers).
func checkFitScores(what string, scores []float64, rows int) error {
	if what != "" {
		what += " "
	}
	switch {
	case len(scores) == 0:
		return fmt.Errorf("no %sfit scores", what)
	case rows != len(scores):
		return fmt.Errorf("%d fit rows with %d %sfit scores", rows, len(scores), what)
	}
	for i, s := range scores {
		switch {
		case math.IsNaN(s) || math.IsInf(s, -1):
			return fmt.Errorf("%sfit score %d is %v", what, i, s)
		case i > 0 && s < scores[i-1]:
			return fmt.Errorf("%sfit scores are not sorted (score %d is %v, after %v)", what, i, s, scores[i-1])
		}
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

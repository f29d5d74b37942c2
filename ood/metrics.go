// Package ood turns a generative model's layer-wise gradient features into out-of-distribution
// scores, as in "Approximations to the Fisher Information Metric of Deep Generative Models for
// Out-Of-Distribution Detection": a diagonal Gaussian fitted to the log features of held-out
// in-distribution data, its negative log-density as the score (or, as in the paper's Table 6,
// minus the decision value of a one-class SVM on the same log features: package ood/ocsvm),
// beside the baselines (likelihood, the typicality test, Fisher's method over per-layer z-tests)
// and the usual metrics.
package ood

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// Metrics summarizes how well scores separate in-distribution from out-of-distribution samples.
// Scores follow one convention everywhere: higher means more out-of-distribution, and OOD is the
// positive class.
type Metrics struct {
	AUROC    float64 // area under the ROC curve
	AUPRIn   float64 // average precision with in-distribution as the positive class
	AUPROut  float64 // average precision with OOD as the positive class
	FPR95TPR float64 // fraction of in-distribution samples flagged when 95% of OOD ones are
}

// ErrNoScores is returned when either score set is empty or holds a NaN.
var ErrNoScores = errors.New("ood: metrics need non-empty, NaN-free in- and out-of-distribution scores")

// Evaluate computes the metrics of in-distribution scores in against OOD scores out. Ties count
// half (the AUROC equals the Mann-Whitney probability P(out > in) + P(out = in)/2). +Inf is allowed
// (a sample whose features are unusable is maximally OOD).
func Evaluate(in, out []float64) (Metrics, error) {
	if len(in) == 0 || len(out) == 0 || hasNaN(in) || hasNaN(out) {
		return Metrics{}, ErrNoScores
	}
	return Metrics{
		AUROC:    auroc(in, out),
		AUPRIn:   averagePrecision(negate(in), negate(out)),
		AUPROut:  averagePrecision(out, in),
		FPR95TPR: fprAtTPR(in, out, 0.95),
	}, nil
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

func negate(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

// scored is one score with its class (positive: OOD).
type scored struct {
	s   float64
	pos bool
}

// labelled joins negatives and positives, sorted by descending score.
func labelled(neg, pos []float64) []scored {
	all := make([]scored, 0, len(neg)+len(pos))
	for _, s := range neg {
		all = append(all, scored{s, false})
	}
	for _, s := range pos {
		all = append(all, scored{s, true})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].s > all[j].s })
	return all
}

// auroc is the area under ROC's curve by the trapezoid rule. Tied in- and out-of-distribution
// scores make one diagonal step of the curve, which the trapezoid counts half, so the area is the
// Mann-Whitney statistic with mid-ranks for ties: P(out > in) + P(out = in)/2.
func auroc(in, out []float64) float64 {
	fpr, tpr := ROC(in, out)
	return integrate.Trapezoidal(fpr, tpr)
}

// averagePrecision is the area under the precision-recall curve of positives pos against
// negatives neg (step-wise, as scikit-learn's average_precision_score, with tied scores taken
// together). gonum/stat has no precision-recall curve, and reading one off stat.ROC's rates would
// round the counts it is built from.
func averagePrecision(pos, neg []float64) float64 {
	all := labelled(neg, pos)
	var tp, fp, ap, prevRecall float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			if all[j].pos {
				tp++
			} else {
				fp++
			}
			j++
		}
		recall := tp / float64(len(pos))
		ap += (recall - prevRecall) * tp / (tp + fp)
		prevRecall = recall
		i = j
	}
	return ap
}

// fprAtTPR is the smallest false-positive rate at which at least tpr of the OOD scores are at or
// above the threshold. The threshold is picked by counting: stat.Quantile(1-tpr, stat.Empirical,
// ...) lands one score lower whenever (1-tpr) times the count is whole (tpr 0.5 of 4 OOD scores:
// a threshold that flags three of them, not two).
func fprAtTPR(in, out []float64, tpr float64) float64 {
	o := append([]float64(nil), out...)
	sort.Sort(sort.Reverse(sort.Float64Slice(o)))
	k := int(math.Ceil(tpr*float64(len(o)))) - 1
	threshold := o[max(k, 0)]
	flagged := 0
	for _, s := range in {
		if s >= threshold {
			flagged++
		}
	}
	return float64(flagged) / float64(len(in))
}

// ROC returns the ROC curve of OOD scores out against in-distribution scores in: false- and
// true-positive rates at every distinct threshold, from (0, 0) to (1, 1), by stat.ROC. Both sets
// must be non-empty and NaN-free, as Evaluate checks; otherwise ROC returns nil.
func ROC(in, out []float64) (fpr, tpr []float64) {
	if len(in) == 0 || len(out) == 0 || hasNaN(in) || hasNaN(out) {
		return nil, nil
	}
	y := append(append(make([]float64, 0, len(in)+len(out)), in...), out...)
	classes := make([]bool, len(y))
	for i := len(in); i < len(y); i++ {
		classes[i] = true
	}
	stat.SortWeightedLabeled(y, classes, nil)
	tpr, fpr, _ = stat.ROC(nil, y, classes, nil)
	// stat.ROC's first point is at its extra cutoff +Inf, which scores of +Inf reach (they flag at
	// y >= cutoff), and is 1 - n*(1/n), which rounding can leave just off 0: the curve starts at
	// (0, 0), nothing flagged above every score.
	fpr[0], tpr[0] = 0, 0
	return fpr, tpr
}

// AUROCInterval is a percentile bootstrap interval for the AUROC of in against out: reps
// resamples, each drawing len(in) in-distribution and len(out) OOD scores with replacement (from
// a generator seeded by seed), and the (1-level)/2 and (1+level)/2 quantiles of their AUROCs.
func AUROCInterval(in, out []float64, level float64, reps int, seed uint64) (lo, hi float64, err error) {
	if len(in) == 0 || len(out) == 0 || hasNaN(in) || hasNaN(out) {
		return 0, 0, ErrNoScores
	}
	if !(level > 0 && level < 1) || reps < 2 {
		return 0, 0, fmt.Errorf("ood: bootstrap: level %v and %d resamples: want a level in (0, 1) and at least 2", level, reps)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	a, b := make([]float64, len(in)), make([]float64, len(out))
	aurocs := make([]float64, reps)
	for k := range aurocs {
		for i := range a {
			a[i] = in[r.IntN(len(in))]
		}
		for i := range b {
			b[i] = out[r.IntN(len(out))]
		}
		aurocs[k] = auroc(a, b)
	}
	sort.Float64s(aurocs)
	return stat.Quantile((1-level)/2, stat.Empirical, aurocs, nil), stat.Quantile((1+level)/2, stat.Empirical, aurocs, nil), nil
}

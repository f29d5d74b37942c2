package ood

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Analyses behind the paper's Figures 4 to 6.

// LogRows returns log f of the kept layers of every row (zero clamped as in scoring; rows with a
// non-finite kept feature are skipped).
func (g *Gaussian) LogRows(rows [][]float64) [][]float64 {
	var out [][]float64
	for _, r := range rows {
		l := make([]float64, len(g.Keep))
		ok := true
		for k, j := range g.Keep {
			if l[k], ok = logFeature(r[j]); !ok {
				break
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// MostDiscriminative returns the positions (in g.Keep) of the k kept layers whose log features
// differ most between in and out rows, by standardized mean difference.
func (g *Gaussian) MostDiscriminative(in, out [][]float64, k int) []int {
	li, lo := g.LogRows(in), g.LogRows(out)
	type cand struct {
		pos int
		d   float64
	}
	var cs []cand
	for p := range g.Keep {
		mi, vi := meanVar(column(li, p))
		mo, vo := meanVar(column(lo, p))
		cs = append(cs, cand{p, math.Abs(mi-mo) / math.Sqrt((vi+vo)/2+1e-12)})
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].d > cs[b].d })
	var res []int
	for i := 0; i < k && i < len(cs); i++ {
		res = append(res, cs[i].pos)
	}
	return res
}

func column(rows [][]float64, c int) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = r[c]
	}
	return out
}

// meanVar is the mean and the unbiased variance of v (stat.MeanVariance), with the variance of a
// single value taken as 0 where gonum's is 0/0, so that one row still ranks layers.
func meanVar(v []float64) (mean, variance float64) {
	if len(v) == 1 {
		return v[0], 0
	}
	return stat.MeanVariance(v, nil)
}

// FisherWindow estimates the empirical Fisher information F = mean over samples of g g^T from
// per-sample gradient vectors (a window of a few coordinates of some layers). It returns F
// normalized to unit diagonal, F_ij / sqrt(F_ii F_jj), and the ratio of the mean magnitude of
// F's diagonal to that of its off-diagonal entries: the paper's Figure 5 shows that the Fisher
// matrix is close to diagonal.
func FisherWindow(grads [][]float64) (normalized [][]float64, ratio float64) {
	n := len(grads[0])
	f := make([][]float64, n)
	for i := range f {
		f[i] = make([]float64, n)
		for j := range f[i] {
			for _, g := range grads {
				f[i][j] += g[i] * g[j]
			}
			f[i][j] /= float64(len(grads))
		}
	}
	normalized = make([][]float64, n)
	var diag, off float64
	for i := range f {
		normalized[i] = make([]float64, n)
		for j := range f[i] {
			normalized[i][j] = f[i][j] / math.Sqrt(f[i][i]*f[j][j])
			if i == j {
				diag += math.Abs(f[i][j])
			} else {
				off += math.Abs(f[i][j])
			}
		}
	}
	return normalized, (diag / float64(n)) / (off / float64(n*(n-1)))
}

// CorrelationByDistance returns, for d = 1, 2, ..., the mean absolute Pearson correlation between
// the log features of kept layers d apart in the model's layer order (the paper's Figure 6). It
// needs at least two rows; a layer whose log feature is constant over them counts as uncorrelated
// with every other.
func CorrelationByDistance(logRows [][]float64) []float64 {
	k := len(logRows[0])
	cols := make([][]float64, k)
	for c := range cols {
		cols[c] = column(logRows, c)
	}
	sum := make([]float64, k)
	count := make([]float64, k)
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			r := stat.Correlation(cols[a], cols[b], nil)
			if math.IsNaN(r) {
				r = 0 // a constant column: gonum divides 0 by 0
			}
			sum[b-a] += math.Abs(r)
			count[b-a]++
		}
	}
	out := make([]float64, 0, k-1)
	for d := 1; d < k; d++ {
		out = append(out, sum[d]/count[d])
	}
	return out
}

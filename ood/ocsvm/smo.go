package ocsvm

import (
	"context"
	"fmt"
	"math"
)

// tau replaces a non-positive curvature in a working-set step, as LIBSVM's TAU.
const tau = 1e-12

// solution is what solve found.
type solution struct {
	alpha []float64
	rho   float64
	iter  int
}

// solve minimizes 1/2 a^T Q a subject to 0 <= a_i <= 1 and sum_i a_i = nu l, for the l x l
// kernel matrix q (row-major), by SMO as LIBSVM's Solver does for the one-class problem (every
// label +1, a zero linear term, both bounds 1), without shrinking:
//
//   - start: the first floor(nu l) coefficients at 1, the next at the remainder, the rest at 0;
//   - working set (WSS 2): i maximizes -G_i among a_i < 1; j, among a_j > 0 with G_j > -G_i,
//     maximizes the decrease (G_i - G_j)^2 / (Q_ii + Q_jj - 2 Q_ij) of the two-variable step;
//   - stop when max_{a_i < 1} -G_i + max_{a_j > 0} G_j < tol (or no pair remains);
//   - rho: the mean of G over the free coefficients, else the midpoint between the largest G at
//     the upper bound and the smallest at the lower bound (either alone when the other is
//     missing; LIBSVM's midpoint would then be infinite).
//
// G = Q a is the gradient, so that the decision value at training row i is G_i - rho.
func solve(ctx context.Context, q []float64, l int, nu, tol float64) (solution, error) {
	alpha := make([]float64, l)
	total := nu * float64(l)
	n := int(total)
	for i := range n {
		alpha[i] = 1
	}
	if n < l {
		alpha[n] = total - float64(n)
	}
	g := make([]float64, l)
	for i, a := range alpha {
		if a > 0 {
			row := q[i*l : (i+1)*l]
			for k := range g {
				g[k] += a * row[k]
			}
		}
	}
	maxIter := 10_000_000
	if l > math.MaxInt32/100 {
		maxIter = math.MaxInt32
	} else {
		maxIter = max(maxIter, 100*l)
	}
	iter := 0
	for ; ; iter++ {
		if iter%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return solution{}, fmt.Errorf("ocsvm: fit: %w", err)
			}
		}
		i, j, ok := selectWorkingSet(q, l, alpha, g, tol)
		if !ok {
			break
		}
		if iter >= maxIter {
			return solution{}, fmt.Errorf("%w (%d iterations, %d rows)", ErrNotConverged, iter, l)
		}
		qi, qj := q[i*l:(i+1)*l], q[j*l:(j+1)*l]
		oldI, oldJ := alpha[i], alpha[j]
		quad := qi[i] + qj[j] - 2*qi[j]
		if quad <= 0 {
			quad = tau
		}
		delta := (g[i] - g[j]) / quad
		sum := oldI + oldJ
		ai, aj := oldI-delta, oldJ+delta
		// Clip to the box along the line a_i + a_j = sum, as LIBSVM does.
		if sum > 1 {
			if ai > 1 {
				ai, aj = 1, sum-1
			}
		} else if aj < 0 {
			aj, ai = 0, sum
		}
		if sum > 1 {
			if aj > 1 {
				aj, ai = 1, sum-1
			}
		} else if ai < 0 {
			ai, aj = 0, sum
		}
		alpha[i], alpha[j] = ai, aj
		di, dj := ai-oldI, aj-oldJ
		for k := range g {
			g[k] += qi[k]*di + qj[k]*dj
		}
	}
	return solution{alpha: alpha, rho: rhoOf(alpha, g), iter: iter}, nil
}

// selectWorkingSet is LIBSVM's second-order working-set selection for one class; ok is false
// when the KKT conditions hold within tol (or no pair can decrease the objective).
func selectWorkingSet(q []float64, l int, alpha, g []float64, tol float64) (i, j int, ok bool) {
	gmax, gmax2 := math.Inf(-1), math.Inf(-1)
	i = -1
	for t, a := range alpha {
		if a < 1 && -g[t] >= gmax {
			gmax, i = -g[t], t
		}
	}
	j = -1
	objMin := math.Inf(1)
	for t, a := range alpha {
		if !(a > 0) {
			continue
		}
		gradDiff := gmax + g[t]
		if g[t] >= gmax2 {
			gmax2 = g[t]
		}
		if gradDiff > 0 { // only when i exists: gmax is -Inf otherwise
			quad := q[i*l+i] + q[t*l+t] - 2*q[i*l+t]
			if quad <= 0 {
				quad = tau
			}
			if obj := -gradDiff * gradDiff / quad; obj <= objMin {
				j, objMin = t, obj
			}
		}
	}
	if gmax+gmax2 < tol || j == -1 {
		return -1, -1, false
	}
	return i, j, true
}

// rhoOf is LIBSVM's rho for one class: the mean gradient over free coefficients, else the
// midpoint of the bounds the bound coefficients give.
func rhoOf(alpha, g []float64) float64 {
	ub, lb := math.Inf(1), math.Inf(-1)
	free, sum := 0, 0.0
	for i, a := range alpha {
		switch {
		case a >= 1:
			lb = max(lb, g[i])
		case a <= 0:
			ub = min(ub, g[i])
		default:
			free++
			sum += g[i]
		}
	}
	switch {
	case free > 0:
		return sum / float64(free)
	case math.IsInf(ub, 1):
		return lb
	case math.IsInf(lb, -1):
		return ub
	}
	return (ub + lb) / 2
}

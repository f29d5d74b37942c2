// Package ocsvm is a one-class support vector machine with a Gaussian (RBF) kernel, the
// estimator of Schölkopf et al., "Estimating the support of a high-dimensional distribution"
// (Neural Computation, 2001), solved as LIBSVM solves it, and so as scikit-learn's OneClassSVM
// does:
//
//	min_a 1/2 a^T Q a  subject to  0 <= a_i <= 1,  sum_i a_i = nu l,  Q_ij = exp(-gamma ||x_i - x_j||^2)
//
// over the l training rows, by sequential minimal optimization with LIBSVM's second-order
// working-set selection (Fan, Chen and Lin, 2005), from LIBSVM's starting point, to its stopping
// rule (the maximal KKT violation below Tol). rho is the mean gradient over the free
// coefficients, or the midpoint of the bounds when none is free (the one bound when only one
// exists, as at nu = 1, where LIBSVM and scikit-learn give an infinite rho), and the decision
// function is f(x) = sum_i a_i K(x_i, x) - rho: positive inside the estimated support, negative
// outside.
// The coefficients are LIBSVM's (scikit-learn's dual_coef_), in [0, 1] and summing to nu l;
// Schölkopf's normalization divides them, rho and f by nu l.
//
// nu bounds the share of training rows outside the support from above (those with f < 0) and
// the share of support vectors from below. Gamma defaults to scikit-learn's "scale":
// 1 / (d Var(X)), Var over every entry of the training matrix.
//
// Fit keeps the whole kernel matrix in memory (MaxRows rows at most: 128 MiB), runs without
// shrinking, is deterministic, and stops when its context is cancelled.
package ocsvm

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// MaxRows is the most training rows Fit accepts: its kernel matrix of MaxRows^2 float64 values
// takes 128 MiB.
const MaxRows = 4096

// DefaultTol is the stopping tolerance on the KKT conditions that Params.Tol = 0 selects:
// LIBSVM's and scikit-learn's default.
const DefaultTol = 1e-3

// Params are the choices of Fit.
type Params struct {
	// Nu, in (0, 1], is an upper bound on the share of training rows outside the support and a
	// lower bound on the share of support vectors.
	Nu float64
	// Gamma is the RBF kernel's coefficient, K(x, y) = exp(-Gamma ||x - y||^2); 0 selects
	// ScaleGamma.
	Gamma float64
	// Tol is the stopping tolerance on the KKT conditions; 0 selects DefaultTol.
	Tol float64
}

// Model is a fitted one-class SVM. Its JSON form holds the support vectors packed (Packed).
type Model struct {
	Nu    float64 `json:"nu"`
	Gamma float64 `json:"gamma"`
	Rho   float64 `json:"rho"`
	// Rows is the number of training rows l; the coefficients sum to Nu*Rows.
	Rows int `json:"rows"`
	// Dim is the length of a row.
	Dim int `json:"dim"`
	// Coef holds each support vector's coefficient, in (0, 1].
	Coef []float64 `json:"coef"`
	// SV holds the support vectors, row-major, Dim values each, in training order.
	SV Packed `json:"support_vectors"`
	// Iterations is the number of SMO steps the fit took (information only).
	Iterations int `json:"iterations"`
}

// ErrNotConverged is returned by Fit when the solver reaches its iteration limit (LIBSVM's:
// the larger of 10^7 and 100 l) before the KKT conditions hold within Tol.
var ErrNotConverged = errors.New("ocsvm: no convergence within the iteration limit")

// ScaleGamma is scikit-learn's gamma="scale" for rows x of equal length d: 1 / (d Var(X)), Var
// the population variance of every entry of the matrix; 1 when that variance is zero or x is
// empty (as scikit-learn does).
func ScaleGamma(x [][]float64) float64 {
	if len(x) == 0 || len(x[0]) == 0 {
		return 1
	}
	n, sum := 0, 0.0
	for _, r := range x {
		for _, v := range r {
			n++
			sum += v
		}
	}
	mean := sum / float64(n)
	ss := 0.0
	for _, r := range x {
		for _, v := range r {
			ss += (v - mean) * (v - mean)
		}
	}
	variance := ss / float64(n)
	if variance == 0 {
		return 1
	}
	return 1 / (float64(len(x[0])) * variance)
}

// Fit fits a one-class SVM to the rows of x (at least one, at most MaxRows, all of the same
// positive length, all values finite).
func Fit(ctx context.Context, x [][]float64, p Params) (*Model, error) {
	l := len(x)
	switch {
	case l == 0:
		return nil, errors.New("ocsvm: fit: no rows")
	case l > MaxRows:
		return nil, fmt.Errorf("ocsvm: fit: %d rows, over the limit of %d (its kernel matrix is held in memory)", l, MaxRows)
	case !(p.Nu > 0 && p.Nu <= 1):
		return nil, fmt.Errorf("ocsvm: fit: nu %v outside (0, 1]", p.Nu)
	case !(p.Gamma >= 0) || math.IsInf(p.Gamma, 1):
		return nil, fmt.Errorf("ocsvm: fit: gamma %v, want a positive finite number (or 0 for the scale rule)", p.Gamma)
	case !(p.Tol >= 0) || math.IsInf(p.Tol, 1):
		return nil, fmt.Errorf("ocsvm: fit: tolerance %v, want a positive finite number (or 0 for %g)", p.Tol, DefaultTol)
	}
	d := len(x[0])
	if d == 0 {
		return nil, errors.New("ocsvm: fit: rows of length 0")
	}
	for i, r := range x {
		if len(r) != d {
			return nil, fmt.Errorf("ocsvm: fit: row %d has %d values, row 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("ocsvm: fit: row %d, column %d is %v", i, j, v)
			}
		}
	}
	gamma, tol := p.Gamma, p.Tol
	if gamma == 0 {
		gamma = ScaleGamma(x)
	}
	if tol == 0 {
		tol = DefaultTol
	}
	q, err := kernelMatrix(ctx, x, gamma)
	if err != nil {
		return nil, err
	}
	s, err := solve(ctx, q, l, p.Nu, tol)
	if err != nil {
		return nil, err
	}
	m := &Model{Nu: p.Nu, Gamma: gamma, Rho: s.rho, Rows: l, Dim: d, Iterations: s.iter}
	for i, a := range s.alpha {
		if a > 0 {
			m.Coef = append(m.Coef, a)
			m.SV = append(m.SV, x[i]...)
		}
	}
	return m, nil
}

// kernelMatrix returns the l x l RBF kernel matrix of x, row-major.
func kernelMatrix(ctx context.Context, x [][]float64, gamma float64) ([]float64, error) {
	l := len(x)
	q := make([]float64, l*l)
	for i := range l {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("ocsvm: fit: %w", err)
			}
		}
		q[i*l+i] = 1
		for j := i + 1; j < l; j++ {
			k := math.Exp(-gamma * sqDist(x[i], x[j]))
			q[i*l+j], q[j*l+i] = k, k
		}
	}
	return q, nil
}

// sqDist is the squared Euclidean distance of a and b, of equal length.
func sqDist(a, b []float64) float64 {
	s := 0.0
	for k, v := range a {
		d := v - b[k]
		s += d * d
	}
	return s
}

// NumSV is the number of support vectors.
func (m *Model) NumSV() int { return len(m.Coef) }

// Decision is the decision function at x: sum_i a_i exp(-Gamma ||sv_i - x||^2) - Rho, positive
// inside the estimated support and negative outside. x must have Dim values; a NaN in x gives NaN.
func (m *Model) Decision(x []float64) (float64, error) {
	if len(x) != m.Dim {
		return math.NaN(), fmt.Errorf("ocsvm: row of %d values, the model takes %d", len(x), m.Dim)
	}
	s := 0.0
	for k, a := range m.Coef {
		s += a * math.Exp(-m.Gamma*sqDist(m.SV[k*m.Dim:(k+1)*m.Dim], x))
	}
	return s - m.Rho, nil
}

// Validate checks a model read from a file: nu in (0, 1], a positive finite gamma, a finite rho,
// a positive row length, between 1 and Rows support vectors of Dim finite values each, each
// coefficient in (0, 1], and the coefficients summing to Nu*Rows (to a relative 1e-6).
func (m *Model) Validate() error {
	if m == nil {
		return errors.New("ocsvm: model is null")
	}
	if err := m.validate(); err != nil {
		return fmt.Errorf("ocsvm: %w", err)
	}
	return nil
}

// validate is Validate without the package's name on errors.
func (m *Model) validate() error {
	switch {
	case !(m.Nu > 0 && m.Nu <= 1):
		return fmt.Errorf("nu %v outside (0, 1]", m.Nu)
	case !(m.Gamma > 0) || math.IsInf(m.Gamma, 1):
		return fmt.Errorf("gamma %v, want a positive finite number", m.Gamma)
	case math.IsNaN(m.Rho) || math.IsInf(m.Rho, 0):
		return fmt.Errorf("rho %v, want a finite number", m.Rho)
	case m.Dim < 1:
		return fmt.Errorf("row length %d, want at least 1", m.Dim)
	case m.Rows < 1 || m.Rows > MaxRows:
		return fmt.Errorf("%d training rows, want 1 to %d", m.Rows, MaxRows)
	case len(m.Coef) < 1 || len(m.Coef) > m.Rows:
		return fmt.Errorf("%d support vectors of %d training rows, want 1 to %d", len(m.Coef), m.Rows, m.Rows)
	case len(m.SV) != len(m.Coef)*m.Dim:
		return fmt.Errorf("%d support vector values for %d support vectors of %d values", len(m.SV), len(m.Coef), m.Dim)
	case m.Iterations < 0:
		return fmt.Errorf("%d iterations", m.Iterations)
	}
	sum := 0.0
	for i, a := range m.Coef {
		if !(a > 0 && a <= 1) {
			return fmt.Errorf("coefficient %d is %v, outside (0, 1]", i, a)
		}
		sum += a
	}
	if want := m.Nu * float64(m.Rows); math.Abs(sum-want) > 1e-6*max(1, want) {
		return fmt.Errorf("coefficients sum to %v, want nu*rows = %v", sum, want)
	}
	for i, v := range m.SV {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("support vector %d, value %d is %v", i/m.Dim, i%m.Dim, v)
		}
	}
	return nil
}

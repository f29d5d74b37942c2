package ocsvm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sklearnPython returns the first of $OODGPU_PYTHON (when set) and Debian's python3 that imports
// sklearn; with neither it skips t, or fails it under OODGPU_REQUIRE_SKLEARN=1 (as in CI).
func sklearnPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{os.Getenv("OODGPU_PYTHON"), "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		out, err := exec.Command(py, "-c", "import sklearn").CombinedOutput()
		if err == nil {
			return py
		}
		tried = append(tried, fmt.Sprintf("%s: %v %s", py, err, bytes.TrimSpace(out)))
	}
	why := "no python3 with sklearn (apt-get install python3-sklearn): " + strings.Join(tried, "; ")
	if os.Getenv("OODGPU_REQUIRE_SKLEARN") == "1" {
		t.Fatalf("OODGPU_REQUIRE_SKLEARN=1 but %s", why)
	}
	t.Skipf("skipping: %s (OODGPU_REQUIRE_SKLEARN=1 makes this a failure)", why)
	return ""
}

// oracleResult is one case of scripts/ocsvm_oracle.py's output.
type oracleResult struct {
	Nu            float64   `json:"nu"`
	Gamma         float64   `json:"gamma"`
	Rho           float64   `json:"rho"`
	NSupport      int       `json:"n_support"`
	Support       []int     `json:"support"`
	DualCoef      []float64 `json:"dual_coef"`
	DecisionX     []float64 `json:"decision_x"`
	DecisionQuery []float64 `json:"decision_query"`
}

// featureLike returns n rows of d values shaped like log gradient features: per column an offset
// from -20 to 10 and a spread from 0.2 to 2, a shared factor that correlates the columns, and a
// share of rows shifted as a whole (a second mode), seeded.
func featureLike(seed uint64, n, d int) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	offset, spread := make([]float64, d), make([]float64, d)
	for k := range d {
		offset[k], spread[k] = -20+30*r.Float64(), 0.2+1.8*r.Float64()
	}
	x := make([][]float64, n)
	for i := range x {
		common := r.NormFloat64()
		shift := 0.0
		if r.IntN(10) == 0 {
			shift = 3
		}
		x[i] = make([]float64, d)
		for k := range x[i] {
			x[i][k] = offset[k] + spread[k]*(0.6*common+0.8*r.NormFloat64()+shift)
		}
	}
	return x
}

// TestSklearnParity fits scikit-learn's OneClassSVM (scripts/ocsvm_oracle.py, Debian's
// python3-sklearn) and ours on the same fixed data at several nu, and compares: gamma of the
// scale rule (to 1e-12), decision values at the training rows and at fresh rows, and the number
// of support vectors. Both solvers stop when the KKT violation is below 1e-3, scikit-learn's
// with shrinking and float32 kernel values in its cache, ours without either, so decision values
// agree to about that tolerance, not exactly: we require 1e-3 of the range of scikit-learn's
// decision values at the training rows, for rho too, and support vector counts within 1% (and 2)
// of each other. One run of the script fits every case (importing sklearn takes seconds).
func TestSklearnParity(t *testing.T) {
	py := sklearnPython(t)
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "ocsvm_oracle.py"))
	if err != nil {
		t.Fatal(err)
	}
	sets := []struct {
		name     string
		x, query [][]float64
		nus      []float64
	}{
		{"blob 2-D with outliers", blob(21, 300, 6, 2), blob(22, 40, 10, 2), []float64{0.05, 0.2, 0.5}},
		{"blob 8-D", blob(23, 500, 0, 8), blob(24, 40, 10, 8), []float64{0.01, 0.1}},
		{"feature-like 344-D", featureLike(25, 1000, 344), featureLike(26, 100, 344), []float64{0.05, 0.3}},
		{"feature-like 40-D, few rows", featureLike(27, 60, 40), featureLike(28, 30, 40), []float64{0.05, 0.5}},
	}
	type setJSON struct {
		X     [][]float64 `json:"x"`
		Query [][]float64 `json:"query"`
		Nus   []float64   `json:"nus"`
	}
	var in struct {
		Sets []setJSON `json:"sets"`
	}
	for _, s := range sets {
		in.Sets = append(in.Sets, setJSON{s.x, s.query, s.nus})
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(script), err)
	}
	var res struct {
		Sklearn string           `json:"sklearn"`
		Sets    [][]oracleResult `json:"sets"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Sets) != len(sets) {
		t.Fatalf("oracle output %.200s: %v", out, err)
	}
	for i, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			if len(res.Sets[i]) != len(s.nus) {
				t.Fatalf("%d results for %d values of nu", len(res.Sets[i]), len(s.nus))
			}
			for _, want := range res.Sets[i] {
				compareSklearn(t, s.x, s.query, want, res.Sklearn)
			}
		})
	}
}

// compareSklearn fits our model to x at want.Nu and compares it with scikit-learn's result.
func compareSklearn(t *testing.T, x, query [][]float64, want oracleResult, version string) {
	t.Helper()
	m, err := Fit(context.Background(), x, Params{Nu: want.Nu})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Gamma-want.Gamma) > 1e-12*want.Gamma {
		t.Errorf("nu %v: gamma %v, scikit-learn's scale rule gives %v", want.Nu, m.Gamma, want.Gamma)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range want.DecisionX {
		lo, hi = min(lo, v), max(hi, v)
	}
	tol := 1e-3 * (hi - lo)
	if d := math.Abs(m.Rho - want.Rho); d > tol {
		t.Errorf("nu %v: rho %v, scikit-learn's %v", want.Nu, m.Rho, want.Rho)
	}
	worst, worstRel := 0.0, 0.0
	for _, c := range []struct {
		rows [][]float64
		want []float64
	}{{x, want.DecisionX}, {query, want.DecisionQuery}} {
		for i, r := range c.rows {
			got, err := m.Decision(r)
			if err != nil {
				t.Fatal(err)
			}
			d := math.Abs(got - c.want[i])
			worst = max(worst, d)
			worstRel = max(worstRel, d/(hi-lo))
			if d > tol {
				t.Errorf("nu %v: decision at row %d is %v, scikit-learn's %v (%.2g of the range)", want.Nu, i, got, c.want[i], d/(hi-lo))
				return
			}
		}
	}
	ns, ws := m.NumSV(), want.NSupport
	t.Logf("scikit-learn %s, nu %v, %d rows: decision range %.4g, largest difference %.3g (%.2g of the range); rho %.6g vs %.6g; %d support vectors vs %d; %d iterations",
		version, want.Nu, len(x), hi-lo, worst, worstRel, m.Rho, want.Rho, ns, ws, m.Iterations)
	if d := ns - ws; d < 0 && -d > max(2, ws/100) || d > max(2, ws/100) {
		t.Errorf("nu %v: %d support vectors, scikit-learn has %d", want.Nu, ns, ws)
	}
}

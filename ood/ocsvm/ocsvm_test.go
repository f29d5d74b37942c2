package ocsvm

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// blob returns n rows of d values drawn from a standard normal blob, then outliers rows far from
// it (every value at distance 8 to 10 from the centre, with a random sign), seeded.
func blob(seed uint64, n, outliers, d int) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([][]float64, 0, n+outliers)
	for range n {
		row := make([]float64, d)
		for k := range row {
			row[k] = r.NormFloat64()
		}
		x = append(x, row)
	}
	for range outliers {
		row := make([]float64, d)
		for k := range row {
			row[k] = 8 + 2*r.Float64()
			if r.IntN(2) == 0 {
				row[k] = -row[k]
			}
		}
		x = append(x, row)
	}
	return x
}

// ring returns n points at distance radius from the origin in random directions, seeded: beyond
// the blob (at about sqrt(d)) and away from blob's outliers (at about 9 sqrt(d)).
func ring(seed uint64, n, d int, radius float64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 8))
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		norm := 0.0
		for k := range x[i] {
			x[i][k] = r.NormFloat64()
			norm += x[i][k] * x[i][k]
		}
		for k := range x[i] {
			x[i][k] *= radius / math.Sqrt(norm)
		}
	}
	return x
}

// decisions returns m's decision value at every row of x.
func decisions(t *testing.T, m *Model, x [][]float64) []float64 {
	t.Helper()
	out := make([]float64, len(x))
	for i, r := range x {
		v, err := m.Decision(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// TestBlobAndOutliers fits blobs with far outliers among the training rows and checks the nu
// property (the share of training rows outside the support is at most about nu, the share of
// support vectors at least nu, both near nu), that every far outlier is outside and scores below
// every blob row that is inside, and that fresh points beyond the blob score below fresh blob
// points.
func TestBlobAndOutliers(t *testing.T) {
	cases := []struct {
		name         string
		n, out, d    int
		nu           float64
		seed         uint64
		maxOutsideSV float64 // the largest share of SVs above nu allowed
	}{
		{"2-D nu 0.05", 400, 8, 2, 0.05, 1, 0.05},
		{"5-D nu 0.1", 500, 10, 5, 0.1, 2, 0.06},
		{"20-D nu 0.2", 300, 6, 20, 0.2, 3, 0.2},
		{"5-D nu 0.5", 300, 6, 5, 0.5, 4, 0.1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := blob(c.seed, c.n, c.out, c.d)
			m, err := Fit(context.Background(), x, Params{Nu: c.nu})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Fatalf("fitted model: %v", err)
			}
			l := float64(len(x))
			f := decisions(t, m, x)
			outside := 0
			for _, v := range f {
				if v < -1e-3 {
					outside++
				}
			}
			svShare, outShare := float64(m.NumSV())/l, float64(outside)/l
			t.Logf("%d rows: %d outside (%.3f), %d support vectors (%.3f), gamma %.4g, %d iterations",
				len(x), outside, outShare, m.NumSV(), svShare, m.Gamma, m.Iterations)
			if outShare > c.nu+1/l {
				t.Errorf("%.3f of the training rows outside, want at most nu = %v", outShare, c.nu)
			}
			if outShare < c.nu-0.05 {
				t.Errorf("%.3f of the training rows outside, want about nu = %v", outShare, c.nu)
			}
			if svShare < c.nu || svShare > c.nu+c.maxOutsideSV {
				t.Errorf("%.3f of the training rows are support vectors, want at least nu = %v and about it", svShare, c.nu)
			}
			minIn := math.Inf(1)
			for _, v := range f[:c.n] {
				if v >= 0 {
					minIn = min(minIn, v)
				}
			}
			for i, v := range f[c.n:] {
				if !(v < 0 && v < minIn) {
					t.Errorf("far outlier %d has decision %v; blob rows inside go down to %v", i, v, minIn)
				}
			}
			fresh := append(blob(c.seed+100, 50, 0, c.d), ring(c.seed+200, 50, c.d, 5+math.Sqrt(float64(c.d)))...)
			g := decisions(t, m, fresh)
			maxFar := math.Inf(-1)
			for _, v := range g[50:] {
				maxFar = max(maxFar, v)
			}
			below := 0
			for _, v := range g[:50] {
				if v > maxFar {
					below++
				}
			}
			if below < 45 {
				t.Errorf("only %d of 50 fresh blob points score above every fresh far point", below)
			}
		})
	}
}

// TestSolveKKT solves small problems to a tight tolerance and checks the KKT conditions of the
// convex problem, which certify the optimum: the constraints, and with G = Q a, G_i = rho for
// free a_i, G_i >= rho at a_i = 0 and G_i <= rho at a_i = 1. It also checks that no random
// feasible point has a lower objective.
func TestSolveKKT(t *testing.T) {
	for _, c := range []struct {
		l, d int
		nu   float64
	}{{7, 2, 0.3}, {40, 3, 0.1}, {40, 3, 0.9}, {60, 4, 1.0 / 60}, {25, 5, 1}} {
		x := blob(uint64(c.l*c.d), c.l, 0, c.d)
		q, err := kernelMatrix(context.Background(), x, ScaleGamma(x))
		if err != nil {
			t.Fatal(err)
		}
		s, err := solve(context.Background(), q, c.l, c.nu, 1e-12)
		if err != nil {
			t.Fatal(err)
		}
		const eps = 1e-9
		sum := 0.0
		g := make([]float64, c.l)
		for i, a := range s.alpha {
			if a < 0 || a > 1 {
				t.Fatalf("l=%d nu=%v: alpha %d = %v outside [0, 1]", c.l, c.nu, i, a)
			}
			sum += a
			for k := range g {
				g[k] += a * q[i*c.l+k]
			}
		}
		if math.Abs(sum-c.nu*float64(c.l)) > 1e-9 {
			t.Errorf("l=%d nu=%v: alphas sum to %v, want %v", c.l, c.nu, sum, c.nu*float64(c.l))
		}
		for i, a := range s.alpha {
			switch {
			case a > 0 && a < 1 && math.Abs(g[i]-s.rho) > eps:
				t.Errorf("l=%d nu=%v: free alpha %d has G - rho = %v", c.l, c.nu, i, g[i]-s.rho)
			case a == 0 && g[i] < s.rho-eps:
				t.Errorf("l=%d nu=%v: alpha %d at 0 has G - rho = %v < 0", c.l, c.nu, i, g[i]-s.rho)
			case a == 1 && g[i] > s.rho+eps && c.nu < 1:
				t.Errorf("l=%d nu=%v: alpha %d at 1 has G - rho = %v > 0", c.l, c.nu, i, g[i]-s.rho)
			}
		}
		obj := objective(q, c.l, s.alpha)
		r := rand.New(rand.NewPCG(9, uint64(c.l)))
		for range 200 {
			b := feasible(r, c.l, c.nu)
			if o := objective(q, c.l, b); o < obj-1e-12 {
				t.Fatalf("l=%d nu=%v: a random feasible point has objective %v below the solution's %v", c.l, c.nu, o, obj)
			}
		}
	}
}

// objective is 1/2 a^T Q a.
func objective(q []float64, l int, a []float64) float64 {
	s := 0.0
	for i := range l {
		for j := range l {
			s += a[i] * q[i*l+j] * a[j]
		}
	}
	return s / 2
}

// feasible draws a point of the box [0, 1]^l on the plane sum = nu l.
func feasible(r *rand.Rand, l int, nu float64) []float64 {
	a := make([]float64, l)
	left := nu * float64(l)
	for _, i := range r.Perm(l) {
		v := min(1, left, r.Float64()*2*nu)
		a[i] = v
		left -= v
	}
	for i := range a { // spread what is left over the room below 1
		add := min(1-a[i], left)
		a[i] += add
		left -= add
	}
	return a
}

// TestDeterministic checks that two fits of the same rows are equal, value for value.
func TestDeterministic(t *testing.T) {
	x := blob(5, 200, 4, 6)
	a, err := Fit(context.Background(), x, Params{Nu: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fit(context.Background(), x, Params{Nu: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two fits of the same rows differ")
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Fit(ctx, blob(1, 100, 0, 2), Params{Nu: 0.1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fit: error %v, want context.Canceled", err)
	}
}

func TestFitErrors(t *testing.T) {
	ok := blob(1, 10, 0, 2)
	nan := blob(1, 10, 0, 2)
	nan[3][1] = math.NaN()
	ragged := blob(1, 10, 0, 2)
	ragged[2] = ragged[2][:1]
	cases := []struct {
		name string
		x    [][]float64
		p    Params
		want string
	}{
		{"no rows", nil, Params{Nu: 0.1}, "no rows"},
		{"too many rows", make([][]float64, MaxRows+1), Params{Nu: 0.1}, "4097 rows, over the limit of 4096"},
		{"nu 0", ok, Params{}, "nu 0 outside (0, 1]"},
		{"nu 1.5", ok, Params{Nu: 1.5}, "nu 1.5 outside"},
		{"NaN nu", ok, Params{Nu: math.NaN()}, "nu NaN"},
		{"negative gamma", ok, Params{Nu: 0.1, Gamma: -1}, "gamma -1"},
		{"infinite gamma", ok, Params{Nu: 0.1, Gamma: math.Inf(1)}, "gamma +Inf"},
		{"negative tolerance", ok, Params{Nu: 0.1, Tol: -1}, "tolerance -1"},
		{"empty rows", [][]float64{{}, {}}, Params{Nu: 0.1}, "rows of length 0"},
		{"ragged", ragged, Params{Nu: 0.1}, "row 2 has 1 values, row 0 has 2"},
		{"NaN value", nan, Params{Nu: 0.1}, "row 3, column 1 is NaN"},
	}
	for _, c := range cases {
		if _, err := Fit(context.Background(), c.x, c.p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestScaleGamma checks the scale rule against a hand computation: the entries 1, 2, 3, 4, 5, 9
// have mean 4 and population variance 40/6, so that gamma = 1 / (3 * 40/6) = 0.05.
func TestScaleGamma(t *testing.T) {
	if g := ScaleGamma([][]float64{{1, 2, 3}, {4, 5, 9}}); math.Abs(g-0.05) > 1e-15 {
		t.Errorf("ScaleGamma = %v, want 0.05", g)
	}
	if g := ScaleGamma([][]float64{{2, 2}, {2, 2}}); g != 1 {
		t.Errorf("ScaleGamma of constant rows = %v, want 1 (scikit-learn's choice)", g)
	}
}

// validModel is a small valid model: 2 support vectors of 2 values, nu 0.25 of 4 rows.
func validModel() *Model {
	return &Model{Nu: 0.25, Gamma: 0.5, Rho: 0.3, Rows: 4, Dim: 2, Coef: []float64{0.75, 0.25}, SV: Packed{0, 1, 2, 3}}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(m *Model)
		want string
	}{
		{"nu 0", func(m *Model) { m.Nu = 0 }, "ocsvm: nu 0 outside (0, 1]"},
		{"nu NaN", func(m *Model) { m.Nu = math.NaN() }, "nu NaN outside"},
		{"gamma 0", func(m *Model) { m.Gamma = 0 }, "gamma 0, want a positive finite number"},
		{"gamma -1", func(m *Model) { m.Gamma = -1 }, "gamma -1"},
		{"gamma +Inf", func(m *Model) { m.Gamma = math.Inf(1) }, "gamma +Inf"},
		{"rho NaN", func(m *Model) { m.Rho = math.NaN() }, "rho NaN, want a finite number"},
		{"dim 0", func(m *Model) { m.Dim = 0 }, "row length 0"},
		{"rows 0", func(m *Model) { m.Rows = 0 }, "0 training rows"},
		{"rows over the limit", func(m *Model) { m.Rows = MaxRows + 1 }, "4097 training rows"},
		{"no support vectors", func(m *Model) { m.Coef, m.SV = nil, nil }, "0 support vectors"},
		{"more support vectors than rows", func(m *Model) { m.Rows = 1 }, "2 support vectors of 1 training rows"},
		{"short values", func(m *Model) { m.SV = m.SV[:3] }, "3 support vector values for 2 support vectors of 2 values"},
		{"coefficient 0", func(m *Model) { m.Coef[1] = 0 }, "coefficient 1 is 0, outside (0, 1]"},
		{"coefficient 2", func(m *Model) { m.Coef[0] = 2 }, "coefficient 0 is 2"},
		{"coefficient NaN", func(m *Model) { m.Coef[0] = math.NaN() }, "coefficient 0 is NaN"},
		{"sum off", func(m *Model) { m.Coef[1] = 0.5 }, "coefficients sum to 1.25, want nu*rows = 1"},
		{"infinite value", func(m *Model) { m.SV[3] = math.Inf(-1) }, "support vector 1, value 1 is -Inf"},
		{"negative iterations", func(m *Model) { m.Iterations = -1 }, "-1 iterations"},
	}
	if err := validModel().Validate(); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	if err := (*Model)(nil).Validate(); err == nil {
		t.Error("a nil model validates")
	}
	for _, c := range cases {
		m := validModel()
		c.edit(m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestJSON checks that a model survives its JSON form exactly, that the support vectors are one
// packed string, and that bad packed values are refused.
func TestJSON(t *testing.T) {
	m, err := Fit(context.Background(), blob(3, 100, 2, 3), Params{Nu: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	m.SV[0] = math.Copysign(0, -1) // a bit pattern decimal JSON keeps only by luck
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range m.SV {
		if math.Float64bits(m.SV[i]) != math.Float64bits(back.SV[i]) {
			t.Fatalf("value %d: %v became %v", i, m.SV[i], back.SV[i])
		}
	}
	if !reflect.DeepEqual(m.Coef, back.Coef) || m.Rho != back.Rho || m.Gamma != back.Gamma {
		t.Error("the JSON round trip changed the model")
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["support_vectors"].(string); !ok {
		t.Errorf("support_vectors is %T, want a string", raw["support_vectors"])
	}
	for _, c := range []struct{ in, want string }{
		{`[1, 2]`, "want a base64 string"},
		{`"not base64!"`, "illegal base64"},
		{`"AAAA"`, "3 bytes, not a whole number"},
	} {
		var p Packed
		if err := json.Unmarshal([]byte(c.in), &p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

func TestDecisionLength(t *testing.T) {
	if _, err := validModel().Decision([]float64{1}); err == nil || !strings.Contains(err.Error(), "row of 1 values, the model takes 2") {
		t.Errorf("error %v", err)
	}
}

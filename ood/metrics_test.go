package ood

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestEvaluateSimple(t *testing.T) {
	cases := []struct {
		name    string
		in, out []float64
		auroc   float64
		fpr     float64
	}{
		{"separated", []float64{0, 1, 2}, []float64{3, 4}, 1, 0},
		{"reversed", []float64{3, 4}, []float64{0, 1, 2}, 0, 1},
		{"all tied", []float64{1, 1}, []float64{1, 1, 1}, 0.5, 1},
		{"interleaved", []float64{1, 3}, []float64{2, 4}, 0.75, 0.5},
		{"inf is most OOD", []float64{1, 2}, []float64{math.Inf(1), 0}, 0.5, 1},
		// Ties count half: out 2 against in 1, 2, 2 wins 1 + 1/2 + 1/2, out 3 wins 3, of 6 pairs.
		{"partly tied", []float64{1, 2, 2}, []float64{2, 3}, 5.0 / 6, 2.0 / 3},
		{"tied at +Inf", []float64{math.Inf(1), 1}, []float64{math.Inf(1), math.Inf(1), 2}, 4.0 / 6, 0.5},
		{"tied at -Inf", []float64{math.Inf(-1), 0}, []float64{math.Inf(-1), 1}, 2.5 / 4, 1},
	}
	for _, c := range cases {
		m, err := Evaluate(c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.AUROC-c.auroc) > 1e-12 || math.Abs(m.FPR95TPR-c.fpr) > 1e-12 {
			t.Errorf("%s: AUROC %g FPR %g, want %g %g", c.name, m.AUROC, m.FPR95TPR, c.auroc, c.fpr)
		}
	}
	if _, err := Evaluate(nil, []float64{1}); err == nil {
		t.Error("empty in-distribution accepted")
	}
	if _, err := Evaluate([]float64{math.NaN()}, []float64{1}); err == nil {
		t.Error("NaN accepted")
	}
}

// mannWhitney is P(out > in) + P(out = in)/2 over every pair, the AUROC's definition.
func mannWhitney(in, out []float64) float64 {
	var wins float64
	for _, o := range out {
		for _, x := range in {
			switch {
			case o > x:
				wins++
			case o == x:
				wins += 0.5
			}
		}
	}
	return wins / float64(len(in)*len(out))
}

// TestAUROCMannWhitney checks the AUROC against pair counting, and the ROC curve's shape, on
// continuous scores and on scores drawn from a few levels (many ties), some of them infinite.
func TestAUROCMannWhitney(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, levels := range []int{0, 2, 5} {
		for trial := 0; trial < 20; trial++ {
			draw := func(n int, shift float64) []float64 {
				v := make([]float64, n)
				for i := range v {
					if levels == 0 {
						v[i] = r.NormFloat64() + shift
					} else {
						v[i] = float64(r.IntN(levels)) + math.Round(shift)
					}
					if r.IntN(40) == 0 {
						v[i] = math.Inf(1)
					}
				}
				return v
			}
			shift := r.Float64() * 2
			in, out := draw(1+r.IntN(200), 0), draw(1+r.IntN(200), shift)
			m, err := Evaluate(in, out)
			if err != nil {
				t.Fatal(err)
			}
			if want := mannWhitney(in, out); math.Abs(m.AUROC-want) > 1e-12 {
				t.Fatalf("levels %d trial %d: AUROC %.17g, Mann-Whitney %.17g", levels, trial, m.AUROC, want)
			}
			fpr, tpr := ROC(in, out)
			distinct := map[float64]bool{}
			for _, v := range append(append([]float64(nil), in...), out...) {
				distinct[v] = true
			}
			last := len(fpr) - 1
			if len(fpr) != len(distinct)+1 || len(tpr) != len(fpr) || fpr[0] != 0 || tpr[0] != 0 || fpr[last] != 1 || tpr[last] != 1 {
				t.Fatalf("levels %d trial %d: ROC of %d points (%d distinct scores) from (%g, %g) to (%g, %g)",
					levels, trial, len(fpr), len(distinct), fpr[0], tpr[0], fpr[last], tpr[last])
			}
			for i := 1; i < len(fpr); i++ {
				if fpr[i] < fpr[i-1] || tpr[i] < tpr[i-1] {
					t.Fatalf("levels %d trial %d: ROC falls at point %d: %v %v", levels, trial, i, fpr, tpr)
				}
			}
		}
	}
}

func TestAveragePrecision(t *testing.T) {
	cases := []struct {
		name     string
		pos, neg []float64
		want     float64
	}{
		{"positives at ranks 1 and 3 of 4", []float64{4, 2}, []float64{3, 1}, (1 + 2.0/3) / 2},
		// Ties are taken together: at score 2 recall 1/2 with precision 1/2, at 1 recall 1 with 2/3.
		{"tie at the top", []float64{2, 1}, []float64{2, 0}, 0.5*0.5 + 0.5*2.0/3},
		{"all tied", []float64{1, 1}, []float64{1}, 2.0 / 3},
		{"separated", []float64{5, 4}, []float64{1, 0}, 1},
	}
	for _, c := range cases {
		if got := averagePrecision(c.pos, c.neg); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: AP %g, want %g", c.name, got, c.want)
		}
	}
}

func TestROCCurve(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name         string
		in, out      []float64
		wantF, wantT []float64
	}{
		{"interleaved", []float64{1, 3}, []float64{2, 4},
			[]float64{0, 0, 0.5, 0.5, 1}, []float64{0, 0.5, 0.5, 1, 1}},
		// Thresholds 3, 2, 1: the tie at 2 moves both rates at once.
		{"tied", []float64{1, 2, 2}, []float64{2, 3},
			[]float64{0, 0, 2.0 / 3, 1}, []float64{0, 0.5, 1, 1}},
		// Thresholds +Inf, 1, 0: the curve still starts at (0, 0), not at the +Inf score's point.
		{"+Inf score", []float64{1}, []float64{inf, 0},
			[]float64{0, 0, 1, 1}, []float64{0, 0.5, 0.5, 1}},
		{"empty in-distribution", nil, []float64{1}, nil, nil},
		{"NaN", []float64{math.NaN()}, []float64{1}, nil, nil},
	}
	for _, c := range cases {
		fpr, tpr := ROC(c.in, c.out)
		if len(fpr) != len(c.wantF) || len(tpr) != len(c.wantT) {
			t.Errorf("%s: ROC %v %v, want %v %v", c.name, fpr, tpr, c.wantF, c.wantT)
			continue
		}
		for i := range c.wantF {
			if math.Abs(fpr[i]-c.wantF[i]) > 1e-15 || math.Abs(tpr[i]-c.wantT[i]) > 1e-15 {
				t.Errorf("%s: ROC %v %v, want %v %v", c.name, fpr, tpr, c.wantF, c.wantT)
				break
			}
		}
	}
}

// TestAUROCInterval checks the bootstrap interval against the normal approximation of Hanley and
// McNeil (1982) for two overlapping normal score sets, and its edge cases.
func TestAUROCInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	in, out := make([]float64, 300), make([]float64, 200)
	for i := range in {
		in[i] = r.NormFloat64()
	}
	for i := range out {
		out[i] = 1 + r.NormFloat64()
	}
	m, err := Evaluate(in, out)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, err := AUROCInterval(in, out, 0.95, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, n1, n2 := m.AUROC, float64(len(out)), float64(len(in))
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	se := math.Sqrt((a*(1-a) + (n1-1)*(q1-a*a) + (n2-1)*(q2-a*a)) / (n1 * n2))
	t.Logf("AUROC %.4f, bootstrap 95%% interval [%.4f, %.4f], normal approximation +-%.4f", a, lo, hi, 1.96*se)
	if !(lo < a && a < hi) || hi-lo < 2*1.96*se*0.7 || hi-lo > 2*1.96*se*1.3 {
		t.Errorf("interval [%.4f, %.4f] around %.4f, want about +-%.4f", lo, hi, a, 1.96*se)
	}
	if lo, hi, err := AUROCInterval([]float64{0, 1}, []float64{2, 3}, 0.95, 100, 1); err != nil || lo != 1 || hi != 1 {
		t.Errorf("separated scores: [%v, %v], %v", lo, hi, err)
	}
	for _, c := range []struct {
		in, out []float64
		level   float64
		reps    int
	}{{nil, out, 0.95, 100}, {in, []float64{math.NaN()}, 0.95, 100}, {in, out, 1, 100}, {in, out, 0.95, 1}} {
		if _, _, err := AUROCInterval(c.in, c.out, c.level, c.reps, 1); err == nil {
			t.Errorf("%d and %d scores, level %v, %d resamples: no error", len(c.in), len(c.out), c.level, c.reps)
		}
	}
}

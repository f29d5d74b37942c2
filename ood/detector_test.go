package ood

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/ood/ocsvm"
)

var testLayers = []string{"a", "b", "c"}

// testDetector is a small valid detector over testLayers.
func testDetector() *Detector {
	return &Detector{
		GroupSize: 1,
		Gaussian: &Gaussian{Layers: []string{"a", "b", "c"}, Keep: []int{0, 2}, Mean: []float64{0, 1}, Var: []float64{1, 2},
			Dropped: []string{"b: zero variance on the fit set"}},
		Typicality: Typicality{H: 2},
		FitData:    "sample",
		FitRows:    3,
		FitScores:  []float64{1, 3, math.Inf(1)},
		Recall:     0.5,
		Threshold:  3,
	}
}

// testComplexity is a small valid complexity term for testDetector's three fit rows.
func testComplexity() *ComplexityTerm {
	return &ComplexityTerm{Compressor: "brotli", GradientFitScores: []float64{1, 2, math.Inf(1)}, SFitScores: []float64{0.5, 1, 1.5}}
}

// testSVM is a small valid one-class SVM over testDetector's two kept layers.
func testSVM() *ocsvm.Model {
	return &ocsvm.Model{Nu: 0.5, Gamma: 0.1, Rho: 0.5, Rows: 3, Dim: 2, Coef: []float64{1, 0.5}, SV: ocsvm.Packed{0, 1, 0.5, 1.5}}
}

func TestDetectorValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(d *Detector)
		want string
	}{
		{"group size 0", func(d *Detector) { d.GroupSize = 0 }, "detector for B = 0: group size must be >= 1"},
		{"no gaussian", func(d *Detector) { d.Gaussian = nil }, "no gaussian"},
		{"NaN entropy", func(d *Detector) { d.Typicality.H = math.NaN() }, "typicality entropy NaN"},
		{"recall 0", func(d *Detector) { d.Recall = 0 }, "recall 0 outside (0, 1]"},
		{"recall 2", func(d *Detector) { d.Recall = 2 }, "recall 2 outside"},
		{"infinite threshold", func(d *Detector) { d.Threshold = math.Inf(1) }, "threshold +Inf"},
		{"no fit scores", func(d *Detector) { d.FitScores, d.FitRows = nil, 0 }, "no fit scores"},
		{"fit rows disagree", func(d *Detector) { d.FitRows = 4 }, "4 fit rows with 3 fit scores"},
		{"NaN fit score", func(d *Detector) { d.FitScores[0] = math.NaN() }, "fit score 0 is NaN"},
		{"-Inf fit score", func(d *Detector) { d.FitScores[0] = math.Inf(-1) }, "fit score 0 is -Inf"},
		{"unsorted fit scores", func(d *Detector) { d.FitScores[0] = 5 }, "not sorted (score 1 is 3, after 5)"},
		{"control character in fit data", func(d *Detector) { d.FitData = "x\x1b[2J" }, "fit data \"x\\x1b[2J\" is not printable"},
		{"long fit data", func(d *Detector) { d.FitData = strings.Repeat("x", 2000) }, "not printable text of at most 1024 bytes"},
		{"invalid UTF-8 in fit data", func(d *Detector) { d.FitData = "\xff" }, "fit data \"\\xff\" is not printable"},
		{"control character in a dropped layer", func(d *Detector) { d.Gaussian.Dropped = []string{"b: \r"} }, "dropped layer \"b: \\r\" is not printable"},
		{"more dropped layers than layers", func(d *Detector) { d.Gaussian.Dropped = make([]string, 4) }, "4 dropped layers of 3"},
		{"fewer layers", func(d *Detector) { d.Gaussian.Layers = d.Gaussian.Layers[:2] }, "gaussian: 2 layers, the model has 3"},
		{"other layer", func(d *Detector) { d.Gaussian.Layers[1] = "z" }, `gaussian: layer 1 is "z", the model's is "b"`},
		{"keeps nothing", func(d *Detector) { d.Gaussian.Keep, d.Gaussian.Mean, d.Gaussian.Var = nil, nil, nil }, "0 kept layers"},
		{"missing variance", func(d *Detector) { d.Gaussian.Var = d.Gaussian.Var[:1] }, "2 kept layers with 2 means and 1 variances"},
		{"keep index 100000", func(d *Detector) { d.Gaussian.Keep[1] = 100000 }, "kept layer index 100000 outside 0..2"},
		{"negative keep index", func(d *Detector) { d.Gaussian.Keep[0] = -1 }, "kept layer index -1"},
		{"layer kept twice", func(d *Detector) { d.Gaussian.Keep[1] = 0 }, "layer a is kept twice"},
		{"infinite mean", func(d *Detector) { d.Gaussian.Mean[1] = math.Inf(-1) }, "mean of layer c is -Inf"},
		{"variance -1", func(d *Detector) { d.Gaussian.Var[0] = -1 }, "variance of layer a is -1, want a positive finite number"},
		{"variance 0", func(d *Detector) { d.Gaussian.Var[0] = 0 }, "variance of layer a is 0"},
		{"NaN variance", func(d *Detector) { d.Gaussian.Var[0] = math.NaN() }, "variance of layer a is NaN"},
		{"infinite variance", func(d *Detector) { d.Gaussian.Var[1] = math.Inf(1) }, "variance of layer c is +Inf"},
		{"ocsvm over other layers", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.Dim, d.OCSVM.SV = 1, d.OCSVM.SV[:2] },
			"ocsvm: rows of 1 values, the gaussian keeps 2 layers"},
		{"ocsvm gamma -1", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.Gamma = -1 }, "detector for B = 1: ocsvm: gamma -1"},
		{"ocsvm coefficient 2", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.Coef[0] = 2 }, "ocsvm: coefficient 0 is 2, outside (0, 1]"},
		{"ocsvm NaN support vector", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.SV[1] = math.NaN() }, "ocsvm: support vector 0, value 1 is NaN"},
		{"ocsvm of other rows", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.Rows, d.OCSVM.Nu = 6, 0.25 }, "ocsvm: fitted on 6 rows, the detector on 3"},
		{"ocsvm without values", func(d *Detector) { d.OCSVM = testSVM(); d.OCSVM.SV = nil }, "ocsvm: 0 support vector values for 2 support vectors"},
		{"complexity without compressor", func(d *Detector) { d.Complexity = testComplexity(); d.Complexity.Compressor = "" }, "complexity: no compressor"},
		{"complexity compressor not text", func(d *Detector) { d.Complexity = testComplexity(); d.Complexity.Compressor = "\x00" }, "complexity compressor \"\\x00\" is not printable"},
		{"complexity short", func(d *Detector) {
			d.Complexity = testComplexity()
			d.Complexity.SFitScores = d.Complexity.SFitScores[:2]
		},
			"3 fit rows with 2 complexity: S-score fit scores"},
		{"complexity NaN", func(d *Detector) { d.Complexity = testComplexity(); d.Complexity.GradientFitScores[1] = math.NaN() },
			"complexity: gradient fit score 1 is NaN"},
		{"complexity unsorted", func(d *Detector) { d.Complexity = testComplexity(); d.Complexity.SFitScores[0] = 9 },
			"complexity: S-score fit scores are not sorted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := testDetector()
			c.edit(d)
			err := d.Validate(testLayers)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := testDetector().Validate(testLayers); err != nil {
		t.Errorf("valid detector: %v", err)
	}
	var null *Detector
	if err := null.Validate(testLayers); err == nil || err.Error() != "ood: detector is null" {
		t.Errorf("null detector: %v", err)
	}
}

// TestAssessNonFinite checks that NaN and infinite numbers make a result OOD with a reason,
// never in-distribution.
func TestAssessNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	typical := []float64{1, 5, math.E} // z-scores 0 and 0: a score of about 2.18, below the threshold
	cases := []struct {
		name    string
		edit    func(d *Detector)
		row     []float64
		nll     []float64
		invalid string
	}{
		{"valid", func(*Detector) {}, typical, []float64{2}, ""},
		{"NaN features", func(*Detector) {}, []float64{nan, 1, 1}, []float64{2}, "ood: non-finite gradient features: layer a has NaN"},
		{"NaN NLL", func(*Detector) {}, typical, []float64{nan}, NonFiniteNLL},
		{"infinite NLL in a group", func(*Detector) {}, typical, []float64{2, inf}, NonFiniteNLL},
		{"NaN score", func(d *Detector) { d.Gaussian.Mean[0] = nan }, typical, []float64{2}, NonFiniteScore},
		{"infinite score", func(d *Detector) { d.Gaussian.Var[0] = 5e-324 }, []float64{1e300, 1, math.E}, []float64{2}, NonFiniteScore},
		{"everything", func(*Detector) {}, []float64{inf, 1, 1}, []float64{nan}, "layer a has +Inf; " + NonFiniteNLL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := testDetector()
			c.edit(d)
			r := d.Assess(c.row, c.nll, nil)
			if c.invalid == "" {
				if r.Invalid != "" || r.OOD || !finite(r.Score) || r.Score > d.Threshold {
					t.Fatalf("valid row: %+v", r)
				}
				return
			}
			if !strings.Contains(r.Invalid, c.invalid) || !r.OOD {
				t.Fatalf("result %+v, want OOD with a reason containing %q", r, c.invalid)
			}
		})
	}
}

func TestIsOOD(t *testing.T) {
	d := testDetector()
	for _, c := range []struct {
		score float64
		want  bool
	}{{1, false}, {3, false}, {3.5, true}, {math.Inf(1), true}, {math.NaN(), true}, {math.Inf(-1), false}} {
		if got := d.IsOOD(c.score); got != c.want {
			t.Errorf("IsOOD(%v) = %v, want %v", c.score, got, c.want)
		}
	}
}

// logNormalFeatures returns n feature rows over layers whose logs are Gaussian with per-layer
// means and unit-free spreads and a shared factor, shifted by shift standard deviations in the
// first half of the layers (0 for in-distribution rows), seeded; the last layer is constant
// (dropped by the Gaussian).
func logNormalFeatures(seed uint64, n int, layers []string, shift float64) *Features {
	r := rand.New(rand.NewPCG(seed, 3))
	f := &Features{Layers: layers, Rows: map[int][][]float64{1: nil}}
	for range n {
		common := r.NormFloat64()
		row := make([]float64, len(layers))
		for j := range row {
			mu, sd := float64(j%5)-3, 0.3+0.2*float64(j%3)
			z := 0.7*common + 0.7*r.NormFloat64()
			if j < len(layers)/2 {
				z += shift
			}
			row[j] = math.Exp(mu + sd*z)
		}
		row[len(row)-1] = 1
		f.Rows[1] = append(f.Rows[1], row)
		f.NLL = append(f.NLL, 2+0.1*r.NormFloat64())
	}
	return f
}

// TestFitOCSVM fits both score models on the same in-distribution rows and checks the one-class
// SVM detector: nu from the recall, the Gaussian's layers, the threshold's recall on the fit
// rows, shifted rows scored above fresh in-distribution rows about as well as by the Gaussian,
// z-scores from the Gaussian, and the JSON round trip (validated, the same scores).
func TestFitOCSVM(t *testing.T) {
	layers := []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "const"}
	fit := logNormalFeatures(1, 400, layers, 0)
	in, out := logNormalFeatures(2, 200, layers, 0), logNormalFeatures(3, 200, layers, 3)
	ctx := context.Background()
	dg, err := FitWith(ctx, fit, 1, FitOptions{Recall: 0.9, FitData: "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := FitWith(ctx, fit, 1, FitOptions{Recall: 0.9, FitData: "synthetic", Model: ModelOCSVM})
	if err != nil {
		t.Fatal(err)
	}
	if dg.Model() != ModelGaussian || ds.Model() != ModelOCSVM {
		t.Fatalf("models %q and %q", dg.Model(), ds.Model())
	}
	svm := ds.OCSVM
	if math.Abs(svm.Nu-0.1) > 1e-12 || svm.Dim != 9 || svm.Rows != 400 || svm.NumSV() < 40 {
		t.Fatalf("svm: nu %v, dim %d, rows %d, %d support vectors", svm.Nu, svm.Dim, svm.Rows, svm.NumSV())
	}
	if err := ds.Validate(layers); err != nil {
		t.Fatalf("fitted detector: %v", err)
	}
	above := 0
	for _, r := range fit.Rows[1] {
		if ds.Assess(r, []float64{2}, nil).OOD {
			above++
		}
	}
	if above < 35 || above > 45 {
		t.Errorf("%d of 400 fit rows OOD, want about 10%%", above)
	}
	auroc := func(d *Detector) float64 {
		si, so := MethodScores(d, in, 1, nil)[MethodGradient], MethodScores(d, out, 1, nil)[MethodGradient]
		m, err := Evaluate(si, so)
		if err != nil {
			t.Fatal(err)
		}
		return m.AUROC
	}
	ag, as := auroc(dg), auroc(ds)
	t.Logf("AUROC of the Gaussian %.3f, of the one-class SVM %.3f; %d support vectors", ag, as, svm.NumSV())
	if as < 0.9 || as < ag-0.05 {
		t.Errorf("one-class SVM AUROC %.3f (Gaussian %.3f)", as, ag)
	}
	row := out.Rows[1][0]
	rs, rg := ds.Assess(row, []float64{2}, nil), dg.Assess(row, []float64{2}, nil)
	if len(rs.ZScores) != 9 || rs.ZScores[0] != rg.ZScores[0] || rs.Score == rg.Score {
		t.Errorf("SVM result %+v against the Gaussian's %+v", rs, rg)
	}
	if f, _ := svm.Decision(mustLog(t, ds, row)); rs.Score != -f {
		t.Errorf("score %v, want minus the decision value %v", rs.Score, f)
	}
	back := roundTrip(t, ds, layers)
	for _, r := range out.Rows[1][:20] {
		if a, b := ds.Assess(r, []float64{2}, nil), back.Assess(r, []float64{2}, nil); a.Score != b.Score {
			t.Fatalf("score %v after the JSON round trip, %v before", b.Score, a.Score)
		}
	}
	bad := logNormalFeatures(4, 3, layers, 0)
	bad.Rows[1][0][0] = math.NaN()
	if r := ds.Assess(bad.Rows[1][0], []float64{2}, nil); !r.OOD || !math.IsInf(r.Score, 1) || !strings.Contains(r.Invalid, "layer l0 has NaN") {
		t.Errorf("NaN feature: %+v", r)
	}
}

// roundTrip is d encoded as JSON and decoded, validated against layers.
func roundTrip(t *testing.T, d *Detector, layers []string) *Detector {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Detector
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(layers); err != nil {
		t.Fatalf("read back: %v", err)
	}
	return &back
}

func mustLog(t *testing.T, d *Detector, row []float64) []float64 {
	t.Helper()
	v, err := d.Gaussian.LogFeatures(row)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFitWithErrors(t *testing.T) {
	layers := []string{"a", "b", "c"}
	f := logNormalFeatures(1, 20, layers, 0)
	big := logNormalFeatures(1, ocsvm.MaxRows+1, layers, 0)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		name string
		f    *Features
		ctx  context.Context
		o    FitOptions
		want string
	}{
		{"unknown model", f, ctx, FitOptions{Recall: 0.9, Model: "svm"}, `score model "svm": want "gaussian" or "ocsvm"`},
		{"recall 1 gives nu 0", f, ctx, FitOptions{Recall: 1, Model: ModelOCSVM}, "nu 0 (1 - recall 1) outside (0, 1]"},
		{"nu 2", f, ctx, FitOptions{Recall: 0.9, Model: ModelOCSVM, Nu: 2}, "nu 2 outside (0, 1]"},
		{"too many rows", big, ctx, FitOptions{Recall: 0.9, Model: ModelOCSVM}, "fit B=1: ocsvm: fit: 4097 rows, over the limit of 4096"},
		{"cancelled", f, cancelled, FitOptions{Recall: 0.9, Model: ModelOCSVM}, "context canceled"},
	} {
		if _, err := FitWith(c.ctx, c.f, 1, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// complexities draws n input complexities around mean (bits/dim).
func complexities(seed uint64, n int, mean float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 5))
	l := make([]float64, n)
	for i := range l {
		l[i] = mean + 0.1*r.NormFloat64()
	}
	return l
}

// TestCombinedDetector fits a detector with the S-score and checks that it flags both kinds of
// OOD rows, those with shifted gradient features and those likely only because they are simple
// (low complexity), where each part alone misses one kind; that its score is Fisher's method on
// the two conformal p-values; that missing complexities make a row OOD; and the JSON round trip.
func TestCombinedDetector(t *testing.T) {
	layers := []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"}
	fit := logNormalFeatures(1, 400, layers, 0)
	d, err := FitWith(context.Background(), fit, 1, FitOptions{Recall: 0.9, FitData: "synthetic",
		Complexity: complexities(1, 400, 1), Compressor: "brotli"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(layers); err != nil {
		t.Fatalf("fitted detector: %v", err)
	}
	if d.Complexity == nil || len(d.Complexity.SFitScores) != 400 || len(d.FitScores) != 400 {
		t.Fatalf("complexity term %+v", d.Complexity)
	}
	if p := d.Percentile(d.Threshold); p < 90 || p > 91 {
		t.Errorf("threshold at percentile %v, want 90", p)
	}
	in, lIn := logNormalFeatures(2, 200, layers, 0), complexities(2, 200, 1)
	shifted, lShifted := logNormalFeatures(3, 200, layers, 3), complexities(3, 200, 1)
	simple, lSimple := logNormalFeatures(4, 200, layers, 0), complexities(4, 200, 0.5) // S-score 0.5 higher
	auroc := func(method string, out *Features, lOut []float64) float64 {
		si, so := MethodScores(d, in, 1, lIn)[method], MethodScores(d, out, 1, lOut)[method]
		if method == MethodSBrotli {
			si, _ = SScores(in.NLL, lIn, 1)
			so, _ = SScores(out.NLL, lOut, 1)
		}
		m, err := Evaluate(si, so)
		if err != nil {
			t.Fatal(err)
		}
		return m.AUROC
	}
	for _, c := range []struct {
		name                   string
		out                    *Features
		l                      []float64
		weakMethod, strongPart string
	}{{"shifted features", shifted, lShifted, MethodSBrotli, MethodGradient}, {"simple images", simple, lSimple, MethodGradient, MethodSBrotli}} {
		comb, weak := auroc(MethodCombined, c.out, c.l), auroc(c.weakMethod, c.out, c.l)
		t.Logf("%s: AUROC combined %.3f, %s alone %.3f, %s alone %.3f", c.name, comb, c.weakMethod, weak, c.strongPart, auroc(c.strongPart, c.out, c.l))
		if comb < 0.95 || weak > 0.7 {
			t.Errorf("%s: AUROC combined %.3f, %s alone %.3f: want the combined above 0.95 where the part alone is near chance", c.name, comb, c.weakMethod, weak)
		}
	}
	row := simple.Rows[1][0]
	r := d.Assess(row, simple.NLL[:1], lSimple[:1])
	g := d.Assess(row, simple.NLL[:1], nil) // no complexity: invalid, but the gradient part stands
	want := FisherCombined(ConformalP(d.Complexity.GradientFitScores, g.GradientScore),
		ConformalP(d.Complexity.SFitScores, simple.NLL[0]-lSimple[0]))
	if r.Invalid != "" || r.Score != want || r.GradientScore != g.GradientScore || r.SScore != simple.NLL[0]-lSimple[0] || r.Complexity != lSimple[0] {
		t.Errorf("result %+v, want score %v", r, want)
	}
	if !g.OOD || g.Invalid != NoComplexity || !math.IsNaN(g.SScore) {
		t.Errorf("without complexities: %+v", g)
	}
	back := roundTrip(t, d, layers)
	if rb := back.Assess(row, simple.NLL[:1], lSimple[:1]); rb.Score != r.Score {
		t.Errorf("score %v after the JSON round trip, %v before", rb.Score, r.Score)
	}
	if _, err := FitWith(context.Background(), fit, 1, FitOptions{Recall: 0.9, Complexity: complexities(1, 400, 1)}); err == nil {
		t.Error("complexities without a compressor accepted")
	}
	if _, err := FitWith(context.Background(), fit, 1, FitOptions{Recall: 0.9, Complexity: complexities(1, 399, 1), Compressor: "png"}); err == nil {
		t.Error("399 complexities for 400 images accepted")
	}
}

package ood

import (
	"math"
	"strings"
	"testing"
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
			r := d.Assess(c.row, c.nll)
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

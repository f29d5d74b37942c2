package scorer

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/zoo"
)

// scoreExample scores examples/mnist-test-0.png with m at B = 1.
func scoreExample(t *testing.T, m *Model) Row {
	t.Helper()
	set, err := data.LoadImageFile("../examples/mnist-test-0.png", m.ImageShape())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Score(context.Background(), cpu.New(), set, []string{"mnist-test-0.png"}, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows for one image", len(rows))
	}
	return rows[0]
}

// TestNonFiniteRows scores with NaN weights and with a detector whose variances are negative:
// each row is OOD with the reasons, and its JSON keeps the row with null numbers.
func TestNonFiniteRows(t *testing.T) {
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range f.Tensors {
		for i := range w.Data {
			w.Data[i] = float32(math.NaN())
		}
	}
	nanWeights, err := FromFile("nan.safetensors", f)
	if err != nil {
		t.Fatal(err)
	}
	negVar := defaultModel(t)
	for i := range negVar.Detectors[0].Gaussian.Var {
		negVar.Detectors[0].Gaussian.Var[i] = -1 // as only a detector built in memory can be
	}
	for _, c := range []struct {
		name    string
		m       *Model
		reasons []string
		nulls   []string
	}{
		{"NaN weights", nanWeights, []string{"non-finite gradient features", "non-finite likelihood"},
			[]string{`"nll_bits_per_dim":null`, `"gradient_score":null`, `"typicality":null`}},
		{"negative variances", negVar, []string{"non-finite gradient score"}, []string{`"gradient_score":null`, `"layer_z_scores":[null,`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := scoreExample(t, c.m)
			if r.Verdict != OOD {
				t.Errorf("verdict %q, want %q", r.Verdict, OOD)
			}
			for _, why := range c.reasons {
				if !strings.Contains(r.Invalid, why) {
					t.Errorf("invalid %q, want it to name %q", r.Invalid, why)
				}
			}
			b, err := json.Marshal([]Row{r, r})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.nulls {
				if !strings.Contains(string(b), s) {
					t.Errorf("JSON %.300s has no %s", b, s)
				}
			}
			var back []Row
			if err := json.Unmarshal(b, &back); err != nil || len(back) != 2 || back[1].Invalid != r.Invalid {
				t.Errorf("decoded %d rows of %s: %v", len(back), b, err)
			}
		})
	}
}

func TestRowJSON(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	valid := Row{Input: "a.png", NLL: 2.5, Score: 3.5, GradientScore: 300.25, Complexity: 3.25, SScore: -0.75, Typicality: 0.125,
		Percentile: 50, PValue: 0.5, Verdict: InDistribution, ZScores: []float64{-1.5, 0, 1e-300}}
	cases := []struct {
		name string
		edit func(r *Row)
		want string
	}{
		{"finite", func(*Row) {}, `{"input":"a.png","nll_bits_per_dim":2.5,"score":3.5,"gradient_score":300.25,` +
			`"complexity_bits_per_dim":3.25,"s_score":-0.75,"typicality":0.125,` +
			`"percentile":50,"p_value":0.5,"verdict":"in-distribution","layer_z_scores":[-1.5,0,1e-300]}`},
		{"NaN NLL", func(r *Row) { r.NLL = nan }, `"nll_bits_per_dim":null`},
		{"infinite score", func(r *Row) { r.Score = inf }, `"score":null`},
		{"infinite gradient score", func(r *Row) { r.GradientScore = inf }, `"gradient_score":null`},
		{"no S-score", func(r *Row) { r.Complexity, r.SScore = nan, nan }, `"complexity_bits_per_dim":null,"s_score":null`},
		{"-Inf typicality", func(r *Row) { r.Typicality = -inf }, `"typicality":null`},
		{"NaN percentile", func(r *Row) { r.Percentile = nan }, `"percentile":null`},
		{"NaN p-value", func(r *Row) { r.PValue = nan }, `"p_value":null`},
		{"non-finite z-scores", func(r *Row) { r.ZScores = []float64{nan, 1, -inf} }, `"layer_z_scores":[null,1,null]`},
		{"invalid, no z-scores", func(r *Row) { r.Invalid, r.ZScores = "why", nil }, `"verdict":"in-distribution","invalid":"why"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := valid
			r.ZScores = slices.Clone(valid.ZScores)
			c.edit(&r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), c.want) {
				t.Fatalf("JSON %s, want it to contain %s", b, c.want)
			}
			var back Row
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !sameRow(back, r) {
				t.Errorf("decoded %+v, want %+v (NaN for every non-finite number)", back, r)
			}
		})
	}
	var r Row
	if err := json.Unmarshal([]byte(`{"gradient_score":"x"}`), &r); err == nil {
		t.Error("a string score was accepted")
	}
}

// sameRow compares rows, taking any non-finite number to equal NaN.
func sameRow(a, b Row) bool {
	same := func(x, y float64) bool { return x == y || (!finite(x) && !finite(y)) }
	return a.Input == b.Input && a.Verdict == b.Verdict && a.Invalid == b.Invalid && same(a.NLL, b.NLL) &&
		same(a.Score, b.Score) && same(a.GradientScore, b.GradientScore) && same(a.Complexity, b.Complexity) &&
		same(a.SScore, b.SScore) && same(a.Typicality, b.Typicality) && same(a.Percentile, b.Percentile) && same(a.PValue, b.PValue) &&
		slices.EqualFunc(a.ZScores, b.ZScores, same)
}

func TestFormatFloat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{2.5, "2.5"}, {-0.1, "-0.1"}, {1e21, "1e+21"}, {300.123456789, "300.123456789"}, {0, "0"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}} {
		if got := FormatFloat(c.v); got != c.want {
			t.Errorf("FormatFloat(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

package scorer

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/ood/ocsvm"
)

// metaEdit changes the decoded oodgpu metadata of the default model.
type metaEdit func(m map[string]any)

// detector returns detector i of the decoded metadata m.
func detector(m map[string]any, i int) map[string]any {
	return m["detector"].(map[string]any)["detectors"].([]any)[i].(map[string]any)
}

// gaussian returns the Gaussian of detector i of m.
func gaussian(m map[string]any, i int) map[string]any {
	return detector(m, i)["gaussian"].(map[string]any)
}

// setConfig sets a config field of m.
func setConfig(key string, v any) metaEdit {
	return func(m map[string]any) { m["config"].(map[string]any)[key] = v }
}

// setDetector sets a field of detector 0 of m.
func setDetector(key string, v any) metaEdit {
	return func(m map[string]any) { detector(m, 0)[key] = v }
}

// setGaussian sets a field of detector 0's Gaussian.
func setGaussian(key string, v any) metaEdit {
	return func(m map[string]any) { gaussian(m, 0)[key] = v }
}

// withSVM gives detector 0 of m a valid one-class SVM over its Gaussian's kept layers and fit
// rows: two support vectors, one standard deviation above and below the Gaussian's means, both
// at the upper bound 1 (nu = 2 / rows).
func withSVM(m map[string]any) {
	rows, _ := detector(m, 0)["fit_rows"].(json.Number).Int64()
	g := gaussian(m, 0)
	means, vars := g["mean"].([]any), g["var"].([]any)
	var sv ocsvm.Packed
	for _, sign := range []float64{1, -1} {
		for k := range means {
			mu, _ := means[k].(json.Number).Float64()
			v, _ := vars[k].(json.Number).Float64()
			sv = append(sv, mu+sign*math.Sqrt(v))
		}
	}
	detector(m, 0)["ocsvm"] = map[string]any{"nu": 2 / float64(rows), "gamma": 1 / float64(len(means)), "rho": 0.1,
		"rows": rows, "dim": len(means), "coef": []any{1, 1}, "support_vectors": sv, "iterations": 1}
}

// setSVM gives detector 0 of m the one-class SVM of withSVM with key set to v.
func setSVM(key string, v any) metaEdit {
	return func(m map[string]any) {
		withSVM(m)
		detector(m, 0)["ocsvm"].(map[string]any)[key] = v
	}
}

// setComplexity sets a field of detector 0's complexity term (the default model's detectors
// are combined ones).
func setComplexity(key string, v any) metaEdit {
	return func(m map[string]any) { detector(m, 0)["complexity"].(map[string]any)[key] = v }
}

// editedMeta returns the metadata JSON orig with edit applied (numbers kept exactly).
func editedMeta(t testing.TB, orig string, edit metaEdit) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(orig))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withMeta encodes the default model's tensors with meta as their oodgpu metadata.
func withMeta(t testing.TB, f *weights.File, meta string) []byte {
	t.Helper()
	g := &weights.File{Tensors: f.Tensors, Metadata: map[string]string{weights.MetaKey: meta}, Half: f.Half}
	b, err := weights.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// badMetaCases are edits of the default model's metadata that loading must refuse, with what
// the error says; the fuzz test seeds its corpus with them.
var badMetaCases = []struct {
	name string
	edit metaEdit
	want string
}{
	{"levels 64", setConfig("levels", 64), "glow: config: levels 64 outside 1..10"},
	{"levels 2^62", setConfig("levels", 1<<62), "levels 4611686018427387904 outside"},
	{"hidden 2^40", setConfig("hidden", 1<<40), "hidden width 1099511627776 outside"},
	{"size 2^31", setConfig("size", 1<<31), "size 2147483648 outside 1..1024"},
	{"two channels", setConfig("channels", 2), "channels 2: want 1 (grey) or 3 (colour)"},
	{"bins 0", setConfig("bins", 0), "bins 0 outside"},
	{"misspelt config field", setConfig("level", 3), `unknown field "level"`},
	{"no config", func(m map[string]any) { delete(m, "config") }, "glow: the weight file holds no model config"},
	{"ddpm with 65 multipliers", func(m map[string]any) {
		m["kind"] = "ddpm"
		m["config"] = map[string]any{"channels": 1, "size": 32, "base": 8, "mults": make([]int, 65), "steps": 10,
			"beta_start": 1e-4, "beta_end": 0.02}
	}, "ddpm: config: 65 channel multipliers, want 1..8"},
	{"unknown kind", func(m map[string]any) { m["kind"] = "pixelsnail" }, `model kind "pixelsnail" is not supported`},
	{"control characters", func(m map[string]any) { m["training_data"] = "\x1b[2J" }, "training data \"\\x1b[2J\" holds a control"},
	{"detectors [null]", func(m map[string]any) { m["detector"] = map[string]any{"detectors": []any{nil}} }, "detector 0 is null"},
	{"detectors not a list", func(m map[string]any) { m["detector"] = map[string]any{"detectors": 3} }, "detector metadata: json: cannot unmarshal"},
	{"misspelt detector field", setDetector("treshold", 1), `unknown field "treshold"`},
	{"two detectors for B = 1", setDetector("group_size", 5), "two detectors for B = 5"},
	{"group size 0", setDetector("group_size", 0), "detector for B = 0: group size must be >= 1"},
	{"no gaussian", setDetector("gaussian", nil), "no gaussian"},
	{"fit scores []", setDetector("fit_scores", []any{}), "no fit scores"},
	{"fit rows disagree", setDetector("fit_rows", 999), "999 fit rows with 1000 fit scores"},
	{"fit scores unsorted", func(m map[string]any) { setDetector("fit_rows", 2)(m); setDetector("fit_scores", []any{2, 1})(m) },
		"fit scores are not sorted (score 1 is 1, after 2)"},
	{"recall 0", setDetector("recall", 0), "recall 0 outside (0, 1]"},
	{"keep index 100000", func(m map[string]any) { gaussian(m, 0)["keep"].([]any)[1] = 100000 }, "kept layer index 100000 outside 0..343"},
	{"keep index twice", func(m map[string]any) { gaussian(m, 0)["keep"].([]any)[1] = 0 }, "layer flow.0.0.actnorm.bias is kept twice"},
	{"variances -1", func(m map[string]any) {
		v := gaussian(m, 0)["var"].([]any)
		for i := range v {
			v[i] = -1
		}
	}, "variance of layer flow.0.0.actnorm.bias is -1, want a positive finite number"},
	{"fewer means", func(m map[string]any) { g := gaussian(m, 1); g["mean"] = g["mean"].([]any)[1:] }, "detector for B = 5: gaussian: 344 kept layers with 343 means"},
	{"renamed layer", func(m map[string]any) { gaussian(m, 0)["layers"].([]any)[0] = "x" }, `layer 0 is "x", the model's is "flow.0.0.actnorm.bias"`},
	{"layers of another model", setGaussian("layers", []any{"a"}), "gaussian: 1 layers, the model has 344"},
	{"ocsvm nu 0", setSVM("nu", 0), "detector for B = 1: ocsvm: nu 0 outside (0, 1]"},
	{"ocsvm gamma -1", setSVM("gamma", -1), "ocsvm: gamma -1, want a positive finite number"},
	{"ocsvm coefficient 2", setSVM("coef", []any{2, -1}), "ocsvm: coefficient 0 is 2, outside (0, 1]"},
	{"ocsvm coefficients off nu", setSVM("coef", []any{0.5, 0.25}), "ocsvm: coefficients sum to 0.75, want nu*rows = 2"},
	{"ocsvm of other rows", func(m map[string]any) {
		setSVM("rows", 500)(m)
		detector(m, 0)["ocsvm"].(map[string]any)["nu"] = 0.004
	}, "ocsvm: fitted on 500 rows, the detector on 1000"},
	{"ocsvm more support vectors than rows", setSVM("rows", 1), "ocsvm: 2 support vectors of 1 training rows"},
	{"ocsvm over 3 layers", func(m map[string]any) {
		setSVM("dim", 3)(m)
		detector(m, 0)["ocsvm"].(map[string]any)["support_vectors"] = make(ocsvm.Packed, 6)
	}, "ocsvm: rows of 3 values, the gaussian keeps 344 layers"},
	{"ocsvm short support vectors", setSVM("support_vectors", make(ocsvm.Packed, 5)), "ocsvm: 5 support vector values for 2 support vectors of 344 values"},
	{"ocsvm infinite support vector", setSVM("support_vectors", append(ocsvm.Packed{math.Inf(1)}, make(ocsvm.Packed, 687)...)),
		"ocsvm: support vector 0, value 0 is +Inf"},
	{"ocsvm support vectors not base64", setSVM("support_vectors", "!!"), "packed values: illegal base64"},
	{"ocsvm support vectors as numbers", setSVM("support_vectors", []any{1, 2}), "packed values: want a base64 string"},
	{"ocsvm misspelt field", setSVM("gama", 1), `unknown field "gama"`},
	{"unknown compressor", setComplexity("compressor", "flif"), `detector for B = 1: complexity: unknown compressor "flif"`},
	{"no compressor", setComplexity("compressor", ""), "complexity: no compressor"},
	{"two S fit scores", setComplexity("s_fit_scores", []any{1, 2}), "1000 fit rows with 2 complexity: S-score fit scores"},
	{"NaN gradient fit score", setComplexity("gradient_fit_scores", append([]any{"NaN"}, make([]any, 999)...)), "cannot unmarshal"},
	{"complexity misspelt field", setComplexity("s_fit", 1), `unknown field "s_fit"`},
}

func TestLoadRejectsBadMeta(t *testing.T) {
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	orig := f.Metadata[weights.MetaKey]
	for _, c := range badMetaCases {
		t.Run(c.name, func(t *testing.T) {
			// FromFile is what Decode runs on the decoded file; encoding and decoding the
			// weights again for each case would only repeat what the valid cases below check.
			edited := &weights.File{Tensors: f.Tensors, Half: f.Half,
				Metadata: map[string]string{weights.MetaKey: editedMeta(t, orig, c.edit)}}
			_, err := FromFile("edited.safetensors", edited)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "edited.safetensors: ") {
				t.Fatalf("error %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
	for _, edit := range []metaEdit{func(map[string]any) {}, withSVM, setDetector("ocsvm", nil), setDetector("complexity", nil)} {
		if _, err := Decode("edited.safetensors", withMeta(t, f, editedMeta(t, orig, edit))); err != nil {
			t.Errorf("valid metadata: %v", err)
		}
	}
}

// TestSetDetectorsChecks checks that SetDetectors refuses detectors that loading would refuse,
// leaving the model as it was.
func TestSetDetectorsChecks(t *testing.T) {
	m := defaultModel(t)
	before := bytes.Clone(m.Meta.Detector)
	d := *m.Detectors[0]
	d.Threshold = -1
	bad := d
	bad.Recall = 0
	for _, c := range []struct {
		ds   []*ood.Detector
		want string
	}{
		{[]*ood.Detector{&d, m.Detectors[0]}, "two detectors for B = 1"},
		{[]*ood.Detector{&d, nil}, "detector 1 is null"},
		{[]*ood.Detector{&bad}, "recall 0 outside (0, 1]"},
	} {
		if err := m.SetDetectors(c.ds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetDetectors error %v, want one containing %q", err, c.want)
		}
	}
	if !bytes.Equal(m.Meta.Detector, before) || len(m.Detectors) != 2 {
		t.Error("a refused SetDetectors changed the model")
	}
	if err := m.SetDetectors([]*ood.Detector{&d}); err != nil || len(m.Detectors) != 1 {
		t.Errorf("valid detector: %v", err)
	}
}

package scorer

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/ood"
)

// TestOCSVMDetector stores a detector with a one-class SVM in the default model's file with
// SetDetectors, reads the file back, and scores images with it: the score is minus the SVM's
// decision value at the image's log features, the z-scores are the Gaussian's, and the Gaussian
// detector of the same file (B = 5 here) is untouched. The support vectors are stored packed.
func TestOCSVMDetector(t *testing.T) {
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode("svm.safetensors", withMeta(t, f, editedMeta(t, f.Metadata[weights.MetaKey], withSVM)))
	if err != nil {
		t.Fatal(err)
	}
	gm := defaultModel(t)
	svmDet, err := m.Detector(1)
	if err != nil {
		t.Fatal(err)
	}
	if svmDet.Model() != ood.ModelOCSVM || m.Detectors[1].Model() != ood.ModelGaussian {
		t.Fatalf("detectors %q and %q", svmDet.Model(), m.Detectors[1].Model())
	}
	// Through SetDetectors and the file's bytes, as fit writes it.
	if err := m.SetDetectors(m.Detectors); err != nil {
		t.Fatal(err)
	}
	b, err := weights.Encode(m.File)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = Decode("svm.safetensors", b); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(m.Meta.Detector, &raw); err != nil {
		t.Fatal(err)
	}
	stored := raw["detectors"].([]any)[0].(map[string]any)["ocsvm"].(map[string]any)["support_vectors"]
	if _, ok := stored.(string); !ok {
		t.Errorf("support vectors stored as %T, want one packed string", stored)
	}
	svm := m.Detectors[0].OCSVM
	if svm == nil || svm.NumSV() != 2 || svm.Dim != 344 {
		t.Fatalf("read back %+v", svm)
	}
	g := m.Detectors[0].Gaussian
	for _, p := range []string{"../examples/fashionmnist-test-0.png", "../examples/noise-generated.png"} {
		set, err := data.LoadImageFile(p, m.ImageShape())
		if err != nil {
			t.Fatal(err)
		}
		rows, err := m.Score(context.Background(), cpu.New(), set, []string{p}, 1, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		grows, err := gm.Score(context.Background(), cpu.New(), set, []string{p}, 1, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, gr := rows[0], grows[0]
		if r.NLL != gr.NLL || len(r.ZScores) != len(gr.ZScores) || r.ZScores[7] != gr.ZScores[7] {
			t.Fatalf("%s: NLL or z-scores differ from the Gaussian detector's", p)
		}
		logs := make([]float64, len(r.ZScores))
		for k, z := range r.ZScores {
			logs[k] = g.Mean[k] + z*math.Sqrt(g.Var[k])
		}
		dec, err := svm.Decision(logs)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.GradientScore+dec) > 1e-9 || r.GradientScore == gr.GradientScore {
			t.Errorf("%s: gradient score %v, want minus the decision value %v (the Gaussian's score is %v)", p, r.GradientScore, dec, gr.GradientScore)
		}
		t.Logf("%s: SVM score %.4f, Gaussian score %.2f", p, r.GradientScore, gr.GradientScore)
	}
}

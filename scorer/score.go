package scorer

import (
	"context"
	"fmt"
	"math"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/ood"
)

// Row is the result for one image, or one group of B images scored together.
type Row struct {
	Input      string    `json:"input"`
	NLL        float64   `json:"nll_bits_per_dim"`
	Score      float64   `json:"gradient_score"`
	Typicality float64   `json:"typicality"`
	Percentile float64   `json:"percentile"`
	Verdict    string    `json:"verdict"`
	Invalid    string    `json:"invalid,omitempty"`
	ZScores    []float64 `json:"layer_z_scores,omitempty"`
}

// Verdicts of a Row.
const (
	InDistribution = "in-distribution"
	OOD            = "OOD"
)

// Score scores set's images in consecutive groups of batch (the paper's B) with the detector
// fitted for that B, on exec, with dequantization noise from seed. names labels the images;
// progress (may be nil) is called with the number of images done.
func (m *Model) Score(ctx context.Context, exec graph.Executor, set *data.Set, names []string, batch int,
	seed uint64, progress func(done int)) ([]Row, error) {
	det, err := m.Detector(batch)
	if err != nil {
		return nil, err
	}
	if len(names) != set.N {
		return nil, fmt.Errorf("scorer: %d names for %d images", len(names), set.N)
	}
	if set.N == 0 || set.N%batch != 0 {
		return nil, fmt.Errorf("scorer: %d images, not a positive multiple of B = %d", set.N, batch)
	}
	ex := m.Extractor(exec, set, []int{batch}, ChunkFor([]int{batch}, set.N), seed)
	feats, err := ex.Run(ctx, set.N, progress)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, set.N/batch)
	for k, row := range feats.Rows[batch] {
		name := names[k*batch]
		if batch > 1 {
			name = fmt.Sprintf("%s .. %s", names[k*batch], names[(k+1)*batch-1])
		}
		rows = append(rows, makeRow(name, det.Assess(row, feats.NLL[k*batch:(k+1)*batch])))
	}
	return rows, nil
}

// ZLayers names the layers of a Row's ZScores for batch size b: the layers the detector kept.
func (m *Model) ZLayers(b int) ([]string, error) {
	det, err := m.Detector(b)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(det.Gaussian.Keep))
	for i, j := range det.Gaussian.Keep {
		names[i] = det.Gaussian.Layers[j]
	}
	return names, nil
}

func makeRow(name string, r ood.Result) Row {
	v := InDistribution
	if r.OOD {
		v = OOD
	}
	return Row{Input: name, NLL: r.NLL, Score: r.Score, Typicality: r.Typicality, Percentile: r.Percentile,
		Verdict: v, Invalid: r.Invalid, ZScores: r.ZScores}
}

// JSONSafe returns rows with infinite scores (unusable features) replaced by the largest float,
// as JSON has no Inf.
func JSONSafe(rows []Row) []Row {
	out := append([]Row(nil), rows...)
	for i := range out {
		if math.IsInf(out[i].Score, 1) {
			out[i].Score = math.MaxFloat64
		}
	}
	return out
}

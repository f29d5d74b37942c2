package scorer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/oodgpu/oodgpu/complexity"
	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/ood"
)

// Row is the result for one image, or one group of B images scored together. A NaN or infinite
// value (unusable features, a model that gives NaN) makes the row OOD with the reason in Invalid;
// its JSON encoding (MarshalJSON) writes such a value as null.
type Row struct {
	Input string
	NLL   float64 // bits/dim (L_t per dimension for DDPM)
	// Score is the detector's score (ood.Result.Score): the gradient score, or for a combined
	// detector the gradient score and the S-score joined by Fisher's method on their p-values.
	Score         float64
	GradientScore float64
	// Complexity is the input complexity L (bits/dim) and SScore the S-score NLL - L: NaN unless
	// the detector is a combined one.
	Complexity, SScore float64
	Typicality         float64
	Percentile         float64 // of Score among the fit set's scores
	// PValue is the conformal p-value of Score against the fit set's scores (ood.ConformalP):
	// the chance that an in-distribution image scores at least as high. --alpha A calls OOD
	// exactly the rows with PValue <= A, which bounds the false alarms at A.
	PValue  float64
	Verdict string // InDistribution or OOD
	Invalid string // why the row's numbers are unusable, or ""
	ZScores []float64
}

// rowJSON is the JSON form of a Row.
type rowJSON struct {
	Input         string      `json:"input"`
	NLL           jsonFloat   `json:"nll_bits_per_dim"`
	Score         jsonFloat   `json:"score"`
	GradientScore jsonFloat   `json:"gradient_score"`
	Complexity    jsonFloat   `json:"complexity_bits_per_dim"`
	SScore        jsonFloat   `json:"s_score"`
	Typicality    jsonFloat   `json:"typicality"`
	Percentile    jsonFloat   `json:"percentile"`
	PValue        jsonFloat   `json:"p_value"`
	Verdict       string      `json:"verdict"`
	Invalid       string      `json:"invalid,omitempty"`
	ZScores       []jsonFloat `json:"layer_z_scores,omitempty"`
}

// MarshalJSON encodes r with null for every NaN or infinite number, as JSON has neither.
func (r Row) MarshalJSON() ([]byte, error) {
	z := make([]jsonFloat, len(r.ZScores))
	for i, v := range r.ZScores {
		z[i] = jsonFloat(v)
	}
	return json.Marshal(rowJSON{Input: r.Input, NLL: jsonFloat(r.NLL), Score: jsonFloat(r.Score),
		GradientScore: jsonFloat(r.GradientScore), Complexity: jsonFloat(r.Complexity), SScore: jsonFloat(r.SScore),
		Typicality: jsonFloat(r.Typicality), Percentile: jsonFloat(r.Percentile), PValue: jsonFloat(r.PValue), Verdict: r.Verdict,
		Invalid: r.Invalid, ZScores: z})
}

// UnmarshalJSON decodes what MarshalJSON writes; a null number becomes NaN.
func (r *Row) UnmarshalJSON(b []byte) error {
	var j rowJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Row{Input: j.Input, NLL: float64(j.NLL), Score: float64(j.Score), GradientScore: float64(j.GradientScore),
		Complexity: float64(j.Complexity), SScore: float64(j.SScore), Typicality: float64(j.Typicality),
		Percentile: float64(j.Percentile), PValue: float64(j.PValue), Verdict: j.Verdict, Invalid: j.Invalid}
	for _, v := range j.ZScores {
		r.ZScores = append(r.ZScores, float64(v))
	}
	return nil
}

// jsonFloat is a number that JSON encodes as null when it is NaN or infinite, and decodes null
// as NaN.
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (v jsonFloat) MarshalJSON() ([]byte, error) {
	if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
		return json.Marshal(f)
	}
	return []byte("null"), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = jsonFloat(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = jsonFloat(f)
	return nil
}

// CSVColumns is the header of a Row's CSV form (CSVRecord): the columns of `oodgpu score
// --format csv`.
var CSVColumns = []string{"input", "nll_bits_per_dim", "score", "gradient_score", "complexity_bits_per_dim", "s_score",
	"typicality", "percentile", "p_value", "verdict", "invalid"}

// CSVRecord is r's CSV form, field by field under CSVColumns: numbers by FormatFloat.
func (r Row) CSVRecord() []string {
	f := FormatFloat
	return []string{r.Input, f(r.NLL), f(r.Score), f(r.GradientScore), f(r.Complexity), f(r.SScore),
		f(r.Typicality), f(r.Percentile), f(r.PValue), r.Verdict, r.Invalid}
}

// FormatFloat formats v for a CSV field or other text output: the shortest decimal that reads
// back as v, and "null" for NaN or infinity, as in the JSON encoding.
func FormatFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
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
	var l []float64 // the images' input complexities, for a combined detector
	if det.Complexity != nil {
		c, err := complexity.Parse(det.Complexity.Compressor)
		if err != nil {
			return nil, err
		}
		if l, err = complexity.All(c, set); err != nil {
			return nil, fmt.Errorf("scorer: %w", err)
		}
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
		var lk []float64
		if l != nil {
			lk = l[k*batch : (k+1)*batch]
		}
		rows = append(rows, makeRow(name, det.Assess(row, feats.NLL[k*batch:(k+1)*batch], lk), det.FitScores))
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

func makeRow(name string, r ood.Result, fitScores []float64) Row {
	v := InDistribution
	if r.OOD {
		v = OOD
	}
	return Row{Input: name, NLL: r.NLL, Score: r.Score, GradientScore: r.GradientScore, Complexity: r.Complexity,
		SScore: r.SScore, Typicality: r.Typicality, Percentile: r.Percentile,
		PValue: ood.ConformalP(fitScores, r.Score), Verdict: v, Invalid: r.Invalid, ZScores: r.ZScores}
}

// ApplyAlpha sets each row's verdict from its p-value at false-alarm rate alpha: OOD where
// PValue <= alpha or the row is invalid, else in-distribution.
func ApplyAlpha(rows []Row, alpha float64) {
	for i := range rows {
		rows[i].Verdict = InDistribution
		if rows[i].Invalid != "" || !(rows[i].PValue > alpha) {
			rows[i].Verdict = OOD
		}
	}
}

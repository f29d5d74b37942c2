package ood

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Method names of the benchmark, in table order.
const (
	MethodGradient   = "gradient (ours)"
	MethodTypicality = "typicality"
	MethodNLL        = "NLL"
	MethodFisher     = "Fisher"
	// MethodSPNG and MethodSBrotli are the S-score of Serra et al. (2020), NLL - L with L an
	// image's input complexity (its lossless compressed length, package complexity) by PNG and
	// by brotli: SScores.
	MethodSPNG    = "S-score, PNG"
	MethodSBrotli = "S-score, brotli"
	// MethodCombined joins the gradient score and the S-score by brotli: Fisher's method on
	// their conformal p-values against the fit set, the score of a detector fitted with the
	// complexities (ComplexityTerm).
	MethodCombined = "gradient + S-score"
)

// Methods lists the benchmark's methods in table order.
var Methods = []string{MethodGradient, MethodTypicality, MethodNLL, MethodFisher, MethodSPNG, MethodSBrotli, MethodCombined}

// SScores returns the S-score of each group of b consecutive images: the group's mean of
// NLL - L, both in bits per dimension (higher is more OOD). nll and l hold one value per image.
func SScores(nll, l []float64, b int) ([]float64, error) {
	if b < 1 || len(nll) != len(l) || len(nll)%b != 0 {
		return nil, fmt.Errorf("ood: S-score: %d likelihoods and %d complexities in groups of %d", len(nll), len(l), b)
	}
	out := make([]float64, len(nll)/b)
	for k := range out {
		for i := k * b; i < (k+1)*b; i++ {
			out[k] += (nll[i] - l[i]) / float64(b)
		}
	}
	return out, nil
}

// MethodScores computes, for every feature row of group size b, the score of each method
// (higher is more OOD). NLL is the batch's mean negative log-likelihood. For a combined detector
// (Detector.Complexity), l holds each image's input complexity by its compressor, and the
// detector's score is MethodCombined; l is ignored otherwise.
func MethodScores(d *Detector, f *Features, b int, l []float64) map[string][]float64 {
	out := map[string][]float64{}
	for k, row := range f.Rows[b] {
		nll := f.NLL[k*b : (k+1)*b]
		var lk []float64
		if d.Complexity != nil && len(l) == len(f.NLL) {
			lk = l[k*b : (k+1)*b]
		}
		r := d.Assess(row, nll, lk)
		out[MethodGradient] = append(out[MethodGradient], r.GradientScore)
		if d.Complexity != nil {
			out[MethodCombined] = append(out[MethodCombined], r.Score)
		}
		out[MethodTypicality] = append(out[MethodTypicality], r.Typicality)
		out[MethodNLL] = append(out[MethodNLL], r.NLL)
		fisher := r.GradientScore // +Inf for unusable features, as for the gradient score
		if r.Invalid == "" {
			fisher, _ = FisherScore(r.ZScores)
		}
		out[MethodFisher] = append(out[MethodFisher], fisher)
	}
	return out
}

// Cell is one benchmark result: a method at a batch size, for one OOD test set.
type Cell struct {
	Train, Test, Method string
	B                   int
	Metrics
	// Interval is the AUROC's 95% bootstrap interval (AUROCInterval); nil when not measured.
	Interval *Interval
}

// Interval is a confidence interval [Low, High].
type Interval struct{ Low, High float64 }

// Table collects cells and renders them in the paper's form: rows are test sets, columns training
// sets, and each method x B pair is a block of rows.
type Table struct {
	Cells []Cell
}

func (t *Table) keys() (trains, tests []string, blocks []Cell) {
	seenTrain, seenTest, seenBlock := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range t.Cells {
		if !seenTrain[c.Train] {
			seenTrain[c.Train] = true
			trains = append(trains, c.Train)
		}
		if !seenTest[c.Test] {
			seenTest[c.Test] = true
			tests = append(tests, c.Test)
		}
		k := fmt.Sprintf("%s|%d", c.Method, c.B)
		if !seenBlock[k] {
			seenBlock[k] = true
			blocks = append(blocks, Cell{Method: c.Method, B: c.B})
		}
	}
	sort.SliceStable(blocks, func(i, j int) bool {
		if blocks[i].B != blocks[j].B {
			return blocks[i].B < blocks[j].B
		}
		return methodIndex(blocks[i].Method) < methodIndex(blocks[j].Method)
	})
	return trains, tests, blocks
}

func methodIndex(m string) int {
	for i, x := range Methods {
		if x == m {
			return i
		}
	}
	return len(Methods)
}

func (t *Table) find(train, test, method string, b int) (Cell, bool) {
	for _, c := range t.Cells {
		if c.Train == train && c.Test == test && c.Method == method && c.B == b {
			return c, true
		}
	}
	return Cell{}, false
}

// Markdown writes the AUROC table, each cell with its 95% interval where it has one.
func (t *Table) Markdown(w io.Writer) error {
	trains, tests, blocks := t.keys()
	var b strings.Builder
	b.WriteString("| method | B | test set |")
	for _, tr := range trains {
		fmt.Fprintf(&b, " %s |", tr)
	}
	b.WriteString("\n|---|---|---|")
	for range trains {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, blk := range blocks {
		for _, te := range tests {
			fmt.Fprintf(&b, "| %s | %d | %s |", blk.Method, blk.B, te)
			for _, tr := range trains {
				c, ok := t.find(tr, te, blk.Method, blk.B)
				switch {
				case ok && c.Interval != nil:
					fmt.Fprintf(&b, " %.3f [%.3f, %.3f] |", c.AUROC, c.Interval.Low, c.Interval.High)
				case ok:
					fmt.Fprintf(&b, " %.3f |", c.AUROC)
				default:
					b.WriteString(" - |")
				}
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Average is the mean AUROC of one method at one batch size over every cell of a table, as the
// paper reports beside its Tables 1, 2 and 5.
type Average struct {
	Method string
	B      int
	Cells  int
	AUROC  float64
}

// Averages returns the mean AUROC of each method x B block, in table order.
func (t *Table) Averages() []Average {
	_, _, blocks := t.keys()
	out := make([]Average, 0, len(blocks))
	for _, blk := range blocks {
		a := Average{Method: blk.Method, B: blk.B}
		for _, c := range t.Cells {
			if c.Method == blk.Method && c.B == blk.B {
				a.Cells++
				a.AUROC += c.AUROC
			}
		}
		a.AUROC /= float64(a.Cells)
		out = append(out, a)
	}
	return out
}

// AveragesMarkdown writes Averages as a Markdown table.
func (t *Table) AveragesMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| method, B | cells | average AUROC |\n|---|---|---|\n")
	for _, a := range t.Averages() {
		fmt.Fprintf(&b, "| %s, B = %d | %d | %.3f |\n", a.Method, a.B, a.Cells, a.AUROC)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvHeader is the first line of Table.CSV; csvHeaderNoInterval, without the AUROC's interval
// columns, is the older form that ReadTableCSV still reads (the paper's transcribed tables).
var (
	csvHeader           = append(slices.Clone(csvHeaderNoInterval), "auroc_lo", "auroc_hi")
	csvHeaderNoInterval = []string{"train", "test", "method", "B", "auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"}
)

// CSV writes every cell with all metrics and the AUROC's interval (empty where not measured).
func (t *Table) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(v float64) string {
		if math.IsNaN(v) {
			return "" // not measured, as in tables transcribed from papers
		}
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	for _, c := range t.Cells {
		lo, hi := math.NaN(), math.NaN()
		if c.Interval != nil {
			lo, hi = c.Interval.Low, c.Interval.High
		}
		if err := cw.Write([]string{c.Train, c.Test, c.Method, strconv.Itoa(c.B), f(c.AUROC), f(c.AUPRIn), f(c.AUPROut), f(c.FPR95TPR), f(lo), f(hi)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadTableCSV reads cells written by Table.CSV, with or without the interval columns, and
// appends them to t. Every AUROC must be in [0, 1]; the other metrics may be empty (not
// measured), and an interval is both bounds in [0, 1], low first, or neither.
func (t *Table) ReadTableCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("ood: table CSV: %w", err)
	}
	if got := strings.Join(head, ","); got != strings.Join(csvHeader, ",") && got != strings.Join(csvHeaderNoInterval, ",") {
		return fmt.Errorf("ood: table CSV: header %q, want %q", got, strings.Join(csvHeader, ","))
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ood: table CSV: %w", err)
		}
		if len(rec) != len(head) {
			return fmt.Errorf("ood: table CSV line %d: %d fields, want %d", line, len(rec), len(head))
		}
		c := Cell{Train: rec[0], Test: rec[1], Method: rec[2]}
		if c.B, err = strconv.Atoi(rec[3]); err != nil || c.B < 1 {
			return fmt.Errorf("ood: table CSV line %d: B %q", line, rec[3])
		}
		var lo, hi float64
		vals := []*float64{&c.AUROC, &c.AUPRIn, &c.AUPROut, &c.FPR95TPR, &lo, &hi}
		for i, v := range vals[:len(head)-4] {
			if i > 0 && rec[4+i] == "" {
				*v = math.NaN() // only the AUROC is required
				continue
			}
			x, err := strconv.ParseFloat(rec[4+i], 64)
			if err != nil || math.IsNaN(x) || x < 0 || x > 1 {
				return fmt.Errorf("ood: table CSV line %d: %s %q is not in [0, 1]", line, csvHeader[4+i], rec[4+i])
			}
			*v = x
		}
		if len(head) == len(csvHeader) {
			switch loSet, hiSet := !math.IsNaN(lo), !math.IsNaN(hi); {
			case loSet && hiSet && lo <= hi:
				c.Interval = &Interval{Low: lo, High: hi}
			case loSet || hiSet:
				return fmt.Errorf("ood: table CSV line %d: AUROC interval [%s, %s]: want both bounds, low first, or neither", line, rec[8], rec[9])
			}
		}
		t.Cells = append(t.Cells, c)
	}
}

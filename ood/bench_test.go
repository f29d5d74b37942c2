package ood

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestTableRendering(t *testing.T) {
	tab := &Table{}
	for _, m := range []string{MethodNLL, MethodGradient} {
		for _, b := range []int{5, 1} {
			for _, te := range []string{"mnist", "noise"} {
				tab.Cells = append(tab.Cells, Cell{Train: "fashionmnist", Test: te, Method: m, B: b,
					Metrics: Metrics{AUROC: 0.5 + 0.1*float64(b), FPR95TPR: math.NaN()}})
			}
		}
	}
	var md strings.Builder
	if err := tab.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 2+8 || lines[2] != "| gradient (ours) | 1 | mnist | 0.600 |" || !strings.HasPrefix(lines[9], "| NLL | 5 | noise |") {
		t.Fatalf("markdown:\n%s", md.String())
	}
	avg := tab.Averages()
	if len(avg) != 4 || avg[0].Method != MethodGradient || avg[0].B != 1 || avg[0].Cells != 2 || math.Abs(avg[0].AUROC-0.6) > 1e-12 ||
		avg[3].Method != MethodNLL || avg[3].B != 5 || math.Abs(avg[3].AUROC-1.0) > 1e-12 {
		t.Fatalf("averages %+v", avg)
	}
	var am strings.Builder
	if err := tab.AveragesMarkdown(&am); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(am.String(), "| gradient (ours), B = 1 | 2 | 0.600 |") {
		t.Fatalf("averages markdown:\n%s", am.String())
	}
	var csv strings.Builder
	if err := tab.CSV(&csv); err != nil {
		t.Fatal(err)
	}
	if strings.Count(csv.String(), "\n") != 9 {
		t.Fatalf("csv:\n%s", csv.String())
	}
}

// TestTableCSVRoundTrip writes a table, including a training-set label with a comma, reads it
// back and merges a second table into the paper's form.
func TestTableCSVRoundTrip(t *testing.T) {
	a := &Table{Cells: []Cell{
		{Train: "fashionmnist:train", Test: "mnist:test", Method: MethodGradient, B: 1, Metrics: Metrics{AUROC: 0.8959, AUPRIn: 0.9, AUPROut: 0.88, FPR95TPR: 0.426},
			Interval: &Interval{Low: 0.8824, High: 0.9091}},
		{Train: "ddpm (t = 8), fashionmnist:train", Test: "omniglot", Method: MethodTypicality, B: 5, Metrics: Metrics{AUROC: 1}},
		{Train: "paper: GTSRB", Test: "CIFAR-10", Method: MethodGradient, B: 1, Metrics: Metrics{AUROC: 0.9126, AUPRIn: math.NaN(), AUPROut: math.NaN(), FPR95TPR: math.NaN()}},
	}}
	var buf bytes.Buffer
	if err := a.CSV(&buf); err != nil {
		t.Fatal(err)
	}
	var b Table
	if err := b.ReadTableCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if len(b.Cells) != 3 || b.Cells[1].Train != a.Cells[1].Train || b.Cells[0].AUROC != 0.8959 || b.Cells[0].FPR95TPR != 0.426 ||
		b.Cells[0].Interval == nil || *b.Cells[0].Interval != (Interval{Low: 0.8824, High: 0.9091}) || b.Cells[1].Interval != nil ||
		b.Cells[2].AUROC != 0.9126 || !math.IsNaN(b.Cells[2].AUPRIn) || !math.IsNaN(b.Cells[2].FPR95TPR) {
		t.Fatalf("read back %+v", b.Cells)
	}
	var md bytes.Buffer
	if err := b.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| fashionmnist:train | ddpm (t = 8), fashionmnist:train |") ||
		!strings.Contains(md.String(), "| gradient (ours) | 1 | mnist:test | 0.896 [0.882, 0.909] |") {
		t.Errorf("merged table:\n%s", md.String())
	}
	// The older form without the interval columns, as the paper's transcribed tables are.
	var old Table
	if err := old.ReadTableCSV(strings.NewReader(strings.Join(csvHeaderNoInterval, ",") + "\nx,y,z,1,0.5,,,\n")); err != nil ||
		len(old.Cells) != 1 || old.Cells[0].AUROC != 0.5 || old.Cells[0].Interval != nil {
		t.Errorf("older CSV form: %v, %+v", err, old.Cells)
	}
	short, long := strings.Join(csvHeaderNoInterval, ",")+"\n", strings.Join(csvHeader, ",")+"\n"
	for _, bad := range []string{"", "train,test\n", short + "x,y,z,0,0.5,0.5,0.5,0.5\n",
		short + "x,y,z,1,NaN,0.5,0.5,0.5\n", short + "x,y,z,1,1.5,0.5,0.5,0.5\n", short + "x,y,z,1,,0.5,0.5,0.5\n",
		short + "x,y,z,1,0.5,0.5,0.5,0.5,0.4,0.6\n", long + "x,y,z,1,0.5,0.5,0.5,0.5\n", long + "x,y,z,1,0.5,0.5,0.5,0.5,0.4,\n",
		long + "x,y,z,1,0.5,0.5,0.5,0.5,0.6,0.4\n", long + "x,y,z,1,0.5,0.5,0.5,0.5,0.4,1.2\n"} {
		var tab Table
		if err := tab.ReadTableCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// FuzzReadTableCSV feeds arbitrary bytes to the table reader: errors, never panics, and what it
// accepts it writes back unchanged.
func FuzzReadTableCSV(f *testing.F) {
	f.Add([]byte(strings.Join(csvHeaderNoInterval, ",") + "\nfashionmnist:train,mnist:test,NLL,1,0.1290,0.3,0.4,0.9\n"))
	f.Add([]byte(strings.Join(csvHeader, ",") + "\nfashionmnist:train,mnist:test,NLL,1,0.1290,0.3,0.4,0.9,0.1,0.15\n"))
	f.Add([]byte("train,test\n\"a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tab Table
		if err := tab.ReadTableCSV(bytes.NewReader(data)); err != nil {
			return
		}
		var buf bytes.Buffer
		if err := tab.CSV(&buf); err != nil {
			t.Fatal(err)
		}
		var again Table
		if err := again.ReadTableCSV(&buf); err != nil || len(again.Cells) != len(tab.Cells) {
			t.Fatalf("written table does not read back: %v", err)
		}
	})
}

func TestSScores(t *testing.T) {
	nll := []float64{3, 5, 2, 2, 7, 1}
	l := []float64{1, 1, 2, 0, 4, 5}
	for _, c := range []struct {
		b    int
		want []float64
	}{
		{1, []float64{2, 4, 0, 2, 3, -4}},
		{2, []float64{3, 1, -0.5}},
		{3, []float64{2, 0.3333333333333333}},
	} {
		got, err := SScores(nll, l, c.b)
		if err != nil {
			t.Fatal(err)
		}
		for k := range c.want {
			if math.Abs(got[k]-c.want[k]) > 1e-12 {
				t.Errorf("B=%d: group %d: %g, want %g", c.b, k, got[k], c.want[k])
			}
		}
	}
	for _, c := range []struct {
		nll, l []float64
		b      int
	}{{nll, l[:5], 1}, {nll, l, 4}, {nll, l, 0}} {
		if _, err := SScores(c.nll, c.l, c.b); err == nil {
			t.Errorf("%d likelihoods, %d complexities, B=%d: no error", len(c.nll), len(c.l), c.b)
		}
	}
}

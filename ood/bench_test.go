package ood

import (
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
	var csv strings.Builder
	if err := tab.CSV(&csv); err != nil {
		t.Fatal(err)
	}
	if strings.Count(csv.String(), "\n") != 9 {
		t.Fatalf("csv:\n%s", csv.String())
	}
}

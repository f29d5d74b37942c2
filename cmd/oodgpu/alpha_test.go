package main

import (
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestScoreAlpha checks that score writes each row's conformal p-value and that --alpha calls
// OOD exactly the rows whose p-value is at most alpha.
func TestScoreAlpha(t *testing.T) {
	for _, alpha := range []string{"0.05", "0.5"} {
		out := run(t, "score", "--device", "cpu", "--alpha", alpha, "--format", "csv",
			"../../examples/fashionmnist-test-0.png", "../../examples/mnist-test-1.png", "../../examples/noise-generated.png")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("score csv %q: %v", out, err)
		}
		pv, verdict := slices.Index(recs[0], "p_value"), slices.Index(recs[0], "verdict")
		if len(recs) != 4 || pv < 0 || verdict < 0 {
			t.Fatalf("score csv %q: want a header with p_value, verdict and three rows", out)
		}
		a, _ := strconv.ParseFloat(alpha, 64)
		for _, r := range recs[1:] {
			p, err := strconv.ParseFloat(r[pv], 64)
			if err != nil || p <= 0 || p > 1 {
				t.Fatalf("%s: p-value %q", r[0], r[pv])
			}
			if want := map[bool]string{true: "OOD", false: "in-distribution"}[p <= a]; r[verdict] != want {
				t.Errorf("--alpha %s: %s has p-value %g and verdict %s, want %s", alpha, r[0], p, r[verdict], want)
			}
		}
	}
}

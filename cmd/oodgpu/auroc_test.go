package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAUROCCommand checks auroc on small score CSVs: the AUROC of each column (a null value
// maximally OOD, a p-value lower for OOD), and its errors.
func TestAUROCCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	header := "input,score,p_value,verdict\n"
	in := write("in.csv", header+"a,1,0.9,x\nb,2,0.5,x\nc,3,0.2,x\nd,4,0.1,x\n")
	// Scores 2.5, null and 5 against 1..4: 2/4, 4/4 and 4/4 of the pairs ranked right.
	out := write("out.csv", header+"e,2.5,0.3,x\nf,null,null,x\ng,5,0.01,x\n")
	for _, c := range []struct {
		column, want string
	}{{"score", "0.8333"}, {"p_value", "0.8333"}} {
		got := run(t, "auroc", "--column", c.column, "--bootstrap", "50", in, out)
		if !strings.Contains(got, out) || !strings.Contains(got, c.want) {
			t.Errorf("auroc --column %s:\n%s\nwant AUROC %s", c.column, got, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--column", "s_score", in, out}, `has no column "s_score"`},
		{[]string{in, write("bad.csv", header+"h,x,1,x\n")}, `line 2: score "x" is not a number`},
		{[]string{in, write("empty.csv", header)}, "has no rows"},
		{[]string{in, filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"--bootstrap", "1", in, out}, "at least 2 resamples"},
	} {
		_, err := runErr(append([]string{"auroc"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("auroc %v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

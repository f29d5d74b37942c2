package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/internal/race"

	"github.com/oodgpu/oodgpu/scorer"
)

// TestMain runs the test binary as the oodgpu command when OODGPU_TEST_CLI=1, so that a test can
// kill a real score run (with OODGPU_TEST_CHUNK images per chunk).
func TestMain(m *testing.M) {
	if os.Getenv("OODGPU_TEST_CLI") == "1" {
		if c, err := strconv.Atoi(os.Getenv("OODGPU_TEST_CHUNK")); err == nil {
			scoreChunk = c
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testCSV is a score CSV of a header and rows with awkward names (a comma, a quote, a newline,
// a name given twice), and the offset after each of its records, header first.
func testCSV(t *testing.T) (content string, ends []int, header []string) {
	t.Helper()
	header = scorer.CSVColumns
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	write := func(rec []string) {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		ends = append(ends, b.Len())
	}
	write(header)
	for _, name := range []string{"a.png", `b, "quoted".png`, "c\nd.png", "a.png", "e.png .. f.png"} {
		rec := make([]string, len(header))
		for i := range rec {
			rec[i] = "1.25"
		}
		rec[slices.Index(header, "input")] = name
		write(rec)
	}
	return b.String(), ends, header
}

// TestReadScoreCSVCutAnywhere cuts a score CSV at every byte and checks that exactly the complete
// records before the cut are kept and counted by name, the rest being a write cut short.
func TestReadScoreCSVCutAnywhere(t *testing.T) {
	content, ends, header := testCSV(t)
	names := []string{"a.png", `b, "quoted".png`, "c\nd.png", "a.png", "e.png .. f.png"}
	for cut := 0; cut <= len(content); cut++ {
		res, keep, err := readScoreCSV(strings.NewReader(content[:cut]), int64(cut), header)
		if err != nil {
			t.Fatalf("cut at %d of %d: %v", cut, len(content), err)
		}
		complete := 0 // records, header included, that end at or before the cut
		for complete < len(ends) && ends[complete] <= cut {
			complete++
		}
		wantKeep := 0
		if complete > 0 {
			wantKeep = ends[complete-1]
		}
		want := map[string]int{}
		for _, name := range names[:max(0, complete-1)] {
			want[name]++
		}
		if keep != int64(wantKeep) || res.header != (complete > 0) || res.rows != max(0, complete-1) || !equalCounts(res.done, want) {
			t.Fatalf("cut at %d: keep %d, header %v, %d rows %v; want %d, %v, %d rows %v",
				cut, keep, res.header, res.rows, res.done, wantKeep, complete > 0, max(0, complete-1), want)
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestReadScoreCSVRefuses checks that a file that is not score's CSV is refused, not truncated.
func TestReadScoreCSVRefuses(t *testing.T) {
	content, ends, header := testCSV(t)
	body := content[ends[0]:]
	cases := []struct {
		name, content, want string
	}{
		{"other header", "input,nll\n" + body, "header"},
		{"short row", content[:ends[1]] + "x.png,1\n" + content[ends[1]:], "line 3: 2 fields"},
		{"bare quote", content[:ends[1]] + "x\"y.png\n" + content[ends[1]:], "bare"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readScoreCSV(strings.NewReader(c.content), int64(len(c.content)), header)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one with %q", err, c.want)
			}
		})
	}
	// openResume refuses such a file and leaves it as it was.
	path := filepath.Join(t.TempDir(), "other.csv")
	if err := os.WriteFile(path, []byte(cases[0].content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openResume(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("openResume of another CSV: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != cases[0].content {
		t.Fatalf("the refused file changed: %q, %v", b, err)
	}
}

// TestOpenResumeCutsLastLine checks that openResume cuts off a last line cut short and leaves the
// file open for writing after the last complete row.
func TestOpenResumeCutsLastLine(t *testing.T) {
	content, ends, _ := testCSV(t)
	path := filepath.Join(t.TempDir(), "scores.csv")
	if err := os.WriteFile(path, []byte(content[:ends[2]+5]), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.rows != 2 || !r.header {
		t.Fatalf("%d rows, header %v; want 2 and a header", r.rows, r.header)
	}
	if _, err := r.f.WriteString("next\n"); err != nil {
		t.Fatal(err)
	}
	if err := r.f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != content[:ends[2]]+"next\n" {
		t.Fatalf("file %q, %v; want the complete rows, then what was written", b, err)
	}
}

// TestPlanScores checks which groups a resumed run skips: one per row of that name, first come
// first skipped, with groups of B named as scorer names them.
func TestPlanScores(t *testing.T) {
	a := &scoreInput{arg: "a", n: 6}
	b := &scoreInput{arg: "b", n: 1}
	spans, images, unmatched := planScores([]*scoreInput{a, b, a}, 1, map[string]int{"a#1": 2, "b": 1, "a#4": 1, "z": 3})
	want := []scoreSpan{{a, 0, 1}, {a, 2, 4}, {a, 5, 6}, {a, 0, 1}, {a, 2, 6}}
	if images != 9 || unmatched != 3 || !slices.Equal(spans, want) {
		t.Errorf("B=1: %v, %d images, %d unmatched; want %v, 9, 3", spans, images, unmatched, want)
	}
	spans, images, unmatched = planScores([]*scoreInput{a, a}, 3, map[string]int{"a#3 .. a#5": 1})
	want = []scoreSpan{{a, 0, 3}, {a, 0, 6}}
	if images != 9 || unmatched != 0 || !slices.Equal(spans, want) {
		t.Errorf("B=3: %v, %d images, %d unmatched; want %v, 9, 0", spans, images, unmatched, want)
	}
}

// resumeInputs writes a folder of folderN MNIST test digits as PNG files and returns score
// inputs of n images in all: the folder, specN FashionMNIST test images, the folder again (its
// rows named as the first time) and one image file, with n = 2 folderN + specN + 1.
func resumeInputs(t *testing.T, folderN, specN int) []string {
	t.Helper()
	datatest.FashionMNIST(t)
	sp, err := data.ParseSpec(fmt.Sprintf("mnist:test[:%d]", folderN))
	if err != nil {
		t.Fatal(err)
	}
	digits, err := data.Load(sp, data.Options{})
	if err != nil {
		datatest.Missing(t, err.Error())
	}
	dir := filepath.Join(t.TempDir(), "digits")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range digits.N {
		pix, err := digits.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		img := &image.Gray{Pix: pix, Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		writePNG(t, filepath.Join(dir, fmt.Sprintf("digit-%05d.png", i)), img)
	}
	return []string{dir, fmt.Sprintf("fashionmnist:test[:%d]", specN), dir, filepath.Join("..", "..", "examples", "mnist-test-0.png")}
}

// runCLI runs oodgpu with args under ctx and returns its standard output and error output.
func runCLI(ctx context.Context, args ...string) (string, string, error) {
	root := newRootCmd()
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// lines counts the complete lines of the file at path (none when it cannot be read).
func lines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// sameCSV fails t unless got is want, saying where they first differ.
func sameCSV(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Fatalf("%d lines, want %d; line %d is\n%s\nwant\n%s", len(g), len(w), i+1, g[i], w[i])
		}
	}
	t.Fatalf("%d lines, want %d", len(g), len(w))
}

// TestScoreResumeAfterKill scores inputs of n images (100, 50 under the race detector, or
// $OODGPU_RESUME_IMAGES: CI runs the 2000 of issue 19) with --resume three times: killed (SIGKILL, perhaps within a line) once some
// chunks are written, stopped (a cancelled context, as Ctrl-C does) after more, then to the end.
// The file must then be exactly an uninterrupted run's CSV: every row once, in order, with the
// same numbers.
func TestScoreResumeAfterKill(t *testing.T) {
	n := 100
	if race.Enabled {
		n = 50
	}
	if s := os.Getenv("OODGPU_RESUME_IMAGES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 50 {
			t.Fatalf("OODGPU_RESUME_IMAGES=%q: want an image count of at least 50", s)
		}
	}
	inputs := resumeInputs(t, 2*n/5, n-2*(2*n/5)-1)
	chunk := n / 10
	defer func(c int) { scoreChunk = c }(scoreChunk)
	scoreChunk = chunk

	start := time.Now()
	want := run(t, append([]string{"score", "--device", "cpu", "--format", "csv"}, inputs...)...)
	if rows := strings.Count(want, "\n") - 1; rows != n {
		t.Fatalf("the uninterrupted run wrote %d rows, want %d", rows, n)
	}
	t.Logf("%d images uninterrupted in %.1f s", n, time.Since(start).Seconds())
	out := filepath.Join(t.TempDir(), "scores.csv")
	args := append([]string{"score", "--device", "cpu", "--resume", out}, inputs...)

	// Killed once at least two chunks are in the file.
	child := exec.Command(os.Args[0], args...)
	child.Env = append(os.Environ(), "OODGPU_TEST_CLI=1", "OODGPU_TEST_CHUNK="+strconv.Itoa(chunk))
	var childErr bytes.Buffer
	child.Stderr = &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	for lines(out) < 1+2*chunk {
		select {
		case err := <-exited:
			t.Fatalf("the run to kill ended first: %v\n%s", err, childErr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	killed := lines(out) - 1
	if killed >= n {
		t.Fatalf("the killed run wrote all %d rows", killed)
	}

	// Stopped once two more chunks are in the file.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for lines(out) < 1+killed+2*chunk && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, _, err := runCLI(ctx, args...)
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "the same command continues it") {
		t.Fatalf("the stopped run: %v", err)
	}
	stopped := lines(out) - 1
	if b, _ := os.ReadFile(out); stopped >= n || !bytes.HasSuffix(b, []byte("\n")) {
		t.Fatalf("the stopped run left %d rows of %d, or a line cut short", stopped, n)
	}

	// To the end.
	if _, stderr, err := runCLI(context.Background(), args...); err != nil || !strings.Contains(stderr, fmt.Sprintf("%d images left to score", n-stopped)) {
		t.Fatalf("the last run: %v\n%s", err, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sameCSV(t, string(got), want)
	t.Logf("killed after %d rows, stopped after %d, %d in all; %.1f s in all", killed, stopped, n, time.Since(start).Seconds())
}

// TestScoreResumeGroups resumes a --batch 5 CSV cut within a line: groups are skipped by their
// "FIRST .. LAST" names, an input given twice keeps both its rows, and --progress draws a bar.
func TestScoreResumeGroups(t *testing.T) {
	inputs := resumeInputs(t, 10, 10)[:3] // digits, shoes, the digits again: two groups each
	defer func(c int) { scoreChunk = c }(scoreChunk)
	scoreChunk = 12 // rounded down to 10: chunks of two groups
	want := run(t, append([]string{"score", "--device", "cpu", "--batch", "5", "--format", "csv"}, inputs...)...)
	if rows := strings.Count(want, "\n") - 1; rows != 6 || !strings.Contains(want, "digit-00005.png .. ") {
		t.Fatalf("uninterrupted: %q", want)
	}
	out := filepath.Join(t.TempDir(), "groups.csv")
	rows := strings.SplitAfter(want, "\n")
	cut := strings.Join(rows[:3], "") + rows[3][:len(rows[3])/2] // header, two rows, half a row
	if err := os.WriteFile(out, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLI(context.Background(), append([]string{"score", "--device", "cpu", "--batch", "5", "--progress", "--resume", out}, inputs...)...)
	if err != nil || !strings.Contains(stderr, "holds 2 rows; 20 images left to score") || !strings.Contains(stderr, "scoring") {
		t.Fatalf("resumed: %v\n%s", err, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sameCSV(t, string(got), want)
}

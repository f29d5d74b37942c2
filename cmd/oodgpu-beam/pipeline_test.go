package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/internal/race"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// The pipelines run on Prism (beamx's default runner), its workers in this process.
func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	if dir := os.Getenv(tooFewChildEnv); dir != "" {
		fitTooFew(dir)
		os.Exit(0)
	}
	code := m.Run()
	if fix.root != "" {
		_ = os.RemoveAll(fix.root)
	}
	os.Exit(code)
}

// fixture is what the pipeline tests share: a folder of test images and the oodgpu CLI built
// from this repository.
type fixture struct {
	root   string // the folder of everything below, removed by TestMain
	dir    string // n FashionMNIST and n MNIST test images as PNG files (imagesPerSet)
	small  string // the first 20 of them
	oodgpu string // the oodgpu binary
	model  string // the embedded default model as a file, for oodgpu fit
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

// imagesPerSet is how many FashionMNIST and how many MNIST test images the pipeline tests
// score and fit on: 50 each (25 under the race detector), or $OODGPU_BEAM_IMAGES each (CI runs
// 1000 each).
func imagesPerSet() (int, error) {
	s := os.Getenv("OODGPU_BEAM_IMAGES")
	if s == "" && race.Enabled {
		return 25, nil
	}
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 20 || n > 5000 {
		return 0, fmt.Errorf("OODGPU_BEAM_IMAGES=%q: want an image count per set from 20 to 5000", s)
	}
	return n, nil
}

// setup makes the fixture once per test binary, or skips the test when the data sets are
// missing (failing under OODGPU_REQUIRE_DATA=1).
func setup(t *testing.T) fixture {
	t.Helper()
	fashion := datatest.FashionMNIST(t)
	fixOnce.Do(func() { fix, fixErr = makeFixture(fashion) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// makeFixture writes the fixture's files into a new temporary folder, removed again on error.
func makeFixture(fashionDir string) (_ fixture, err error) {
	root, err := os.MkdirTemp("", "oodgpu-beam-test")
	if err != nil {
		return fixture{}, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(root)
		}
	}()
	f := fixture{root: root, dir: filepath.Join(root, "images"), small: filepath.Join(root, "small"), oodgpu: filepath.Join(root, "oodgpu"),
		model: filepath.Join(root, "default.safetensors")}
	for _, d := range []string{f.dir, f.small} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fixture{}, err
		}
	}
	n, err := imagesPerSet()
	if err != nil {
		return fixture{}, err
	}
	sets := []struct{ prefix, spec string }{{"fashion", fmt.Sprintf("fashionmnist:test[:%d]", n)}, {"mnist", fmt.Sprintf("mnist:test[:%d]", n)}}
	for _, s := range sets {
		sp, err := data.ParseSpec(s.spec)
		if err != nil {
			return fixture{}, err
		}
		set, err := data.Load(sp, data.Options{FashionMNISTDir: fashionDir})
		if err != nil {
			return fixture{}, fmt.Errorf("%s: %w", s.spec, err)
		}
		for i := range set.N {
			pix, err := set.Image(i)
			if err != nil {
				return fixture{}, err
			}
			img := &image.Gray{Pix: pix, Stride: set.Shape.W, Rect: image.Rect(0, 0, set.Shape.W, set.Shape.H)}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				return fixture{}, err
			}
			name := fmt.Sprintf("%s-%04d.png", s.prefix, i)
			if err := os.WriteFile(filepath.Join(f.dir, name), b.Bytes(), 0o644); err != nil {
				return fixture{}, err
			}
			if s.prefix == "fashion" && i < 20 {
				if err := os.WriteFile(filepath.Join(f.small, name), b.Bytes(), 0o644); err != nil {
					return fixture{}, err
				}
			}
		}
	}
	def, err := zoo.Default()
	if err != nil {
		return fixture{}, err
	}
	if err := weights.Save(f.model, def); err != nil {
		return fixture{}, err
	}
	// The CLI without cgo: the CPU executor, as the pipelines run here.
	build := exec.Command("go", "build", "-o", f.oodgpu, "./cmd/oodgpu")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fixture{}, fmt.Errorf("building oodgpu: %v\n%s", err, out)
	}
	return f, nil
}

// oodgpu runs the CLI and returns its stdout.
func (f fixture) run(t *testing.T, args ...string) []byte {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(f.oodgpu, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oodgpu %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	t.Logf("oodgpu %s: %.1f s", args[0], time.Since(start).Seconds())
	return out
}

// runPipeline builds c's pipeline and runs it on the default runner (Prism).
func runPipeline(t *testing.T, c command) {
	t.Helper()
	ctx := context.Background()
	p, err := c.pipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := beamx.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("pipeline: %.1f s", time.Since(start).Seconds())
}

// readCSV reads a CSV file's header and rows.
func readCSV(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v (%d records)", path, err, len(recs))
	}
	return recs[0], recs[1:]
}

// TestScorePipeline scores the folder's images, listed in a file with a corrupt and a missing
// image, and checks the rows against oodgpu score's on the folder, and the two bad images in the
// error output. The pipeline runs 16 images at a time, oodgpu 40: the rows do not depend on it.
func TestScorePipeline(t *testing.T) {
	f := setup(t)
	tmp := t.TempDir()
	names, err := data.ListImageDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	corrupt, missing := filepath.Join(tmp, "corrupt.png"), filepath.Join(tmp, "missing.png")
	good, err := os.ReadFile(filepath.Join(f.dir, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	list := []string{"# the test images", corrupt}
	for _, n := range names {
		list = append(list, filepath.Join(f.dir, n))
	}
	list = append(list, "", missing)
	listFile := filepath.Join(tmp, "uris.txt")
	if err := os.WriteFile(listFile, []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cliOut := f.run(t, "score", "--device", "cpu", "--format", "csv", f.dir)
	recs, err := csv.NewReader(bytes.NewReader(cliOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader, want := recs[0], recs[1:]

	out := filepath.Join(tmp, "scores")
	runPipeline(t, &scoreCmd{in: inputFlags{list: listFile, maxImageMB: 256, spec: modelSpec{Device: "cpu"}},
		output: out, shards: 3, batch: 16, seed: 1})
	var got [][]string
	shards, err := filepath.Glob(out + "-0*-of-00003.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range shards {
		header, rows := readCSV(t, path)
		if !slices.Equal(header, wantHeader) {
			t.Fatalf("%s: header %q, want oodgpu score's %q", path, header, wantHeader)
		}
		if !slices.IsSortedFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) }) {
			t.Errorf("%s: rows not sorted by input", path)
		}
		got = append(got, rows...)
	}
	byInput := func(a, b []string) int { return strings.Compare(a[0], b[0]) }
	slices.SortFunc(got, byInput)
	slices.SortFunc(want, byInput)
	if len(got) != len(want) {
		t.Fatalf("%d rows in %d shards, oodgpu score wrote %d", len(got), len(shards), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d:\n got  %q\n want %q", i, got[i], want[i])
		}
	}

	header, bad := readCSV(t, out+"-errors-00000-of-00001.csv")
	if !slices.Equal(header, errorColumns) || len(bad) != 2 || bad[0][0] != corrupt || bad[1][0] != missing {
		t.Fatalf("error output %q %q, want rows for %s and %s", header, bad, corrupt, missing)
	}
	for _, r := range bad {
		t.Logf("error row: %q", r)
	}
}

// TestFitPipeline fits detectors with the pipeline and with oodgpu fit on the same images and
// flags, and checks that they are the same: kept and dropped layers, means and variances to
// 1e-6 relative, typicality, fit scores and thresholds.
func TestFitPipeline(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		name, dir, complexity string
	}{
		{"combined brotli, all images", f.dir, "brotli"},
		{"gaussian, 20 images", f.small, noComplexity},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			cli, beamOut := filepath.Join(tmp, "cli.safetensors"), filepath.Join(tmp, "beam.safetensors")
			f.run(t, "fit", "--device", "cpu", "--model", f.model, "--data", "dir:"+c.dir, "--batch", "1,5",
				"--complexity", c.complexity, "--out", cli)
			runPipeline(t, &fitCmd{in: inputFlags{glob: filepath.Join(c.dir, "*.png"), maxImageMB: 256, spec: modelSpec{Device: "cpu"}},
				out: beamOut, batches: "1,5", recall: 0.95, seed: 1, compressor: c.complexity, maxScores: 100000})
			want, err := scorer.Load(cli)
			if err != nil {
				t.Fatal(err)
			}
			got, err := scorer.Load(beamOut)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Detectors) != len(want.Detectors) {
				t.Fatalf("%d detectors, oodgpu fit wrote %d", len(got.Detectors), len(want.Detectors))
			}
			for i, w := range want.Detectors {
				compareDetectors(t, got.Detectors[i], w)
			}
			if !slices.Equal(got.File.Names(), want.File.Names()) || got.File.Half != want.File.Half {
				t.Fatalf("tensors %q (half %v), oodgpu fit's %q (%v)", got.File.Names(), got.File.Half, want.File.Names(), want.File.Half)
			}
			for _, n := range want.File.Names() {
				if !slices.Equal(got.File.Tensors[n].Data, want.File.Tensors[n].Data) {
					t.Errorf("tensor %s differs from oodgpu fit's", n)
				}
			}
		})
	}
}

// compareDetectors checks got against want (see TestFitPipeline).
func compareDetectors(t *testing.T, got, want *ood.Detector) {
	t.Helper()
	b := want.GroupSize
	if got.GroupSize != b || got.FitRows != want.FitRows || got.Recall != want.Recall || got.Seed != want.Seed || got.Model() != want.Model() {
		t.Fatalf("B=%d: group size %d, %d fit rows, recall %v, seed %d, model %s; want %d, %d, %v, %d, %s", b,
			got.GroupSize, got.FitRows, got.Recall, got.Seed, got.Model(), b, want.FitRows, want.Recall, want.Seed, want.Model())
	}
	g, w := got.Gaussian, want.Gaussian
	if !slices.Equal(g.Layers, w.Layers) || !slices.Equal(g.Keep, w.Keep) || !slices.Equal(g.Dropped, w.Dropped) {
		t.Fatalf("B=%d: kept %v dropped %q, oodgpu fit kept %v dropped %q", b, g.Keep, g.Dropped, w.Keep, w.Dropped)
	}
	var diffs []string
	near := func(what string, x, y []float64, tol float64) {
		t.Helper()
		if len(x) != len(y) {
			t.Fatalf("B=%d: %s: %d values, want %d", b, what, len(x), len(y))
		}
		worst := 0.0
		for i := range x {
			d := 0.0
			if x[i] != y[i] {
				d = math.Abs(x[i]-y[i]) / max(math.Abs(y[i]), 1e-300)
			}
			worst = max(worst, d)
			if !(d <= tol) {
				t.Errorf("B=%d: %s[%d] = %v, oodgpu fit's %v (relative difference %.2g)", b, what, i, x[i], y[i], d)
			}
		}
		diffs = append(diffs, fmt.Sprintf("%s %.2g", what, worst))
	}
	near("mean", g.Mean, w.Mean, 1e-6)
	near("var", g.Var, w.Var, 1e-6)
	near("typicality", []float64{got.Typicality.H}, []float64{want.Typicality.H}, 1e-9)
	near("fit scores", got.FitScores, want.FitScores, 1e-6)
	near("threshold", []float64{got.Threshold}, []float64{want.Threshold}, 1e-6)
	if (got.Complexity == nil) != (want.Complexity == nil) {
		t.Fatalf("B=%d: complexity term %v, oodgpu fit's %v", b, got.Complexity, want.Complexity)
	}
	if c := want.Complexity; c != nil {
		if got.Complexity.Compressor != c.Compressor {
			t.Errorf("B=%d: compressor %q, want %q", b, got.Complexity.Compressor, c.Compressor)
		}
		near("gradient fit scores", got.Complexity.GradientFitScores, c.GradientFitScores, 1e-6)
		near("S fit scores", got.Complexity.SFitScores, c.SFitScores, 1e-9)
	}
	t.Logf("B=%d: %d rows, %d of %d layers kept; largest relative differences from oodgpu fit: %s (fit data %q, oodgpu's %q)",
		b, got.FitRows, len(g.Keep), len(g.Layers), strings.Join(diffs, ", "), got.FitData, want.FitData)
}

// TestFitTooFewImages checks that a fit on fewer than two groups of images fails with a message
// saying so.
func TestFitTooFewImages(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	names, err := data.ListImageDir(f.small)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names[:7] {
		b, err := os.ReadFile(filepath.Join(f.small, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The failing job runs in a child process: when a job fails, Beam's harness (2.77.0,
	// harness.go) can close its response channel while a bundle's goroutine sends on it, a
	// race in Beam's code that the race detector would charge to this test.
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), tooFewChildEnv+"="+dir)
	out, err := child.CombinedOutput()
	if !strings.Contains(string(out), "pipeline error: ") || !strings.Contains(string(out), "7 images, too few for groups of 5") {
		t.Fatalf("fit on 7 images (child exit %v): output %q, want an error saying they are too few", err, out)
	}
	if strings.Contains(string(out), "WARNING: DATA RACE") {
		t.Log("Beam's harness raced while shutting the failed job down (in Beam's code, not oodgpu's)")
	}
}

// tooFewChildEnv names the folder of images TestFitTooFewImages's child fits on.
const tooFewChildEnv = "OODGPU_BEAM_TOO_FEW_DIR"

// fitTooFew runs the fit pipeline on the images of dir with groups of 1 and 5, printing the
// pipeline's error, for TestFitTooFewImages's child process.
func fitTooFew(dir string) {
	ctx := context.Background()
	p, err := (&fitCmd{in: inputFlags{glob: filepath.Join(dir, "*.png"), maxImageMB: 256, spec: modelSpec{Device: "cpu"}},
		out: filepath.Join(dir, "m.safetensors"), batches: "1,5", recall: 0.95, seed: 1, compressor: noComplexity, maxScores: 100}).pipeline(ctx)
	if err != nil {
		fmt.Println("building the pipeline:", err)
		return
	}
	fmt.Println("pipeline error:", beamx.Run(ctx, p))
}

// TestFitQuantileGrid fits with fewer fit scores kept than fit rows at B = 1: its lists are
// quantile grids, and the weight file is still valid.
func TestFitQuantileGrid(t *testing.T) {
	f := setup(t)
	out := filepath.Join(t.TempDir(), "grid.safetensors")
	runPipeline(t, &fitCmd{in: inputFlags{glob: filepath.Join(f.small, "*.png"), maxImageMB: 256, spec: modelSpec{Device: "cpu"}},
		out: out, batches: "1,5", recall: 0.95, seed: 1, compressor: "brotli", maxScores: 8})
	m, err := scorer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Detectors {
		want := map[int]int{1: 8, 5: 4}[d.GroupSize] // 20 rows at B = 1 and 4 at B = 5
		if d.FitRows != want || len(d.FitScores) != want || len(d.Complexity.SFitScores) != want {
			t.Errorf("B=%d: %d fit rows, %d fit scores, %d S fit scores; want %d", d.GroupSize, d.FitRows, len(d.FitScores),
				len(d.Complexity.SFitScores), want)
		}
	}
}

// TestRunUsage checks the command line errors found before a pipeline is built.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"bogus"}, `unknown command "bogus"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(stderr.String(), "usage: oodgpu-beam fit|score") {
			t.Errorf("run %q: error %v, stderr %q; want %q and the usage", c.args, err, stderr.String(), c.want)
		}
	}
}

func TestQuantileGrid(t *testing.T) {
	ten := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, c := range []struct {
		name string
		in   []float64
		k    int
		want []float64
	}{
		{"short list kept", ten, 10, ten},
		{"halves", ten, 2, []float64{2, 7}},
		{"fifths", ten, 5, []float64{1, 3, 5, 7, 9}},
		{"one", ten, 1, []float64{5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := quantileGrid(c.in, c.k); !slices.Equal(got, c.want) {
				t.Errorf("quantileGrid(%v, %d) = %v, want %v", c.in, c.k, got, c.want)
			}
		})
	}
}

// TestCommandErrors checks that bad flags stop a command before its pipeline is built.
func TestCommandErrors(t *testing.T) {
	in := inputFlags{glob: "*.png", maxImageMB: 256, spec: modelSpec{Device: "cpu"}}
	for _, c := range []struct {
		name string
		cmd  command
		want string
	}{
		{"no input", &scoreCmd{in: inputFlags{maxImageMB: 256, spec: modelSpec{Device: "cpu"}}, output: "x", shards: 1, batch: 1}, "exactly one of"},
		{"two inputs", &scoreCmd{in: inputFlags{glob: "a", list: "b", maxImageMB: 256, spec: modelSpec{Device: "cpu"}}, output: "x", shards: 1, batch: 1}, "exactly one of"},
		{"bad device", &scoreCmd{in: inputFlags{glob: "a", maxImageMB: 256, spec: modelSpec{Device: "tpu"}}, output: "x", shards: 1, batch: 1}, "--device"},
		{"no output", &scoreCmd{in: in, shards: 1, batch: 1}, "--output"},
		{"bad alpha", &scoreCmd{in: in, output: "x", shards: 1, batch: 1, alpha: 2}, "--alpha"},
		{"missing model", &scoreCmd{in: inputFlags{glob: "a", maxImageMB: 256, spec: modelSpec{Model: "/nonexistent.safetensors", Device: "cpu"}}, output: "x", shards: 1, batch: 1}, "--model"},
		{"no out", &fitCmd{in: in, batches: "1", recall: 0.9, maxScores: 10}, "--out"},
		{"bad recall", &fitCmd{in: in, out: "m", batches: "1", recall: 1, maxScores: 10}, "--recall"},
		{"bad batch", &fitCmd{in: in, out: "m", batches: "0", recall: 0.9, maxScores: 10}, "--batch"},
		{"bad complexity", &fitCmd{in: in, out: "m", batches: "1", recall: 0.9, compressor: "zip", maxScores: 10}, "--complexity"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.cmd.pipeline(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one about %s", err, c.want)
			}
		})
	}
}

package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oodgpu/oodgpu/app"
	"github.com/oodgpu/oodgpu/scorer"
)

// runErr executes the CLI with args and returns its standard output and error.
func runErr(args ...string) (string, error) {
	root := newRootCmd()
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// writePNG writes img as a PNG file at path.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFlagsCheckedBeforeWork checks that bad flags and inputs are refused with a message naming
// them before any image is scored, any data set loaded or any memory allocated for them: each
// case would otherwise take seconds to minutes, load FashionMNIST or exhaust memory.
func TestFlagsCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.png")
	if err := os.WriteFile(junk, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	grey := filepath.Join(dir, "grey.png")
	writePNG(t, grey, image.NewGray(image.Rect(0, 0, 8, 8)))
	big := filepath.Join(dir, "big.png") // 4 MB of RGBA pixels, a few KB of file
	writePNG(t, big, image.NewRGBA(image.Rect(0, 0, 1024, 1024)))
	model := filepath.Join("..", "..", "models", "zoo", "glow-fashionmnist.safetensors")
	out := filepath.Join(dir, "m.safetensors")
	// Training data that does not exist: a flag checked after loading would fail on it instead.
	noData := []string{"--data", "dir:" + filepath.Join(dir, "absent")}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"score format", []string{"score", "--format", "xml", "examples/mnist-test-0.png"}, "--format"},
		{"score batch", []string{"score", "--batch", "0", "examples/mnist-test-0.png"}, "--batch 0"},
		{"score alpha", []string{"score", "--alpha", "1", "examples/mnist-test-0.png"}, "--alpha 1"},
		{"score alpha NaN", []string{"score", "--alpha", "NaN", "examples/mnist-test-0.png"}, "--alpha NaN"},
		{"score image budget", []string{"score", "--device", "cpu", "--max-image-mb", "1", big}, "--max-image-mb"},
		{"score image budget flag", []string{"score", "--max-image-mb", "0", big}, "--max-image-mb 0"},
		{"score resume format", []string{"score", "--resume", filepath.Join(dir, "r.csv"), "--format", "json", "examples/mnist-test-0.png"}, "--resume writes CSV"},
		{"score bad input last", []string{"score", "--device", "cpu", "../../examples/mnist-test-0.png", "../../examples/mnist-test-1.png", junk}, "junk.png"},
		{"sample count", []string{"sample", "--device", "cpu", "--n", "100000000", "--out", filepath.Join(dir, "g.png")}, "100000000 images"},
		{"sample scale", []string{"sample", "--device", "cpu", "--n", "4", "--scale", "100000", "--out", filepath.Join(dir, "g.png")}, "--scale 100000"},
		{"sample temperature", []string{"sample", "--device", "cpu", "--temperature", "NaN", "--out", filepath.Join(dir, "g.png")}, "temperature"},
		{"train hidden", append([]string{"train", "--device", "cpu", "--hidden", "1000000000", "--out", out}, noData...), "idden"},
		{"train levels", append([]string{"train", "--device", "cpu", "--levels", "64", "--out", out}, noData...), "levels"},
		{"train ddpm hidden", append([]string{"train", "--device", "cpu", "--model", "ddpm", "--hidden", "1000000000", "--out", out}, noData...), "ase"},
		{"train batch 0", append([]string{"train", "--device", "cpu", "--batch", "0", "--out", out}, noData...), "batch 0"},
		{"train ema 1", append([]string{"train", "--device", "cpu", "--ema", "1", "--out", out}, noData...), "moving-average decay 1"},
		{"train batch -3", append([]string{"train", "--device", "cpu", "--batch", "-3", "--out", out}, noData...), "batch -3"},
		{"train epochs -1", append([]string{"train", "--device", "cpu", "--epochs", "-1", "--out", out}, noData...), "epochs -1"},
		{"train epochs NaN", append([]string{"train", "--device", "cpu", "--epochs", "NaN", "--out", out}, noData...), "epochs NaN"},
		{"train out folder", append([]string{"train", "--device", "cpu", "--out", dir + "/"}, noData...), "names a folder"},
		{"fit duplicate B", []string{"fit", "--device", "cpu", "--model", model, "--batch", "1,1", "--out", out}, "given twice"},
		{"fit out folder", []string{"fit", "--device", "cpu", "--model", model, "--out", dir + "/"}, "names a folder"},
		{"fit recall", []string{"fit", "--device", "cpu", "--model", model, "--recall", "1.5", "--out", out}, "--recall"},
		{"fit detector", []string{"fit", "--device", "cpu", "--model", model, "--detector", "svm", "--out", out}, `--detector "svm": want gaussian or ocsvm`},
		{"fit nu", []string{"fit", "--device", "cpu", "--model", model, "--detector", "ocsvm", "--nu", "2", "--out", out}, "--nu 2"},
		{"fit nu without ocsvm", []string{"fit", "--device", "cpu", "--model", model, "--nu", "0.1", "--out", out}, "--nu applies to --detector ocsvm"},
		{"bench detector", []string{"bench", "--device", "cpu", "--detector", "svm"}, `--detector "svm"`},
		{"bench ocsvm rows", []string{"bench", "--device", "cpu", "--detector", "ocsvm", "--fit-n", "5000", "--batch", "1"}, "fits at most 4096 rows"},
		{"hsv grey", []string{"hsv", grey}, "grey"},
		{"hsv size", []string{"hsv", "--size", "0", grey}, "--size 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, err := runErr(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("oodgpu %s: error %v, want one mentioning %q", strings.Join(c.args, " "), err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			if stdout != "" {
				t.Errorf("printed %q before refusing", stdout)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused command wrote %s (%v)", out, err)
	}
}

// scoreJSON scores args with the default model on the CPU and decodes the JSON rows.
func scoreJSON(t *testing.T, args ...string) []scorer.Row {
	t.Helper()
	out := run(t, append([]string{"score", "--device", "cpu", "--format", "json"}, args...)...)
	var rows []scorer.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("score json %q: %v", out, err)
	}
	return rows
}

// TestScoreDependsOnlyOnImage checks that an image's scores do not depend on the images scored
// with it or on how it was named (a path, a folder entry, a file: spec), that folder rows carry
// file names, and that file: and noise: specs are preprocessed like plain files.
func TestScoreDependsOnlyOnImage(t *testing.T) {
	dir := t.TempDir()
	digit, err := os.ReadFile(filepath.Join("..", "..", "examples", "mnist-test-0.png"))
	if err != nil {
		t.Fatal(err)
	}
	shoe, err := os.ReadFile(filepath.Join("..", "..", "examples", "fashionmnist-test-0.png"))
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"a-shoe.png": shoe, "b-digit.png": digit} {
		if err := os.WriteFile(filepath.Join(folder, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	alone := filepath.Join(dir, "digit.png")
	if err := os.WriteFile(alone, digit, 0o644); err != nil {
		t.Fatal(err)
	}
	// A colour 64x48 PNG: file: must bring it to the model's shape as a plain path does.
	colour := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(colour.Pix); i += 4 {
		colour.Pix[i], colour.Pix[i+1], colour.Pix[i+3] = uint8(i), 90, 255
	}
	colour.Set(3, 3, color.RGBA{B: 255, A: 255})
	wide := filepath.Join(dir, "wide.png")
	writePNG(t, wide, colour)

	rows := scoreJSON(t, alone, folder, "file:"+alone, wide, "file:"+wide, "noise:uniform[:2]")
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	wantNames := []string{alone, filepath.Join(folder, "a-shoe.png"), filepath.Join(folder, "b-digit.png"), "file:" + alone, wide, "file:" + wide}
	for i, want := range wantNames {
		if rows[i].Input != want {
			t.Errorf("row %d is named %q, want %q", i, rows[i].Input, want)
		}
	}
	same := func(what string, a, b scorer.Row) {
		t.Helper()
		if a.NLL != b.NLL || a.Score != b.Score {
			t.Errorf("%s: NLL %v and %v, score %v and %v", what, a.NLL, b.NLL, a.Score, b.Score)
		}
	}
	same("alone and second in a folder", rows[0], rows[2])
	same("path and file: spec", rows[0], rows[3])
	same("colour path and file: spec", rows[4], rows[5])
	if rows[1].NLL == rows[2].NLL {
		t.Errorf("a shoe and a digit score the same NLL %v", rows[1].NLL)
	}
	for _, r := range rows[6:] {
		if !strings.HasPrefix(r.Input, "noise:uniform[:2]#") || r.Verdict != scorer.OOD {
			t.Errorf("noise row %s: verdict %s, want OOD", r.Input, r.Verdict)
		}
	}
}

// TestServeFlags checks how serve's flags become the server's options: --queue 0 lets none
// wait, --max-image-mb sets the decoding budget, and bad values are refused.
func TestServeFlags(t *testing.T) {
	good := serveFlags{uploadMB: 64, timeout: time.Minute, queue: 4, maxImageMB: 256}
	cases := []struct {
		name      string
		edit      func(f *serveFlags)
		want      string // error text; "" for none
		wantQueue int
		wantMB    int64
	}{
		{"defaults", func(*serveFlags) {}, "", 4, 256},
		{"no queue", func(f *serveFlags) { f.queue = 0 }, "", -1, 256},
		{"image budget", func(f *serveFlags) { f.maxImageMB = 10 }, "", 4, 10},
		{"zero image budget", func(f *serveFlags) { f.maxImageMB = 0 }, "--max-image-mb 0", 0, 0},
		{"negative timeout", func(f *serveFlags) { f.timeout = -time.Second }, "--timeout", 0, 0},
		{"negative queue", func(f *serveFlags) { f.queue = -1 }, "--queue", 0, 0},
		{"zero upload", func(f *serveFlags) { f.uploadMB = 0 }, "--max-upload-mb", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := good
			c.edit(&f)
			var o app.Options
			err := f.options(&o)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("options: %v, want an error with %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.MaxQueue != c.wantQueue || o.DecodeLimits.MaxPixelBytes != c.wantMB<<20 {
				t.Fatalf("queue %d, image budget %d; want %d, %d MB", o.MaxQueue, o.DecodeLimits.MaxPixelBytes, c.wantQueue, c.wantMB)
			}
		})
	}
}

//go:build !js

package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/internal/chromium"
	"github.com/oodgpu/oodgpu/scorer"
)

// The images the end-to-end tests upload: a FashionMNIST test image the default detector
// accepts and an MNIST test image it flags (both checked natively first).
var (
	inImage  = filepath.Join("..", "examples", "fashionmnist-test-0.png")
	oodImage = filepath.Join("..", "examples", "mnist-test-1.png")
)

var (
	buildOnce sync.Once
	webDir    string
	buildErr  error
)

// buildWasm compiles the app once per test binary, as `make wasm` does.
func buildWasm(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		webDir, buildErr = os.MkdirTemp("", "oodgpu-web-")
		if buildErr != nil {
			return
		}
		start := time.Now()
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", WasmPath(webDir), "../wasm")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building app.wasm: %v\n%s", err, out)
			return
		}
		fi, err := os.Stat(WasmPath(webDir))
		if err != nil {
			buildErr = err
			return
		}
		t.Logf("app.wasm: %d bytes raw, %d gzipped, built in %.0f s", fi.Size(), gzipSize(t, WasmPath(webDir)), time.Since(start).Seconds())
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return webDir
}

func gzipSize(t *testing.T, path string) int {
	out, err := exec.Command("gzip", "-c", "-9", path).Output()
	if err != nil {
		t.Logf("gzip: %v", err)
		return -1
	}
	return len(out)
}

var routesOnce sync.Once

// startServer serves the app as `oodgpu serve` does, with the embedded model.
func startServer(t *testing.T, webDir string) *httptest.Server {
	t.Helper()
	routesOnce.Do(Routes)
	m, b := defaultModelAndBytes(t)
	h, err := NewServer(Options{WebDir: webDir, Model: m, ModelBytes: b, Exec: cpu.New()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// nativeScores scores files one by one as `oodgpu score FILE...` does: CPU executor, B = 1,
// seed 1.
func nativeScores(t *testing.T, files ...string) []scorer.Row {
	t.Helper()
	m, _ := defaultModelAndBytes(t)
	var rows []scorer.Row
	for _, file := range files {
		set, err := data.LoadImageFile(file, m.ImageShape())
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Score(context.Background(), cpu.New(), set, []string{file}, 1, Seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	return rows
}

// pageRow is what a result row of the score page carries in its data attributes.
type pageRow struct {
	Name    string `json:"name"`
	NLL     string `json:"nll"`
	Score   string `json:"score"`
	Verdict string `json:"verdict"`
	Error   string `json:"error"`
	Ms      string `json:"ms"`
}

const readRows = `JSON.stringify([...document.querySelectorAll("tr.result")].map(r => r.dataset))`

// scoreInBrowser opens the score page, waits for the model, uploads files and returns the rows,
// the backend line, and timings.
func scoreInBrowser(t *testing.T, ctx context.Context, url string, files ...string) (rows []pageRow, backend string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	ready, err := chromedp.Run(ctx, chromedp.Poll[float64](
		`document.querySelector("#status") && document.querySelector("#status").textContent.startsWith("Ready") && performance.now()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(3*time.Minute)))
	if err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("the page did not get ready: %v; page text: %q", err, status)
	}
	backend, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#backend").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	abs := make([]string, len(files))
	for i, f := range files {
		if abs[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	upload := time.Now()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), abs)); err != nil {
		t.Fatalf("uploading: %v", err)
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll("tr.result").length >= %d`, len(files)),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for %d results: %v; page text: %q", len(files), err, text)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](readRows))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		t.Fatalf("rows %s: %v", raw, err)
	}
	first := rows[0].Ms
	t.Logf("%s: ready (wasm started, model loaded) %.0f ms after navigation; first score %s ms after navigation; %d images scored %.1f s after upload",
		backend, ready, first, len(files), time.Since(upload).Seconds())
	return rows, backend
}

// saveScreenshot writes a PNG of the page under $OODGPU_ARTIFACTS (default: the system's
// temporary folder) and logs where.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	dir := os.Getenv("OODGPU_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "oodgpu-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// TestScorePageInBrowser uploads a FashionMNIST and an MNIST image to the score page in headless
// Chromium, on WebGPU (SwiftShader where there is no GPU) and on the CPU fallback, and checks
// that the page flags the MNIST one with the numbers `oodgpu score` gives.
func TestScorePageInBrowser(t *testing.T) {
	chromium.Path(t)
	want := nativeScores(t, inImage, oodImage)
	if want[0].Verdict != scorer.InDistribution || want[1].Verdict != scorer.OOD {
		t.Fatalf("natively, %s is %s and %s is %s: the examples no longer fit this test", inImage, want[0].Verdict, oodImage, want[1].Verdict)
	}
	srv := startServer(t, buildWasm(t))
	for _, c := range []struct {
		name        string
		webgpu      bool
		wantBackend string
	}{
		{"webgpu", true, "WebGPU: "},
		{"cpu-fallback", false, "CPU fallback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := chromium.Start(t, c.webgpu)
			rows, backend := scoreInBrowser(t, ctx, srv.URL+"/", inImage, oodImage)
			if !strings.Contains(backend, c.wantBackend) {
				t.Errorf("backend line %q, want it to name %q", backend, c.wantBackend)
			}
			saveScreenshot(t, ctx, "score-page-"+c.name+".png")
			for i, r := range rows {
				if r.Error != "" {
					t.Errorf("%s: %s", r.Name, r.Error)
					continue
				}
				if r.Name != filepath.Base([]string{inImage, oodImage}[i]) {
					t.Errorf("row %d is %q", i, r.Name)
				}
				checkClose(t, r.Name+" gradient score", r.Score, want[i].Score)
				checkClose(t, r.Name+" NLL", r.NLL, want[i].NLL)
				if r.Verdict != want[i].Verdict {
					t.Errorf("%s: verdict %q in the browser, %q natively", r.Name, r.Verdict, want[i].Verdict)
				}
			}
		})
	}
}

// checkClose fails unless the browser's value is within 1e-3 relative of the native one.
func checkClose(t *testing.T, what, got string, want float64) {
	t.Helper()
	var g float64
	if _, err := fmt.Sscan(got, &g); err != nil {
		t.Errorf("%s: %q is not a number", what, got)
		return
	}
	if math.Abs(g-want) > 1e-3*math.Abs(want) {
		t.Errorf("%s: %.6g in the browser, %.6g natively", what, g, want)
	} else {
		t.Logf("%s: %.6g in the browser, %.6g natively", what, g, want)
	}
}

// TestBadFilesInBrowser drops a text file and a truncated PNG: each gets a clear message and
// the valid image beside them is still scored.
func TestBadFilesInBrowser(t *testing.T) {
	chromium.Path(t)
	srv := startServer(t, buildWasm(t))
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(inImage)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.png")
	if err := os.WriteFile(truncated, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, hugePNGHeader(t, 20000, 20000), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := chromium.Start(t, false)
	rows, _ := scoreInBrowser(t, ctx, srv.URL+"/?backend=cpu", text, truncated, huge, inImage)
	for _, r := range rows[:3] {
		if !strings.Contains(r.Error, "not a usable image") {
			t.Errorf("%s: message %q, want one saying it is not a usable image", r.Name, r.Error)
		}
	}
	if !strings.Contains(rows[2].Error, "20000x20000") {
		t.Errorf("huge image: message %q, want its size named", rows[2].Error)
	}
	if rows[3].Error != "" || rows[3].Score == "" {
		t.Errorf("%s beside the bad files: %+v", rows[3].Name, rows[3])
	}
}

// TestDropInBrowser drops a file on the drop zone, as a user dragging an image onto the page
// does, and checks its score against `oodgpu score`.
func TestDropInBrowser(t *testing.T) {
	chromium.Path(t)
	want := nativeScores(t, inImage)
	srv := startServer(t, buildWasm(t))
	b, err := os.ReadFile(inImage)
	if err != nil {
		t.Fatal(err)
	}
	ctx := chromium.Start(t, false)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?backend=cpu")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#status").textContent.startsWith("Ready")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(3*time.Minute))); err != nil {
		t.Fatalf("the page did not get ready: %v", err)
	}
	drop := fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
		document.querySelector("#drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`, base64.StdEncoding.EncodeToString(b))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](drop)); err != nil {
		t.Fatalf("dropping: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelectorAll("tr.result").length > 0 && `+readRows,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(2*time.Minute)))
	if err != nil {
		t.Fatalf("waiting for the dropped file's result: %v", err)
	}
	var rows []pageRow
	if err := json.Unmarshal([]byte(raw), &rows); err != nil || len(rows) != 1 || rows[0].Name != "dropped.png" {
		t.Fatalf("rows %s: %v", raw, err)
	}
	checkClose(t, "dropped file's gradient score", rows[0].Score, want[0].Score)
}

// TestRepresentationPageInBrowser drops a colour image on the representation page: it shows
// an RGB to HSV shift and gradient features unchanged under t = exp(x).
func TestRepresentationPageInBrowser(t *testing.T) {
	chromium.Path(t)
	srv := startServer(t, buildWasm(t))
	img := filepath.Join(t.TempDir(), "colour.png")
	if err := os.WriteFile(img, colourPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := chromium.Start(t, false)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+RepresentationRoute)); err != nil {
		t.Fatal(err)
	}
	// The pre-rendered page has no handlers: wait until the app says it is ready.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#status").textContent.startsWith("Ready")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(3*time.Minute))); err != nil {
		t.Fatalf("the page did not get ready: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{img})); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](
		`document.querySelector("#maxreldiff") && JSON.stringify({shift: document.querySelector("#shift").dataset.value, diff: document.querySelector("#maxreldiff").dataset.value})`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for the result: %v; page text %q", err, text)
	}
	saveScreenshot(t, ctx, "representation-page.png")
	var got struct{ Shift, Diff string }
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	var shift, diff float64
	fmt.Sscan(got.Shift, &shift)
	fmt.Sscan(got.Diff, &diff)
	if !(shift > -2 && shift < 4) || !(diff >= 0 && diff < 1e-3) {
		t.Errorf("shift %s bits/dim, largest relative feature difference %s", got.Shift, got.Diff)
	}
	t.Logf("representation page: RGB to HSV shift %s bits/dim; features differ by at most %s", got.Shift, got.Diff)
}

// hugePNGHeader is a 1x1 PNG whose header claims w x h pixels: a decompression bomb's first
// bytes, which must be refused before any pixel is decoded.
func hugePNGHeader(t *testing.T, w, h uint32) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// Signature (8), IHDR length (4) and type (4), then width and height; the CRC covers type
	// and data (17 bytes from offset 12).
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// colourPNG draws a 32x32 colour test pattern.
func colourPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			img.Set(x, y, color.RGBA{uint8(8 * x), uint8(8 * y), uint8(255 - 4*(x+y)), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

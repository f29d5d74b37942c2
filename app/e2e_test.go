//go:build !js

package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// zooDir is the repository's model zoo, which the app offers beside the default model.
var zooDir = filepath.Join("..", "models", "zoo")

// startServer serves the app as `oodgpu serve` does in a checkout: the embedded model by
// default, and the zoo's.
func startServer(t *testing.T, webDir string) *httptest.Server {
	t.Helper()
	return startServerWith(t, webDir, nil)
}

// startServerWith is startServer with the server's handler wrapped by wrap (when not nil).
func startServerWith(t *testing.T, webDir string, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	routesOnce.Do(Routes)
	m, b := defaultModelAndBytes(t)
	h, err := NewServer(Options{WebDir: webDir, Model: m, ModelBytes: b, Exec: cpu.New(), ZooDir: zooDir})
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
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
	return nativeScoresWith(t, m, files...)
}

// nativeScoresWith is nativeScores with model m.
func nativeScoresWith(t *testing.T, m *scorer.Model, files ...string) []scorer.Row {
	t.Helper()
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
	Where   string `json:"where"`
}

const readRows = `JSON.stringify([...document.querySelectorAll("tr.result")].map(r => r.dataset))`

// startGapTimer starts a 50 ms timer in the page that records the gaps between its ticks (how
// long the page's thread was kept from its event loop, by the page's own work or by other
// threads and processes taking the cores), and a PerformanceObserver of the long tasks (over
// 50 ms) that the page's thread ran; it returns when it started (performance.now()).
// stopGapTimer stops them and returns a pageResponsiveness.
const (
	startGapTimer = `(() => {
		const t0 = performance.now();
		const g = window.oodgpuGap = {t0: t0, max: 0, gaps: [], tasks: [], last: t0};
		const gap = n => {
			const d = n - g.last;
			g.max = Math.max(g.max, d);
			if (d > 100) g.gaps.push({at: g.last - t0, ms: d});
			g.last = n;
		};
		g.timer = setInterval(() => gap(performance.now()), 50);
		g.gap = gap;
		g.observer = new PerformanceObserver(l => l.getEntries().forEach(e => g.tasks.push({at: e.startTime - t0, ms: e.duration})));
		g.observer.observe({type: "longtask"});
		return t0;
	})()`
	stopGapTimer = `(() => {
		const g = window.oodgpuGap;
		clearInterval(g.timer);
		g.gap(performance.now());
		g.observer.takeRecords().forEach(e => g.tasks.push({at: e.startTime - g.t0, ms: e.duration}));
		g.observer.disconnect();
		return {gap: g.max, gaps: g.gaps, tasks: g.tasks};
	})()`
)

// pageResponsiveness is what startGapTimer measured until stopGapTimer: the longest gap between
// the timer's ticks, the gaps over 100 ms and the long tasks of the page's thread, each when it
// started (in ms after the timer started) and how long it lasted.
type pageResponsiveness struct {
	Gap   float64     `json:"gap"`
	Gaps  []pageSpell `json:"gaps"`
	Tasks []pageSpell `json:"tasks"`
}

// pageSpell is a gap or a task of pageResponsiveness.
type pageSpell struct {
	At float64 `json:"at"`
	Ms float64 `json:"ms"`
}

// longestTask is the longest of the long tasks, 0 when there was none.
func (r pageResponsiveness) longestTask() float64 {
	longest := 0.0
	for _, s := range r.Tasks {
		longest = max(longest, s.Ms)
	}
	return longest
}

// String lists the gaps and tasks as "duration@start" in ms.
func (r pageResponsiveness) String() string {
	list := func(spells []pageSpell) string {
		if len(spells) == 0 {
			return "none"
		}
		s := make([]string, len(spells))
		for i, sp := range spells {
			s[i] = fmt.Sprintf("%.0f@%.0f", sp.Ms, sp.At)
		}
		return strings.Join(s, " ")
	}
	return fmt.Sprintf("longest gap %.0f ms, longest task %.0f ms; gaps over 100 ms (ms@ms after upload): %s; long tasks: %s",
		r.Gap, r.longestTask(), list(r.Gaps), list(r.Tasks))
}

// scoreInBrowser opens the score page, waits for the model, uploads files and returns the rows
// and the backend line after scoring. It logs the page's timings, never asserted since they
// depend on the machine: navigation to ready, upload to first score, each further image, and
// while scoring the gaps of a 50 ms timer and the long tasks on the page's thread (see
// startGapTimer).
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
	abs := make([]string, len(files))
	for i, f := range files {
		if abs[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	// A person takes a few seconds to pick a file; the page warms the model up meanwhile. The
	// upload waits for the warm-up to end, so that upload to first score is what such a person
	// sees, and the warm-up's own time is logged beside it.
	warmed, err := chromedp.Run(ctx, chromedp.Poll[float64](
		`["done", "failed"].includes(document.querySelector("#backend").dataset.warmup) && performance.now()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(3*time.Minute)))
	if err != nil {
		t.Fatalf("the model's warm-up did not end: %v", err)
	}
	warmAtUpload := evalString(t, ctx, `document.querySelector("#backend").dataset.warmup`)
	trace := startPageTrace(t, ctx)
	upload, err := chromedp.Run(ctx, chromedp.Evaluate[float64](startGapTimer))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), abs)); err != nil {
		t.Fatalf("uploading: %v", err)
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll("tr.result").length >= %d`, len(files)),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for %d results: %v; page text: %q", len(files), err, text)
	}
	resp, err := chromedp.Run(ctx, chromedp.Evaluate[pageResponsiveness](stopGapTimer))
	if err != nil {
		t.Fatal(err)
	}
	if trace != nil {
		trace.stop(t, ctx)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](readRows))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		t.Fatalf("rows %s: %v", raw, err)
	}
	// The backend line once the executor has opened in the worker (or the page has given the
	// worker up) and the images are scored.
	backend = evalString(t, ctx, `document.querySelector("#backend").textContent`)
	warm := evalString(t, ctx, `(b => b.dataset.warmup + (b.dataset.warmupMs ? " in " + b.dataset.warmupMs + " ms" : ""))(document.querySelector("#backend"))`)
	ends := make([]float64, len(rows))
	for i, r := range rows {
		if _, err := fmt.Sscan(r.Ms, &ends[i]); err != nil {
			t.Fatalf("row %d: time %q: %v", i, r.Ms, err)
		}
	}
	further := make([]string, 0, len(rows))
	endsAfter := make([]string, len(ends))
	for i, e := range ends {
		endsAfter[i] = fmt.Sprintf("%.0f", e-upload)
	}
	for i := 1; i < len(ends); i++ {
		further = append(further, fmt.Sprintf("%.0f", ends[i]-ends[i-1]))
	}
	t.Logf("timings on %q: navigation to ready %.0f ms; warm-up %s %.0f ms after ready (%s); upload to first score %.0f ms; "+
		"further images %s ms each (ends at %s ms after upload); while scoring, on the page's thread (a 50 ms timer's gaps, "+
		"long tasks): %v", backend, ready, warmAtUpload, warmed-ready, warm, ends[0]-upload, strings.Join(further, ", "),
		strings.Join(endsAfter, ", "), resp)
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

// withViewport emulates a w x h viewport: widths under 700 px as a phone (mobile emulation and
// touch, as a 390x844 phone), wider ones as a desktop window (1280x900).
func withViewport(t *testing.T, ctx context.Context, w, h int) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if w < 700 {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h), opts...)); err != nil {
		t.Fatalf("emulating a %dx%d viewport: %v", w, h, err)
	}
}

// checkNoOverflow fails t when the page is wider than its viewport (a horizontal scroll bar):
// document.documentElement.scrollWidth above clientWidth. It names the widest elements that stick
// out.
func checkNoOverflow(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	const measure = `(() => {
		const d = document.documentElement;
		const wide = [...document.body.querySelectorAll("*")]
			.filter(e => e.getBoundingClientRect().right > d.clientWidth + 0.5)
			.slice(0, 5)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && e.className.baseVal === undefined ? "." + e.className : "") +
				" (right edge " + Math.round(e.getBoundingClientRect().right) + ")");
		return {scroll: d.scrollWidth, client: d.clientWidth, wide: wide};
	})()`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Scroll int      `json:"scroll"`
		Client int      `json:"client"`
		Wide   []string `json:"wide"`
	}](measure))
	if err != nil {
		t.Errorf("%s: measuring the page width: %v", label, err)
		return
	}
	if got.Scroll > got.Client {
		t.Errorf("%s: the page scrolls sideways: scrollWidth %d > clientWidth %d; sticking out: %s",
			label, got.Scroll, got.Client, strings.Join(got.Wide, ", "))
		return
	}
	t.Logf("%s: no horizontal overflow (scrollWidth %d, clientWidth %d)", label, got.Scroll, got.Client)
}

// axeVersion is the axe-core release .ci/run installs from the npm registry.
const axeVersion = "4.10.2"

// axeSource returns axe-core's axe.min.js: from $OODGPU_AXE_JS, or from where .ci/run's
// `npm install --prefix <user cache>/oodgpu/npm axe-core@4.10.2` puts it. Without it, it logs
// that the accessibility check is skipped and why, and returns ""; under
// OODGPU_REQUIRE_BROWSER=1 it fails t instead.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OODGPU_AXE_JS")
	if path == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, "oodgpu", "npm", "node_modules", "axe-core", "axe.min.js")
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("no axe-core (%v): install it with npm install --prefix <user cache dir>/oodgpu/npm axe-core@%s "+
			"(as .ci/run does), or set OODGPU_AXE_JS to its axe.min.js", err, axeVersion)
		if os.Getenv("OODGPU_REQUIRE_BROWSER") == "1" {
			t.Fatal("OODGPU_REQUIRE_BROWSER=1 but " + msg)
		}
		t.Log("skipping the accessibility check: " + msg)
		return ""
	}
	return string(b)
}

// runAxe injects axe-core into the page and fails t on every violation of WCAG level A
// (rules tagged wcag2a or wcag21a), printing each violation's id, help and targets. Without
// axe-core it logs why it checks nothing (see axeSource).
func runAxe(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	src := axeSource(t)
	if src == "" {
		return
	}
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](src+"\n;axe.version"))
	if err != nil {
		t.Fatalf("%s: injecting axe-core: %v", label, err)
	}
	if version != axeVersion {
		t.Fatalf("%s: axe-core %s, want the pinned %s (.ci/run installs it)", label, version, axeVersion)
	}
	type violation struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag21a"]}, resultTypes: ["violations"]})
		.then(r => ({violations: r.violations, passes: r.passes.length}))`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Violations []violation `json:"violations"`
		Passes     int         `json:"passes"`
	}](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", label, err)
	}
	for _, v := range res.Violations {
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: axe-core %s: %s (%s)", label, v.ID, v.Help, strings.Join(targets, "; "))
	}
	if len(res.Violations) == 0 {
		t.Logf("%s: axe-core %s, WCAG level A: no violation (%d rules passed)", label, axeVersion, res.Passes)
	}
}

// TestScorePageInBrowser uploads a FashionMNIST and an MNIST image to the score page in headless
// Chromium and checks that the page flags the MNIST one with the numbers `oodgpu score` gives:
// on WebGPU (SwiftShader where there is no GPU) as ?backend=webgpu asks, on the CPU when the
// only adapter is a fallback one (skipped), and on the CPU without WebGPU; always in the Web
// Worker.
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
		query       string
		wantBackend []string
		wantWhere   string
	}{
		{"webgpu", true, "?backend=webgpu", []string{"WebGPU (in a Web Worker): ", "as ?backend=webgpu asks"}, ranInWorker},
		{"fallback-adapter-skipped", true, "", []string{"No GPU available: the browser's WebGPU adapter is a fallback (software) one, skipped",
			"?backend=webgpu", "running on the CPU (pure Go in WebAssembly, in a Web Worker)"}, ranInWorker},
		{"cpu-fallback", false, "", []string{"No GPU available: running on the CPU (pure Go in WebAssembly, in a Web Worker)"}, ranInWorker},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := chromium.Start(t, c.webgpu)
			rows, backend := scoreInBrowser(t, ctx, srv.URL+"/"+c.query, inImage, oodImage)
			for _, w := range c.wantBackend {
				if !strings.Contains(backend, w) {
					t.Errorf("backend line %q, want it to say %q", backend, w)
				}
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
				if r.Where != c.wantWhere {
					t.Errorf("%s was scored in the %s, want the %s", r.Name, r.Where, c.wantWhere)
				}
				checkClose(t, r.Name+" score", r.Score, want[i].Score)
				checkClose(t, r.Name+" NLL", r.NLL, want[i].NLL)
				if r.Verdict != want[i].Verdict {
					t.Errorf("%s: verdict %q in the browser, %q natively", r.Name, r.Verdict, want[i].Verdict)
				}
			}
			if got := evalString(t, ctx, `document.querySelector("#backend").dataset.warmup`); got != "done" {
				t.Errorf("the model's warm-up is %q after scoring, want done", got)
			}
			checkWasmCompressed(t, ctx)
		})
	}
}

// TestScorePageResponsiveInBrowser uploads several images at once to the score page on the
// CPU fallback (a browser without WebGPU) and logs how responsive the page's thread stayed while
// the worker scored them: the gaps of a 50 ms timer and the long tasks (see scoreInBrowser),
// never asserted, as they depend on the machine. The scores must still be those of `oodgpu
// score`, every one computed in the worker.
func TestScorePageResponsiveInBrowser(t *testing.T) {
	chromium.Path(t)
	files := []string{inImage, oodImage}
	for _, name := range []string{"fashionmnist-test-1.png", "mnist-test-0.png", "noise-generated.png"} {
		files = append(files, filepath.Join("..", "examples", name))
	}
	for _, ex := range []string{"noise.png", "colour.png"} {
		files = append(files, filepath.Join("static", "examples", ex))
	}
	want := nativeScores(t, files...)
	srv := startServer(t, buildWasm(t))
	ctx := chromium.Start(t, false)
	rows, _ := scoreInBrowser(t, ctx, srv.URL+"/", files...)
	for i, r := range rows {
		if r.Error != "" || r.Where != ranInWorker {
			t.Errorf("%s: error %q, scored in the %q", r.Name, r.Error, r.Where)
			continue
		}
		checkClose(t, r.Name+" score", r.Score, want[i].Score)
	}
}

// TestWorkerFailsInBrowser serves no worker script: the page gives the worker up, says so, and
// scores on its own thread, downloading the model itself, with the numbers `oodgpu score` gives.
func TestWorkerFailsInBrowser(t *testing.T) {
	chromium.Path(t)
	want := nativeScores(t, inImage, oodImage)
	srv := startServerWith(t, buildWasm(t), func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, strings.TrimSuffix(WorkerPath, ".js")) {
				http.NotFound(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := chromium.Start(t, false)
	rows, backend := scoreInBrowser(t, ctx, srv.URL+"/", inImage, oodImage)
	if want := "No GPU available: running on the CPU (pure Go in WebAssembly, " + inPage + ")"; backend != want {
		t.Errorf("backend line %q, want %q", backend, want)
	}
	for i, r := range rows {
		if r.Error != "" || r.Where != ranInPage {
			t.Errorf("%s: error %q, scored in the %q, want the page", r.Name, r.Error, r.Where)
			continue
		}
		checkClose(t, r.Name+" score", r.Score, want[i].Score)
		checkClose(t, r.Name+" NLL", r.NLL, want[i].NLL)
	}
}

// checkWasmCompressed fails unless the page downloaded app.wasm, by its content-hashed name,
// compressed: fewer bytes arrived than it has (the Resource Timing API's sizes).
func checkWasmCompressed(t *testing.T, ctx context.Context) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]struct {
		Name    string  `json:"name"`
		Encoded float64 `json:"encoded"`
		Decoded float64 `json:"decoded"`
	}](`performance.getEntriesByType("resource").filter(e => /\/web\/app\.[0-9a-f]{16}\.wasm$/.test(new URL(e.name).pathname))
		.map(e => ({name: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Error("the page did not download app.wasm by a content-hashed name")
		return
	}
	for _, e := range got {
		if e.Encoded <= 0 || e.Encoded >= e.Decoded {
			t.Errorf("%s arrived as %.0f bytes for %.0f: not compressed", e.Name, e.Encoded, e.Decoded)
		} else {
			t.Logf("%s arrived compressed: %.0f bytes for %.0f", e.Name, e.Encoded, e.Decoded)
		}
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

// viewports are the sizes the page is checked at: a phone and a desktop window.
var viewports = []struct{ w, h int }{{390, 844}, {1280, 900}}

// checkState checks the page in its current state at each viewport: no horizontal scroll, a
// screenshot score-STATE-WxH.png and, when axe is true, no WCAG level A violation. It leaves the
// desktop viewport.
func checkState(t *testing.T, ctx context.Context, state string, axe bool) {
	t.Helper()
	for _, v := range viewports {
		withViewport(t, ctx, v.w, v.h)
		label := fmt.Sprintf("%s at %dx%d", state, v.w, v.h)
		checkNoOverflow(t, ctx, label)
		saveScreenshot(t, ctx, fmt.Sprintf("score-%s-%dx%d.png", state, v.w, v.h))
		if axe {
			runAxe(t, ctx, label)
		}
	}
}

// waitFor polls the JavaScript condition cond until it is true, failing t after timeout.
func waitFor(t *testing.T, ctx context.Context, what, cond string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(timeout))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for %s: %v; page text: %q", what, err, text)
	}
}

// evalString evaluates the JavaScript expression js to a string.
func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return s
}

// TestScorePageStates walks the score page through its states as a first-time visitor on a
// browser without WebGPU would, at 390x844 (phone) and 1280x900: empty, with the examples
// clicked at once (placeholders, queued while the first is scored), with their results, and
// with a file that is not an image; then Clear, and a colour model scoring the colour example.
// Each state is screenshot at both sizes into $OODGPU_ARTIFACTS, with no horizontal scroll and
// no WCAG level A violation (axe-core).
func TestScorePageStates(t *testing.T) {
	chromium.Path(t)
	def, _ := defaultModelAndBytes(t)
	det, err := def.Detector(1)
	if err != nil {
		t.Fatal(err)
	}
	exampleFiles := make([]string, len(examples))
	for i, ex := range examples {
		exampleFiles[i] = filepath.Join("static", "examples", ex.file)
	}
	want := nativeScores(t, exampleFiles...)
	byName := map[string]scorer.Row{}
	for i, ex := range examples {
		byName[ex.file] = want[i]
	}
	shoe, pullover, digit := byName["fashionmnist-test-0.png"], byName["fashionmnist-test-1.png"], byName["mnist-test-1.png"]
	if shoe.Verdict != scorer.InDistribution || pullover.Verdict != scorer.InDistribution || digit.Verdict != scorer.OOD ||
		!(digit.NLL < pullover.NLL) {
		t.Fatalf("natively, the shoe is %s, the pullover %s with NLL %.3f and the digit %s with NLL %.3f: the page's "+
			"explanation (the digit has the lower NLL, and only it is OOD) no longer holds", shoe.Verdict, pullover.Verdict,
			pullover.NLL, digit.Verdict, digit.NLL)
	}
	// The page's download of the first example (a fetch, which accepts */*, not the button's
	// <img>) waits for the gate: the scoring state stays on screen until its screenshots are taken.
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	srv := startServerWith(t, buildWasm(t), func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == ExamplesPrefix+examples[0].file && !strings.Contains(r.Header.Get("Accept"), "image/") {
				select {
				case <-gate:
				case <-r.Context().Done():
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := chromium.Start(t, false)
	withViewport(t, ctx, 1280, 900)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the page to be ready", `document.querySelector("#status").textContent.startsWith("Ready")`, 3*time.Minute)

	// Empty: what to do, what the numbers mean, the threshold, the paper and the repository.
	how := evalString(t, ctx, `document.querySelector("#how").innerText`)
	for _, text := range []string{"How to read this", "lower = more likely", "higher = more unusual",
		"share of the fit images", "scoring at or below this image", fmt.Sprintf("above %.1f", det.Threshold), "95%", det.FitData,
		"the digit has the lower NLL, and only it is OOD", paperTitle} {
		if !strings.Contains(how, text) {
			t.Errorf("How to read this lacks %q: %q", text, how)
		}
	}
	checkClose(t, "threshold on the page", evalString(t, ctx, `document.querySelector("#threshold").dataset.value`), det.Threshold)
	if got := evalString(t, ctx, `document.querySelector("#how a").href`); got != repoURL {
		t.Errorf("repository link %q, want %q", got, repoURL)
	}
	for sel, want := range map[string]string{
		`document.querySelector("#status").getAttribute("aria-live")`:     "polite",
		`document.querySelector("#backend").textContent`:                  "No GPU available: running on the CPU (pure Go in WebAssembly, in a Web Worker)",
		`document.querySelector("#model").selectedOptions[0].textContent`: "Glow on fashionmnist:train (28x28 grey), default",
	} {
		if got := evalString(t, ctx, sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	checkState(t, ctx, "empty", true)

	// Scoring: the examples clicked at once; each gets a placeholder row at once, and those
	// clicked while the first is scored wait in the queue instead of being refused.
	evalString(t, ctx, `[...document.querySelectorAll("button.example")].forEach(b => b.click()), ""`)
	waitFor(t, ctx, "placeholder rows", fmt.Sprintf(`document.querySelectorAll("tr.pending").length === %d && `+
		`document.querySelector("#progress") !== null`, len(examples)), time.Minute)
	status := evalString(t, ctx, `document.querySelector("#status").textContent`)
	if !strings.HasPrefix(status, "Scoring image ") || !strings.HasSuffix(status, fmt.Sprintf(" of %d on the CPU…", len(examples))) {
		t.Errorf("status while scoring: %q", status)
	}
	checkState(t, ctx, "scoring", false)
	release()

	// Results: each example scored as `oodgpu score` scores it.
	waitFor(t, ctx, "the examples' results", fmt.Sprintf(`document.querySelectorAll("tr.result").length === %d && `+
		`document.querySelector("#status").textContent.startsWith("Scored")`, len(examples)), 4*time.Minute)
	var rows []pageRow
	if err := json.Unmarshal([]byte(evalString(t, ctx, readRows)), &rows); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.Name != examples[i].file || r.Error != "" {
			t.Errorf("row %d: %+v, want %s scored", i, r, examples[i].file)
			continue
		}
		checkClose(t, r.Name+" score", r.Score, want[i].Score)
		checkClose(t, r.Name+" NLL", r.NLL, want[i].NLL)
		if r.Verdict != want[i].Verdict {
			t.Errorf("%s: verdict %q in the browser, %q natively", r.Name, r.Verdict, want[i].Verdict)
		}
	}
	if got := evalString(t, ctx, `document.querySelector("#status").textContent`); got != fmt.Sprintf("Scored %[1]d of %[1]d on the CPU.", len(examples)) {
		t.Errorf("status after scoring: %q", got)
	}
	chart := evalString(t, ctx, `JSON.stringify([...document.querySelectorAll("tr.result")].map(r => ({
		label: r.querySelector("svg.zbars").getAttribute("aria-label"),
		alt: r.querySelector("img.thumb").alt,
		nodes: r.querySelectorAll("svg.zbars:not(.wide) *").length})))`)
	var charts []struct {
		Label, Alt string
		Nodes      int
	}
	if err := json.Unmarshal([]byte(chart), &charts); err != nil {
		t.Fatal(err)
	}
	layers, _ := def.ZLayers(1)
	for i, c := range charts {
		z := want[i].ZScores
		if c.Label != zSummary(z) || !strings.HasSuffix(c.Label, fmt.Sprintf(" of %d layers with |z| > 3", len(layers))) ||
			c.Nodes > 5 || !strings.HasPrefix(c.Alt, examples[i].file) {
			t.Errorf("%s: chart %q of %d nodes (want %q and at most 5: 3 lines, 2 paths), thumbnail alt %q", examples[i].file, c.Label, c.Nodes, zSummary(z), c.Alt)
		}
	}
	// The enlarged chart is drawn when opened, with a hit target naming each layer.
	if n := evalString(t, ctx, `String(document.querySelectorAll("svg.zbars.wide").length)`); n != "0" {
		t.Errorf("%s enlarged charts drawn before any is opened", n)
	}
	evalString(t, ctx, `document.querySelector("tr.result details.zbig summary").click(), ""`)
	waitFor(t, ctx, "the enlarged chart", fmt.Sprintf(`document.querySelectorAll("tr.result details.zbig[open] svg.zbars.wide title").length === %d`,
		len(layers)), 10*time.Second)
	csvURL := evalString(t, ctx, `document.querySelector("#csv").href`)
	csvText, err := url.PathUnescape(strings.TrimPrefix(csvURL, "data:text/csv;charset=utf-8,"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(records) != len(examples)+1 || records[0][0] != "file" || records[3][0] != "mnist-test-1.png" || records[3][7] != scorer.OOD {
		t.Errorf("CSV download: %q, %v", csvText, err)
	} else {
		checkClose(t, "the CSV's score of the digit", records[3][3], digit.Score)
		checkClose(t, "the CSV's gradient score of the digit", records[3][4], digit.GradientScore)
	}
	checkState(t, ctx, "results", true)

	// Error: a file that is not an image is not counted as scored.
	evalString(t, ctx, `document.querySelector("#clear").click(), ""`)
	waitFor(t, ctx, "Clear to empty the table", `document.querySelector("#results") === null`, 10*time.Second)
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{text})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the failed row", `document.querySelector("#status").textContent.startsWith("Scored") && document.querySelector("tr.failed") !== null`, time.Minute)
	if got := evalString(t, ctx, `document.querySelector("#status").textContent + " | " + document.querySelector("tr.failed .message").textContent`); got != "Scored 0 of 1, 1 failed on the CPU. | Not an image: PNG, JPEG or GIF expected" {
		t.Errorf("status and message for a text file: %q", got)
	}
	checkState(t, ctx, "error", true)

	// A colour model: the CIFAR-10 Glow scores the colour example in colour.
	cifar, err := scorer.Load(filepath.Join(zooDir, "glow-cifar10.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	wantColour := nativeScoresWith(t, cifar, filepath.Join("static", "examples", "colour.png"))[0]
	evalString(t, ctx, `document.querySelector("#clear").click(), (() => {
		const s = document.querySelector("#model");
		s.value = "glow-cifar10";
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return "";
	})()`)
	waitFor(t, ctx, "the colour model", `document.querySelector("#status").textContent.startsWith("Ready") && location.search.includes("model=glow-cifar10")`, 3*time.Minute)
	if about := evalString(t, ctx, `document.querySelector("#model-about").textContent`); !strings.Contains(about, "cifar10:train") ||
		!strings.Contains(about, "32x32 colour") {
		t.Errorf("the colour model's description: %q", about)
	}
	evalString(t, ctx, `document.querySelector('button.example[data-file="colour.png"]').click(), ""`)
	waitFor(t, ctx, "the colour example's score", `document.querySelectorAll("tr.result").length === 1`, 4*time.Minute)
	if err := json.Unmarshal([]byte(evalString(t, ctx, readRows)), &rows); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "colour example's gradient score under the CIFAR-10 Glow", rows[0].Score, wantColour.Score)
	if rows[0].Verdict != wantColour.Verdict {
		t.Errorf("colour example under the CIFAR-10 Glow: %q in the browser, %q natively", rows[0].Verdict, wantColour.Verdict)
	}
	saveScreenshot(t, ctx, "score-colour-model-1280x900.png")
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
	for i, want := range []string{"Not an image: PNG, JPEG or GIF expected", "could not be decoded", "Image too large: 20000x20000 pixels"} {
		if !strings.Contains(rows[i].Error, want) {
			t.Errorf("%s: message %q, want %q", rows[i].Name, rows[i].Error, want)
		}
	}
	if rows[3].Error != "" || rows[3].Score == "" {
		t.Errorf("%s beside the bad files: %+v", rows[3].Name, rows[3])
	}
	// The raw error is one click away, in a <details> of the row; the status counts the failures.
	got, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector("#status").textContent.startsWith("Scored") && JSON.stringify({
		status: document.querySelector("#status").textContent,
		detail: document.querySelector("tr.failed details code").textContent})`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("reading the status and the details: %v", err)
	}
	var page struct{ Status, Detail string }
	if err := json.Unmarshal([]byte(got), &page); err != nil {
		t.Fatal(err)
	}
	if page.Status != "Scored 1 of 4, 3 failed on the CPU." || !strings.Contains(page.Detail, "unknown format") {
		t.Errorf("status %q, first details %q", page.Status, page.Detail)
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
	// Dragging a file over the drop zone highlights it.
	evalString(t, ctx, `(() => {
		const d = document.querySelector("#drop"), dt = new DataTransfer();
		d.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return "";
	})()`)
	waitFor(t, ctx, "the drag-over highlight", `document.querySelector("#drop").classList.contains("dragging")`, 10*time.Second)
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
	if evalString(t, ctx, `document.querySelector("#drop").className`) != "drop" {
		t.Error("the drop zone is still highlighted after the drop")
	}
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

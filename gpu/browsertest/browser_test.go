//go:build !js

// Package browsertest runs the WebGPU executor inside headless Chromium: it builds the harness
// command for GOOS=js, serves it, and reads the parity report the page publishes.
package browsertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oodgpu/oodgpu/internal/chromium"
)

const page = `<!doctype html>
<html><head><meta charset="utf-8"><script src="wasm_exec.js"></script></head>
<body>running parity checks...
<script>
const go = new Go();
WebAssembly.instantiateStreaming(fetch("harness.wasm"), go.importObject).then(r => go.run(r.instance));
</script></body></html>`

// buildHarness compiles the harness to dir/harness.wasm and copies Go's wasm_exec.js beside it.
func buildHarness(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "harness.wasm"), "./harness")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the wasm harness: %v\n%s", err, out)
	}
	glue, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatalf("wasm_exec.js: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), glue, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
}

type parityReport struct {
	Adapter  string   `json:"adapter"`
	Error    string   `json:"error"`
	Cases    int      `json:"cases"`
	Failures []string `json:"failures"`
	Millis   int64    `json:"millis"`
}

// TestBrowserParity runs every kernel parity case in headless Chromium on its WebGPU adapter
// (SwiftShader where there is no GPU).
func TestBrowserParity(t *testing.T) {
	ctx := chromium.Start(t, true)
	dir := t.TempDir()
	buildHarness(t, dir)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/index.html")); err != nil {
		t.Fatalf("opening the harness page in chromium: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](`globalThis.oodgpuParity`,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
	if err != nil {
		t.Fatalf("waiting for the parity report: %v", err)
	}
	var r parityReport
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("report %q: %v", raw, err)
	}
	t.Logf("browser adapter %q: %d cases in %d ms", r.Adapter, r.Cases, r.Millis)
	if r.Error != "" {
		t.Fatalf("no WebGPU in the browser: %s", r.Error)
	}
	if r.Cases < 50 {
		t.Fatalf("only %d parity cases ran", r.Cases)
	}
	for _, f := range r.Failures {
		t.Error(f)
	}
}

//go:build !js

// Package browsertest runs the WebGPU executor inside headless Chromium: it builds the harness
// command for GOOS=js, serves it, and reads the parity report the page publishes.
package browsertest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const page = `<!doctype html>
<html><head><meta charset="utf-8"><script src="wasm_exec.js"></script></head>
<body>running parity checks...
<script>
const go = new Go();
WebAssembly.instantiateStreaming(fetch("harness.wasm"), go.importObject).then(r => go.run(r.instance));
</script></body></html>`

// chromium returns the browser to drive, or skips (fails under OODGPU_REQUIRE_BROWSER=1).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("OODGPU_REQUIRE_BROWSER") == "1" {
		t.Fatal("OODGPU_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("skipping: no chromium on PATH (apt-get install chromium)")
	return ""
}

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
	browser := chromium(t)
	dir := t.TempDir()
	buildHarness(t, dir)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-webgpu", true),
		chromedp.Flag("enable-features", "Vulkan"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	var mu sync.Mutex
	var console []string
	if err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			for _, a := range ev.Args {
				line += " " + strings.Trim(string(a.Value), `"`) + a.Description
			}
			line = string(ev.Type) + ":" + line
		case *cdplog.EventEntryAdded:
			line = string(ev.Entry.Level) + ": " + ev.Entry.Text
		case *cdpruntime.EventExceptionThrown:
			line = "exception: " + ev.ExceptionDetails.Text
		default:
			return
		}
		mu.Lock()
		console = append(console, line)
		mu.Unlock()
	}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	defer func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range console {
				t.Log("browser console: " + l)
			}
		}
	}()
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

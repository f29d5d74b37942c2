// Package chromium starts headless Chromium for the browser tests (chromedp), or skips them
// with a printed reason; under OODGPU_REQUIRE_BROWSER=1 a missing browser fails the test.
package chromium

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Path returns the browser to drive, or skips t (fails it under OODGPU_REQUIRE_BROWSER=1).
func Path(t testing.TB) string {
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

// Start launches headless Chromium, with WebGPU enabled (--enable-unsafe-webgpu) when webgpu
// is true, and returns a context driving its first tab. The browser's console is logged when
// t fails. Everything is closed when t ends.
func Start(t testing.TB, webgpu bool) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1200, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	if webgpu {
		opts = append(opts, chromedp.Flag("enable-unsafe-webgpu", true), chromedp.Flag("enable-features", "Vulkan"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
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
			if ev.ExceptionDetails.Exception != nil {
				line += " " + ev.ExceptionDetails.Exception.Description
			}
		default:
			return
		}
		mu.Lock()
		console = append(console, line)
		mu.Unlock()
	}); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			for _, l := range console {
				t.Log("browser console: " + l)
			}
			mu.Unlock()
		}
		cancel()
		cancelAlloc()
	})
	return ctx
}

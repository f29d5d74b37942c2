//go:build !js

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// browserTraceEnv names a folder: when it is set, scoreInBrowser records a DevTools trace while
// the page scores, writes it there (trace-TEST.json, for Perfetto or chrome://tracing) and logs
// where the CPU went meanwhile: each thread of the page's renderer process, and V8's optimising
// compiler for WebAssembly, which runs on the background threads.
const browserTraceEnv = "OODGPU_BROWSER_TRACE"

// traceCategories are the trace categories recorded: tasks, the page's timers and the
// WebAssembly compiler.
var traceCategories = []string{"toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline",
	"v8.execute", "v8.wasm", "disabled-by-default-v8.wasm.detailed"}

// pageTrace is a DevTools trace being recorded.
type pageTrace struct {
	mu     sync.Mutex
	events []traceEvent
	done   chan struct{}
}

// traceEvent is the part of a trace event that summary reads.
type traceEvent struct {
	Name string          `json:"name"`
	Ph   string          `json:"ph"`
	Pid  int64           `json:"pid"`
	Tid  int64           `json:"tid"`
	Ts   float64         `json:"ts"`
	Dur  float64         `json:"dur"`
	TDur float64         `json:"tdur"` // thread (CPU) time, µs
	Args json.RawMessage `json:"args"`
}

// startPageTrace starts recording a trace of the page in ctx when browserTraceEnv is set; it
// returns nil otherwise.
func startPageTrace(t *testing.T, ctx context.Context) *pageTrace {
	t.Helper()
	if os.Getenv(browserTraceEnv) == "" {
		return nil
	}
	p := &pageTrace{done: make(chan struct{})}
	chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, v := range e.Value {
				b, err := json.Marshal(v)
				var te traceEvent
				if err == nil && json.Unmarshal(b, &te) == nil {
					p.events = append(p.events, te)
				}
			}
		case *tracing.EventTracingComplete:
			close(p.done)
		}
	})
	params := tracing.StartParams{TraceConfig: &tracing.TraceConfig{IncludedCategories: traceCategories}}
	if _, err := chromedp.Call(ctx, tracing.Start, params); err != nil {
		t.Fatalf("starting a DevTools trace (%s): %v", browserTraceEnv, err)
	}
	return p
}

// stop ends the trace, writes it under browserTraceEnv and logs its summary.
func (p *pageTrace) stop(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, tracing.End, cdp.Empty{}); err != nil {
		t.Fatalf("ending the DevTools trace: %v", err)
	}
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.Marshal(p.events)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(os.Getenv(browserTraceEnv), "trace-"+strings.ReplaceAll(t.Name(), "/", "-")+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatalf("writing the trace: %v", err)
	}
	t.Logf("DevTools trace %s: %s", path, traceSummary(p.events))
}

// traceSummary says how much CPU time each thread of the renderer process that ran the page
// spent in tasks, and how much of it V8 spent compiling WebAssembly to its top tier.
func traceSummary(events []traceEvent) string {
	names := map[[2]int64]string{}
	pid := int64(-1)
	for _, e := range events {
		switch {
		case e.Ph == "M" && e.Name == "thread_name":
			var a struct{ Name string }
			if json.Unmarshal(e.Args, &a) == nil {
				names[[2]int64{e.Pid, e.Tid}] = a.Name
			}
		case e.Name == "TimerInstall" && pid < 0:
			pid = e.Pid // the page's timers: startGapTimer's, at least
		}
	}
	cpu := map[string]float64{}
	compile := 0.0
	for _, e := range events {
		if e.Pid != pid || e.Ph != "X" {
			continue
		}
		switch e.Name {
		case "ThreadControllerImpl::RunTask", "ThreadPool_RunTask":
			cpu[names[[2]int64{e.Pid, e.Tid}]] += e.TDur / 1000
		case "wasm.TopTierCompilation":
			compile += e.TDur / 1000
		}
	}
	threads := make([]string, 0, len(cpu))
	for n := range cpu {
		threads = append(threads, n)
	}
	sort.Slice(threads, func(i, j int) bool { return cpu[threads[i]] > cpu[threads[j]] })
	parts := make([]string, len(threads))
	for i, n := range threads {
		parts[i] = fmt.Sprintf("%s %.0f ms", n, cpu[n])
	}
	return fmt.Sprintf("CPU time in tasks of the page's renderer while scoring: %s; of it, WebAssembly compiled to V8's top tier: %.0f ms",
		strings.Join(parts, ", "), compile)
}

// TestTraceSummary: task CPU time per thread of the renderer that installed the page's timers,
// largest first, other processes left out, and the top-tier WebAssembly compilation beside it.
func TestTraceSummary(t *testing.T) {
	meta := func(pid, tid int64, name string) traceEvent {
		return traceEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: tid, Args: json.RawMessage(`{"name":"` + name + `"}`)}
	}
	task := func(pid, tid int64, name string, cpuMicros float64) traceEvent {
		return traceEvent{Name: name, Ph: "X", Pid: pid, Tid: tid, TDur: cpuMicros}
	}
	events := []traceEvent{
		meta(1, 10, "CrBrowserMain"), meta(2, 20, "CrRendererMain"), meta(2, 21, "DedicatedWorker thread"), meta(2, 22, "ThreadPoolForegroundWorker"),
		task(1, 10, "ThreadControllerImpl::RunTask", 9e6), // another process
		{Name: "TimerInstall", Ph: "I", Pid: 2, Tid: 20},
		task(2, 20, "ThreadControllerImpl::RunTask", 3000), task(2, 20, "FunctionCall", 2000), // nested: not counted again
		task(2, 21, "ThreadControllerImpl::RunTask", 1500000),
		task(2, 22, "ThreadPool_RunTask", 900000), task(2, 22, "wasm.TopTierCompilation", 800000),
	}
	want := "CPU time in tasks of the page's renderer while scoring: DedicatedWorker thread 1500 ms, ThreadPoolForegroundWorker 900 ms, " +
		"CrRendererMain 3 ms; of it, WebAssembly compiled to V8's top tier: 800 ms"
	if got := traceSummary(events); got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
}

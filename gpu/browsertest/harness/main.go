//go:build js

// Command harness runs the WebGPU executor's parity checks inside a browser: every op case and
// the grouped gradient features, on the page's navigator.gpu against the pure-Go CPU executor.
// It publishes a JSON report as globalThis.oodgpuParity for the test driving the browser.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall/js"
	"time"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
)

// report is what the harness publishes.
type report struct {
	Adapter  string   `json:"adapter"`
	Error    string   `json:"error,omitempty"`
	Cases    int      `json:"cases"`
	Failures []string `json:"failures"`
	Millis   int64    `json:"millis"`
}

func main() {
	start := time.Now()
	r := run()
	r.Millis = time.Since(start).Milliseconds()
	b, _ := json.Marshal(r)
	js.Global().Set("oodgpuParity", string(b))
	js.Global().Get("document").Get("body").Set("textContent", string(b))
}

func run() report {
	var r report
	e, err := gpu.New(gpu.Options{})
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Adapter = e.Name()
	ctx := context.Background()
	check := func(name string, g *graph.Graph, feeds graph.Feeds, outs []*graph.Node, err error, tol float64) {
		r.Cases++
		if err == nil {
			err = graphtest.Compare(ctx, e, cpu.New(), g, feeds, tol, outs...)
		}
		if err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: %v", name, err))
		}
	}
	for i, c := range graphtest.OpCases() {
		g, feeds, outs, err := c.Graph(uint64(i))
		check(c.Name, g, feeds, outs, err, 2e-4)
	}
	for _, c := range []struct{ batch, group int }{{5, 1}, {6, 3}} {
		g, feeds, outs, err := graphtest.FeatureCase(c.batch, c.group, uint64(c.batch))
		check(fmt.Sprintf("features B%d group%d", c.batch, c.group), g, feeds, outs, err, 1e-3)
	}
	return r
}

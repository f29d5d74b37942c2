//go:build js

// Command harness runs the WebGPU executor's parity checks inside a browser: every op case and
// the grouped gradient features, on the page's navigator.gpu against the pure-Go CPU executor.
// It publishes a JSON report as globalThis.oodgpuParity for the test driving the browser.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	// The page's adapter picks its convolution kernels; the other set runs the convolution
	// cases and the features too, so both compile and agree in this browser.
	other := gpu.ConvDirect
	if e.Adapter().Software() {
		other = gpu.ConvTiled
	}
	e2, err := gpu.New(gpu.Options{Conv: other})
	if err != nil {
		r.Error = err.Error()
		return r
	}
	ctx := context.Background()
	check := func(e *gpu.Executor, name string, g *graph.Graph, feeds graph.Feeds, outs []*graph.Node, err error, tol float64) {
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
		check(e, c.Name, g, feeds, outs, err, 2e-4)
		if strings.HasPrefix(c.Name, "conv") {
			check(e2, c.Name+" (other convolution kernels)", g, feeds, outs, err, 2e-4)
		}
	}
	for _, c := range []struct{ batch, group int }{{5, 1}, {6, 3}} {
		g, feeds, outs, err := graphtest.FeatureCase(c.batch, c.group, uint64(c.batch))
		name := fmt.Sprintf("features B%d group%d", c.batch, c.group)
		check(e, name, g, feeds, outs, err, 1e-3)
		check(e2, name+" (other convolution kernels)", g, feeds, outs, err, 1e-3)
	}
	return r
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/scorer"
)

// kernelReport times each WebGPU kernel of one image's per-sample features (B = 1, the first
// image of set), the model's weights bound as scoring binds them, and writes a Markdown table:
// where a run on this adapter goes.
func kernelReport(ctx context.Context, w io.Writer, m *scorer.Model, exec graph.Executor, set *data.Set, seed uint64) error {
	e, ok := exec.(*gpu.Executor)
	if !ok {
		return errors.New("perf --kernels times WebGPU kernels: run it with --device gpu")
	}
	ex := m.Extractor(e, set, []int{1}, 1, seed)
	p, _, err := ex.Plan(1)
	if err != nil {
		return err
	}
	defer e.Forget(p)
	feeds, err := ex.Inputs([]int{0}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	maps.Copy(feeds, m.Params)
	if err := e.Bind(m.Params); err != nil {
		return err
	}
	start := time.Now()
	if _, err := e.Run(ctx, p, feeds); err != nil {
		return err
	}
	first := time.Since(start)
	start = time.Now()
	if _, err := e.Run(ctx, p, feeds); err != nil {
		return err
	}
	run := time.Since(start)
	kernels, err := e.Profile(ctx, p, feeds)
	if err != nil {
		return err
	}
	var total time.Duration
	dispatches := 0
	for _, k := range kernels {
		total += k.Total
		dispatches += k.Dispatches
	}
	fmt.Fprintf(w, "\n### WebGPU kernels of one image's features (B = 1), %s\n\n", e.Name())
	fmt.Fprintf(w, "First run (compiling, uploading, the weights' constant steps) %.0f ms, a further run %.0f ms "+
		"in one submission; each of its %d commands alone, waited for:\n\n", ms(first), ms(run), dispatches)
	fmt.Fprintf(w, "| kernel | dispatches | ms | share |\n|---|---|---|---|\n")
	for _, k := range kernels {
		fmt.Fprintf(w, "| %s | %d | %.1f | %.0f%% |\n", k.Kernel, k.Dispatches, ms(k.Total), 100*k.Total.Seconds()/total.Seconds())
	}
	fmt.Fprintf(w, "| all | %d | %.1f | 100%% |\n", dispatches, ms(total))
	return nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

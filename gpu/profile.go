//go:build cgo || js

package gpu

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/oodgpu/oodgpu/graph"
)

// Profile runs p once as Run does (so that the program and its setup exist), then each of the
// run's commands alone, in a submission of its own waited for, and returns the time per kernel,
// largest first. A dispatch alone also pays the submission and the wait, so the times bound what
// each kernel costs within a run from above; their sum shows where a run goes.
func (e *Executor) Profile(ctx context.Context, p *graph.Plan, feeds graph.Feeds) ([]KernelTime, error) {
	if _, err := e.Run(ctx, p, feeds); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	prog := e.programs[p]
	if prog == nil {
		return nil, fmt.Errorf("gpu: profile: the plan was forgotten during the run")
	}
	byKernel := map[string]*KernelTime{}
	for _, c := range prog.cmds {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gpu: profile cancelled: %w", err)
		}
		d, err := e.timeAlone(c)
		if err != nil {
			return nil, err
		}
		label := c.label
		if c.clear != nil {
			label = "clear"
		}
		k := byKernel[label]
		if k == nil {
			k = &KernelTime{Kernel: label}
			byKernel[label] = k
		}
		k.Dispatches++
		k.Total += d
	}
	out := make([]KernelTime, 0, len(byKernel))
	for _, k := range byKernel {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Total > out[j].Total })
	return out, nil
}

// timeAlone submits command c alone and waits for the device to finish it.
func (e *Executor) timeAlone(c command) (d time.Duration, err error) {
	defer recoverInto(&err)
	enc, err := e.d.dev.TryCreateCommandEncoder(nil)
	if err != nil {
		return 0, fmt.Errorf("gpu: profile: %w", err)
	}
	if c.clear != nil {
		if err := enc.TryClearBuffer(c.clear, 0, c.clear.GetSize()); err != nil {
			return 0, fmt.Errorf("gpu: profile: %w", err)
		}
	} else {
		pass := enc.BeginComputePass(nil)
		pass.SetPipeline(c.pipeline)
		pass.SetBindGroup(0, c.bind, nil)
		pass.DispatchWorkgroups(c.x, c.y, c.z)
		err := pass.TryEnd()
		pass.Release()
		if err != nil {
			return 0, fmt.Errorf("gpu: profile: %w", err)
		}
	}
	cmd, err := enc.TryFinish(nil)
	if err != nil {
		return 0, fmt.Errorf("gpu: profile: %w", err)
	}
	start := time.Now()
	e.d.queue.Submit(cmd)
	e.d.dev.Poll(true, nil)
	return time.Since(start), nil
}

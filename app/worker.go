package app

import (
	"errors"
	"fmt"
	"sync"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/scorer"
)

// The worker is app.wasm a second time, in a Web Worker, where the pages' models run: there it
// finds no document (InWorker) and runs ServeWorker instead of the pages. The page starts it
// with worker.js (WorkerPath), which loads Go's wasm_exec.js and app.wasm, whose resolved paths
// the page reads from go-app's environment (the Handler's Env). Messages:
//
//	page to worker: {start: {wasmExec, wasm}} first (worker.js), then
//	                {id, op, model, name, file} with file, an ArrayBuffer, transferred (see
//	                the op constants)
//	worker to page: {id, result} with result, an ArrayBuffer of a gob-encoded workResult,
//	                transferred; {id, error} when a result cannot be sent; {error} when the
//	                worker cannot go on (app.wasm did not start, or stopped)
const (
	// WorkerPath is the worker's script (app/static/worker.js).
	WorkerPath = "/web/worker.js"
	// wasmExecPath is Go's wasm_exec.js as go-app serves it.
	wasmExecPath = "/wasm_exec.js"
	// envWorker and envWasm name the resolved paths of worker.js and app.wasm in go-app's
	// environment.
	envWorker = "OODGPU_WORKER_JS"
	envWasm   = "OODGPU_APP_WASM"
)

// InWorker reports whether app.wasm runs in a Web Worker (there is no document): the worker's
// role, ServeWorker, rather than the pages'.
func InWorker() bool { return !goapp.Window().Get("document").Truthy() }

// ServeWorker runs app.wasm as the pages' worker: it downloads the models the page names and
// scores or checks the images it sends, one at a time, on the CPU executor or, once the page
// asks for it (opOpen), on WebGPU, and posts each result back. It never returns.
func ServeWorker() {
	s := &workerServer{exec: cpu.New(), models: map[string]*scorer.Model{}, wake: make(chan struct{}, 1)}
	self := goapp.Window()
	self.Set("onmessage", goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		s.push(args[0].Get("data"))
		return nil
	}))
	// Requests posted while app.wasm was loading, which worker.js kept.
	if early := self.Get("oodgpuPending"); early.Truthy() {
		for i := range early.Length() {
			s.push(early.Index(i))
		}
		self.Delete("oodgpuPending")
	}
	for {
		s.serveNext()
	}
}

// workerServer is the worker's side: its queue of requests, its executor and its models.
type workerServer struct {
	exec   graph.Executor
	gpu    bool                     // exec is WebGPU
	models map[string]*scorer.Model // by path

	mu    sync.Mutex
	queue []goapp.Value
	wake  chan struct{} // signalled when the queue gets a request
}

// push queues a request. It runs in the message handler, which must not block.
func (s *workerServer) push(msg goapp.Value) {
	s.mu.Lock()
	s.queue = append(s.queue, msg)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// serveNext waits for a request, answers it and returns.
func (s *workerServer) serveNext() {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.mu.Unlock()
		<-s.wake
		return
	}
	msg := s.queue[0]
	s.queue = s.queue[1:]
	s.mu.Unlock()

	id := msg.Get("id").Int()
	r := s.answer(msg)
	b, err := r.encode()
	if err != nil {
		goapp.Window().Call("postMessage", map[string]any{"id": id, "error": err.Error()})
		return
	}
	out := goapp.Window().Get("Uint8Array").New(len(b))
	goapp.CopyBytesToJS(out, b)
	buf := out.Get("buffer")
	goapp.Window().Call("postMessage", map[string]any{"id": id, "result": buf}, []any{buf})
}

// cpuWarmUps is how many times the worker's warm-up scores the blank image on the CPU: V8
// optimises the WebAssembly code of a score once it has run long enough, and each run of the
// warm-up is that much less optimising while the user's first images are scored (on 2 cores,
// about 1 s of it over two images after one run, 0.5 s after three).
const cpuWarmUps = 3

// answer runs one request.
func (s *workerServer) answer(msg goapp.Value) workResult {
	r := workResult{Where: ranInWorker}
	op := msg.Get("op").String()
	if op == opOpen {
		g, err := gpu.New(gpu.Options{})
		if err != nil {
			r.failed(failRun, err)
			return r
		}
		s.exec, s.gpu = g, true
		return r
	}
	m, err := s.model(msg.Get("model").String())
	if err != nil {
		r.failed(failModel, err)
		return r
	}
	file := msg.Get("file")
	b := bytesOf(file, file.Get("byteLength").Int())
	if op == opWarm {
		runs := cpuWarmUps
		if s.gpu {
			runs = 1 // the pipelines are compiled: more runs would hold the user up for seconds
		}
		r = warmUp(m, s.exec, b, runs)
	} else {
		r = runWork(m, s.exec, op, msg.Get("name").String(), b)
	}
	r.Where = ranInWorker
	return r
}

// model downloads and decodes the weight file at path once.
func (s *workerServer) model(path string) (*scorer.Model, error) {
	if m := s.models[path]; m != nil {
		return m, nil
	}
	b, err := fetchBytes(path, maxModelBytes)
	if err != nil {
		return nil, err
	}
	m, err := scorer.Decode(path, b)
	if err != nil {
		return nil, err
	}
	s.models[path] = m
	return m, nil
}

// modelWorker is the page's side of the worker.
type modelWorker struct {
	w       goapp.Value
	mu      sync.Mutex
	lastID  int
	waiting map[int]chan workerAnswer
	dead    chan struct{} // closed when the worker failed; err says how
	die     sync.Once
	err     error
}

// workerAnswer is the worker's answer to one request, or why there is none.
type workerAnswer struct {
	r   workResult
	err error
}

// startWorker starts the worker; requests may be sent at once: worker.js keeps them until
// app.wasm runs.
func startWorker() *modelWorker {
	c := &modelWorker{waiting: map[int]chan workerAnswer{}, dead: make(chan struct{})}
	c.w = goapp.Window().Get("Worker").New(envPath(envWorker, WorkerPath))
	c.w.Set("onmessage", goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		c.receive(args[0].Get("data"))
		return nil
	}))
	c.w.Set("onerror", goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		msg := "the worker's script failed"
		if m := args[0].Get("message"); m.Truthy() {
			msg = m.String()
		}
		c.fail(errors.New(msg))
		return nil
	}))
	c.w.Call("postMessage", map[string]any{"start": map[string]any{
		"wasmExec": wasmExecPath, "wasm": envPath(envWasm, wasmPath),
	}})
	return c
}

// envPath is the path go-app's environment gives under key (a content-hashed name), else def.
func envPath(key, def string) string {
	if p := goapp.Getenv(key); p != "" {
		return p
	}
	return def
}

// receive handles a message from the worker. It runs in the message handler, which must not
// block: every waiting channel has room for its answer.
func (c *modelWorker) receive(d goapp.Value) {
	if !d.Get("id").Truthy() {
		c.fail(errors.New(d.Get("error").String()))
		return
	}
	id := d.Get("id").Int()
	var a workerAnswer
	if e := d.Get("error"); e.Truthy() {
		a.err = fmt.Errorf("the worker: %s", e.String())
	} else {
		buf := d.Get("result")
		a.r, a.err = decodeWorkResult(bytesOf(buf, buf.Get("byteLength").Int()))
	}
	c.mu.Lock()
	ch := c.waiting[id]
	delete(c.waiting, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

// fail marks the worker failed with err and stops it: waiting and later requests get the
// error.
func (c *modelWorker) fail(err error) {
	c.die.Do(func() {
		c.err = fmt.Errorf("the worker failed: %w", err)
		close(c.dead)
		c.w.Call("terminate")
	})
}

// call sends the worker op for the model at info.Path, with the image file (an ArrayBuffer,
// transferred: the page loses it), or without one (goapp.Undefined(), for opOpen and opWarm),
// and waits for the result.
func (c *modelWorker) call(op string, info ModelInfo, name string, file goapp.Value) (workResult, error) {
	select {
	case <-c.dead: // keep the file: the page can use it
		return workResult{}, c.err
	default:
	}
	c.mu.Lock()
	c.lastID++
	id := c.lastID
	ch := make(chan workerAnswer, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "op": op, "model": info.Path, "name": name}
	transfer := []any{}
	if file.Truthy() {
		msg["file"] = file
		transfer = append(transfer, file)
	}
	c.w.Call("postMessage", msg, transfer)
	select {
	case a := <-ch:
		return a.r, a.err
	case <-c.dead:
		return workResult{}, c.err
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/internal/device"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// maxModelBytes bounds the weight file a worker reads (the default Glow's is a few MB; the
// largest of models/zoo some tens).
const maxModelBytes = 1 << 30

// modelSpec says which model a pipeline's workers load and where they run it. It is part of
// the DoFns' serialized configuration, so its fields are exported.
type modelSpec struct {
	Model  string // URI of a weight file; "" for the embedded default detector
	Device string // auto, gpu or cpu, as oodgpu's --device
}

// check reports an error for a device other than auto, gpu or cpu.
func (s modelSpec) check() error { return device.Check(s.Device) }

// load reads and checks the weight file (the embedded default when s.Model is "").
func (s modelSpec) load(ctx context.Context) (*scorer.Model, error) {
	if s.Model == "" {
		f, err := zoo.Default()
		if err != nil {
			return nil, err
		}
		return scorer.FromFile(zoo.DefaultName, f)
	}
	var fss fileSystems
	defer fss.close()
	b, err := fss.read(ctx, s.Model, maxModelBytes)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	return scorer.Decode(s.Model, b)
}

// executor opens the executor s.Device asks for, as oodgpu's --device does (device.Open): in
// auto mode a hardware WebGPU adapter when one works, else the CPU executor, logged (a worker
// built without cgo has no GPU support and always runs on the CPU).
func (s modelSpec) executor(ctx context.Context) (graph.Executor, error) {
	return device.Open(s.Device, "", func(msg string) { log.Infof(ctx, "oodgpu-beam: %s", msg) })
}

// worker is what a worker process sets up once per modelSpec: the model and its executor.
// The DoFn instances of a process share it and take turns (mu): the CPU executor already uses
// every core and a GPU is one device, so runs side by side would gain nothing.
type worker struct {
	mu    sync.Mutex
	model *scorer.Model
	exec  graph.Executor
}

var (
	workersMu sync.Mutex
	workers   = map[modelSpec]*worker{}
)

// workerFor returns the process's worker for s, setting it up on first use.
func workerFor(ctx context.Context, s modelSpec) (*worker, error) {
	workersMu.Lock()
	defer workersMu.Unlock()
	if w := workers[s]; w != nil {
		return w, nil
	}
	m, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	exec, err := s.executor(ctx)
	if err != nil {
		return nil, err
	}
	log.Infof(ctx, "oodgpu-beam: worker set up: %s on %s", m.Name, exec.Name())
	w := &worker{model: m, exec: exec}
	workers[s] = w
	return w, nil
}

// fileSystems keeps one Beam file system per URI scheme, so that reading many files reuses a
// client (a gs:// or s3:// one is costly to make).
type fileSystems map[string]filesystem.Interface

// get returns the file system of uri's scheme.
func (fss *fileSystems) get(ctx context.Context, uri string) (filesystem.Interface, error) {
	scheme := ""
	if i := strings.Index(uri, "://"); i > 0 {
		scheme = uri[:i]
	}
	if fs := (*fss)[scheme]; fs != nil {
		return fs, nil
	}
	fs, err := filesystem.New(ctx, uri)
	if err != nil {
		return nil, err
	}
	if *fss == nil {
		*fss = fileSystems{}
	}
	(*fss)[scheme] = fs
	return fs, nil
}

// read reads the file at uri, of at most limit bytes.
func (fss *fileSystems) read(ctx context.Context, uri string, limit int64) (b []byte, err error) {
	fs, err := fss.get(ctx, uri)
	if err != nil {
		return nil, err
	}
	r, err := fs.OpenRead(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// write writes b to the file at uri, replacing it.
func (fss *fileSystems) write(ctx context.Context, uri string, b []byte) (err error) {
	fs, err := fss.get(ctx, uri)
	if err != nil {
		return err
	}
	w, err := fs.OpenWrite(ctx, uri)
	if err != nil {
		return fmt.Errorf("%s: %w", uri, err)
	}
	if _, err := w.Write(b); err != nil {
		_ = w.Close()
		return fmt.Errorf("%s: %w", uri, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", uri, err)
	}
	return nil
}

// close closes the file systems.
func (fss *fileSystems) close() {
	for k, fs := range *fss {
		_ = fs.Close()
		delete(*fss, k)
	}
}

// readImage reads and decodes the image file at uri, brought to shape as `oodgpu score` brings
// image files (data.DecodeLimits.DecodeImage), within the decoding limits lim and
// data.MaxImageFileBytes.
func (fss *fileSystems) readImage(ctx context.Context, uri string, shape data.Shape, lim data.DecodeLimits) ([]uint8, error) {
	b, err := fss.read(ctx, uri, data.MaxImageFileBytes)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", uri, err)
	}
	pix, got, err := lim.DecodeImage(b, shape)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", uri, err)
	}
	if got != shape {
		return nil, fmt.Errorf("image %s: decoded to %v, want %v", uri, got, shape)
	}
	return pix, nil
}

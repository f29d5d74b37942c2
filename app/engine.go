package app

import (
	"fmt"
	"sync"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/scorer"
)

// Static assets and routes shared by the app and its server.
const (
	// ModelPath is the weight file the app scores with: a static asset, not compiled into
	// app.wasm, cached by the app's service worker.
	ModelPath = "/web/model.safetensors"
	// StylePath is the app's style sheet.
	StylePath = "/web/style.css"
	// ScoreRoute and RepresentationRoute are the app's pages.
	ScoreRoute          = "/"
	RepresentationRoute = "/representation"
	// maxModelBytes bounds the weight file download.
	maxModelBytes = 256 << 20
	// Seed is the dequantization seed of every score the app computes, as `oodgpu score`'s
	// default, so that both give the same numbers for the same file.
	Seed = 1
)

// Routes registers the app's pages with go-app. Call it before goapp.RunWhenOnBrowser in the
// browser and before serving or generating the static site on the server.
func Routes() {
	goapp.Route(ScoreRoute, goapp.NewZeroComponentFactory(&ScorePage{}))
	goapp.Route(RepresentationRoute, goapp.NewZeroComponentFactory(&RepresentationPage{}))
}

// engine is the model and the executor the pages score with.
type engine struct {
	model *scorer.Model
	exec  graph.Executor
	// backend says what runs the model, in words, for the page.
	backend string
	gpu     bool
}

var (
	engineMu sync.Mutex
	loaded   *engine
)

// loadEngine downloads the weight file once and opens the browser's WebGPU adapter, falling
// back to the CPU executor when there is none or when the URL asks for it (?backend=cpu).
func loadEngine() (*engine, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	if loaded != nil {
		return loaded, nil
	}
	b, err := fetchBytes(ModelPath, maxModelBytes)
	if err != nil {
		return nil, err
	}
	m, err := scorer.Decode(ModelPath, b)
	if err != nil {
		return nil, err
	}
	e := &engine{model: m}
	switch {
	case goapp.Window().URL().Query().Get("backend") == "cpu":
		e.exec, e.backend = cpu.New(), "CPU fallback (pure Go in WebAssembly), as ?backend=cpu asks"
	default:
		g, err := gpu.New(gpu.Options{})
		if err != nil {
			e.exec, e.backend = cpu.New(), fmt.Sprintf("CPU fallback (pure Go in WebAssembly): %v", err)
			break
		}
		e.exec, e.backend, e.gpu = g, "WebGPU: "+g.Name(), true
	}
	loaded = e
	return e, nil
}

package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/gpu"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/scorer"
)

// Static assets and routes shared by the app and its server.
const (
	// ModelPath is the weight file the app scores with by default (`oodgpu serve --model`): a
	// static asset, not compiled into app.wasm, which the pages fetch by its content-hashed name
	// (ModelInfo.Path), cached by the app's service worker.
	ModelPath = "/web/model.safetensors"
	// ModelsPath lists the weight files the app offers (ModelInfo as JSON), the default first.
	ModelsPath = "/web/models.json"
	// zooPrefix is where the further weight files are served: zooPrefix + ID + ".safetensors".
	zooPrefix = "/web/models/"
	// ExamplesPrefix is where the one-click example images are served.
	ExamplesPrefix = "/web/examples/"
	// wasmPath is the app itself, app.wasm (`make wasm`).
	wasmPath = "/web/app.wasm"
	// StylePath is the app's style sheet.
	StylePath = "/web/style.css"
	// ScoreRoute and RepresentationRoute are the app's pages.
	ScoreRoute          = "/"
	RepresentationRoute = "/representation"
	// maxModelBytes bounds the weight file download.
	maxModelBytes = 256 << 20
	// maxListBytes bounds the model list download.
	maxListBytes = 1 << 20
	// Seed is the dequantization seed of every score the app computes, as `oodgpu score`'s
	// default, so that both give the same numbers for the same file.
	Seed = 1
)

// ModelInfo describes one weight file the app offers, as the server lists it in ModelsPath.
type ModelInfo struct {
	// ID names the model in the page's URL (?model=ID): the weight file's name without
	// .safetensors, or "default" for a --model file outside the zoo.
	ID string `json:"id"`
	// Path is where the weight file is served.
	Path string `json:"path"`
	// Kind is the model family ("glow", "vae", "ddpm", "pixelcnn").
	Kind string `json:"kind"`
	// TrainedOn is the data set spec the model was trained on, FitData the images its
	// detector for B = 1 was fitted on; Threshold is that detector's threshold, the score above
	// which an image is OOD, which keeps the share Recall of in-distribution images. The pages
	// read them here, so that they need not download the model where the worker runs it.
	TrainedOn string  `json:"trained_on"`
	FitData   string  `json:"fit_data"`
	Threshold float64 `json:"threshold"`
	Recall    float64 `json:"recall"`
	// Compressor, when set, says that detector is a combined one: its score joins the gradient
	// score with the S-score of the image's length under this compressor.
	Compressor string `json:"compressor,omitempty"`
	// Width, Height and Channels are the image shape the model sees (1 channel: grey).
	Width    int `json:"width"`
	Height   int `json:"height"`
	Channels int `json:"channels"`
	// Default marks the model `oodgpu serve` scores with (the first of the list).
	Default bool `json:"default,omitempty"`
	// Bytes is the weight file's size.
	Bytes int `json:"bytes"`
}

// kindNames are the model families as the page writes them.
var kindNames = map[string]string{"glow": "Glow", "vae": "VAE", "ddpm": "DDPM", "pixelcnn": "PixelCNN++"}

// Label names the model in the page's model choice: its family, its training set and the
// image shape it sees.
func (m ModelInfo) Label() string {
	kind := kindNames[m.Kind]
	if kind == "" {
		kind = m.Kind
	}
	colour := "grey"
	if m.Channels == 3 {
		colour = "colour"
	}
	s := fmt.Sprintf("%s on %s (%dx%d %s)", kind, m.TrainedOn, m.Width, m.Height, colour)
	if m.Default {
		s += ", default"
	}
	return s
}

// engine is the model the pages score with and where it runs. The page downloads and decodes
// the model itself (pageModel) only when it runs it on its own thread, the worker having failed:
// what the page shows of the model comes from the model list (info) and the results.
type engine struct {
	info ModelInfo
	x    *executor
	// warm is the model's warm-up on x.
	warm *warmup
}

// executor is where the pages' models run, chosen once: the browser's WebGPU adapter, or the
// CPU executor where there is no hardware adapter. Either runs in a Web Worker (modelWorker:
// app.wasm a second time), so that the page's thread stays free while images are scored; should
// the worker fail, or WebGPU not open in it, the models run on the page's thread from then on.
type executor struct {
	// lineFor is the backend line, for the page, with where the models run (inWorker,
	// inPage).
	lineFor func(where string) string

	// mu lets the runs take turns (a model's warm-up first, then each image) and guards exec,
	// worker and opened.
	mu sync.Mutex
	// exec runs the models on the page's thread while worker, the worker, is nil.
	exec   graph.Executor
	worker *modelWorker
	// opened says whether the worker's executor is open (WebGPU has to be opened there).
	opened bool

	// lineMu guards gpu (WebGPU rather than the CPU), backend and backendDetail: what runs the
	// models, in words, for the page, and why there is no GPU, when there is none.
	lineMu        sync.Mutex
	gpu           bool
	backend       string
	backendDetail string
}

// Where the models run, for the backend line.
const (
	inWorker = "in a Web Worker"
	inPage   = "on the page's thread, as the Web Worker failed"
)

// line returns what runs the models and why there is no GPU, when there is none.
func (x *executor) line() (backend, detail string) {
	x.lineMu.Lock()
	defer x.lineMu.Unlock()
	return x.backend, x.backendDetail
}

// onGPU reports whether the models run on WebGPU.
func (x *executor) onGPU() bool {
	x.lineMu.Lock()
	defer x.lineMu.Unlock()
	return x.gpu
}

// where names the executor for the pages' status lines: "WebGPU" or "the CPU".
func (x *executor) where() string {
	if x.onGPU() {
		return "WebGPU"
	}
	return "the CPU"
}

// openWorker opens the worker's executor the first time; x.mu must be held. The CPU executor
// needs no opening; WebGPU opens in the worker, and should it not, the worker is given up.
func (x *executor) openWorker() {
	if x.worker == nil || x.opened {
		return
	}
	x.opened = true
	if !x.onGPU() {
		return
	}
	r, err := x.worker.call(opOpen, ModelInfo{}, "", goapp.Undefined())
	switch {
	case err != nil:
		x.workerFailed(err)
	case r.Fail != "":
		x.workerFailed(fmt.Errorf("opening WebGPU in the worker: %s", r.Err))
	}
}

// workerFailed gives up the worker, for err, and runs the models on the page's thread from then
// on: on WebGPU if it opens there, else on the CPU executor. x.mu must be held.
func (x *executor) workerFailed(err error) {
	x.worker.fail(err)
	x.worker = nil
	gpuOK, line, detail := x.onGPU(), x.lineFor(inPage), err.Error()
	if gpuOK {
		g, gerr := gpu.New(gpu.Options{})
		if gerr == nil {
			x.exec = g
		} else {
			gpuOK, line, detail = false, fmt.Sprintf("No GPU available: running on the CPU (pure Go in WebAssembly, %s)", inPage), detail+"; "+gerr.Error()
		}
	}
	if !gpuOK {
		x.exec = cpu.New()
	}
	x.lineMu.Lock()
	defer x.lineMu.Unlock()
	x.gpu, x.backend = gpuOK, line
	x.backendDetail = strings.TrimPrefix(x.backendDetail+"; ", "; ") + detail
}

// warmup is the background run that readies a model on the executor before the user's first
// image, which waits for it: app.wasm started in the worker, WebGPU opened there, the model
// downloaded and decoded there, and a blank image (blankFile, read as a dropped file is) scored
// there (warmUp): once on WebGPU, which compiles the pipelines and uploads the weights,
// cpuWarmUps times on the CPU, so that the code of a score is compiled and optimised before the
// user's first image. The page renders that result's rows without mounting them, so that its own
// code for a result is warm too. On the page's thread (the worker failed) only WebGPU warms up:
// a CPU score there would freeze the page.
type warmup struct {
	done   chan struct{} // closed when it ended
	millis float64
	err    error // wraps errModel when the model could not be loaded
}

// errModel is a warm-up's error when the model could not be downloaded or decoded.
var errModel = errors.New("the model could not be loaded")

// modelFailed reports whether w has ended without the model, which could not be loaded.
func (w *warmup) modelFailed() bool { return w.state() == "failed" && errors.Is(w.err, errModel) }

// state says how the warm-up stands, for the page: "running", "done" or "failed".
func (w *warmup) state() string {
	select {
	case <-w.done:
		if w.err != nil {
			return "failed"
		}
		return "done"
	default:
		return "running"
	}
}

var (
	engineMu  sync.Mutex
	openedExe *executor
	modelList []ModelInfo
	models    = map[string]*scorer.Model{}
	warmups   = map[string]*warmup{}
)

// loadModels downloads the list of the models the server offers, once.
func loadModels() ([]ModelInfo, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	return loadModelsLocked()
}

func loadModelsLocked() ([]ModelInfo, error) {
	if modelList != nil {
		return modelList, nil
	}
	b, err := fetchBytes(ModelsPath, maxListBytes)
	if err != nil {
		return nil, err
	}
	var list []ModelInfo
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("the model list %s: %w", ModelsPath, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("the model list %s is empty", ModelsPath)
	}
	modelList = list
	return list, nil
}

// loadEngineByID finds the model with the given ID in the server's list ("": the default),
// opens the executor (see openExecutor) and starts the model's warm-up there, once per model
// (again when the model could not be loaded).
func loadEngineByID(id string) (*engine, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	list, err := loadModelsLocked()
	if err != nil {
		return nil, err
	}
	info := list[0]
	if id != "" {
		found := false
		for _, m := range list {
			if m.ID == id {
				info, found = m, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no model %q on this server", id)
		}
	}
	x := openExecutor()
	w := warmups[info.ID]
	if w == nil || w.modelFailed() {
		w = x.warmUp(info)
		warmups[info.ID] = w
	}
	return &engine{info: info, x: x, warm: w}, nil
}

// pageModel downloads and decodes the model info describes once, for the page's own thread.
func pageModel(info ModelInfo) (*scorer.Model, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	if m := models[info.ID]; m != nil {
		return m, nil
	}
	b, err := fetchBytes(info.Path, maxModelBytes)
	if err != nil {
		return nil, err
	}
	m, err := scorer.Decode(info.Path, b)
	if err != nil {
		return nil, err
	}
	models[info.ID] = m
	return m, nil
}

// openExecutor chooses the executor once; engineMu must be held. WebGPU is used when the
// browser has a hardware adapter; a fallback adapter (software, such as SwiftShader) is skipped
// for the CPU executor, which is faster, unless the URL asks for WebGPU (?backend=webgpu);
// ?backend=cpu asks for the CPU. The worker starts at once; the executor opens in it with the
// first model's warm-up.
func openExecutor() *executor {
	if openedExe != nil {
		return openedExe
	}
	x := &executor{}
	onCPU := func(why string) func(string) string {
		return func(where string) string {
			return why + "running on the CPU (pure Go in WebAssembly, " + where + ")"
		}
	}
	switch want := goapp.Window().URL().Query().Get("backend"); want {
	case "cpu":
		x.lineFor = func(where string) string {
			return "Running on the CPU (pure Go in WebAssembly, " + where + "), as ?backend=cpu asks"
		}
	default:
		infos, _, err := gpu.Adapters(gpu.Options{})
		switch {
		case err != nil && want == "webgpu":
			x.lineFor, x.backendDetail = onCPU("No GPU available, though ?backend=webgpu asks for WebGPU: "), err.Error()
		case err != nil:
			x.lineFor, x.backendDetail = onCPU("No GPU available: "), err.Error()
		case infos[0].Type == "fallback" && want != "webgpu":
			x.lineFor = onCPU("No GPU available: the browser's WebGPU adapter is a fallback (software) one, skipped " +
				"(?backend=webgpu uses it); ")
			x.backendDetail = infos[0].String() + ": a software fallback, slower than the CPU executor"
		default:
			name := infos[0].Name
			if infos[0].Type == "fallback" {
				name += " (a fallback, software adapter, as ?backend=webgpu asks)"
			}
			x.gpu = true
			x.lineFor = func(where string) string { return "WebGPU (" + where + "): " + name }
		}
	}
	x.worker, x.backend = startWorker(), x.lineFor(inWorker)
	openedExe = x
	return x
}

// warmUp starts readying the model info describes on x in the background (see warmup). It
// holds x.mu until it ends: taken at once when free, so that the user's first image waits its
// turn, else (another model's warm-up or an image runs) when the runs before it have ended.
func (x *executor) warmUp(info ModelInfo) *warmup {
	w := &warmup{done: make(chan struct{})}
	start := now()
	locked := x.mu.TryLock()
	go func() {
		if !locked {
			x.mu.Lock()
		}
		defer x.mu.Unlock()
		defer close(w.done)
		x.openWorker()
		switch {
		case x.worker != nil:
			file, err := blankFile(info)
			if err != nil {
				w.err = err
				break
			}
			r, err := x.worker.call(opWarm, info, "warm-up", file)
			switch {
			case err != nil:
				x.workerFailed(err)
			case r.Fail == failModel:
				w.err = fmt.Errorf("%w: %s", errModel, r.Err)
			case r.Fail != "":
				w.err = fmt.Errorf("the worker could not warm the model up: %s", r.Err)
			default:
				rehearse(info, r)
			}
		case x.onGPU():
			m, err := pageModel(info)
			if err != nil {
				w.err = fmt.Errorf("%w: %v", errModel, err)
				break
			}
			file, err := blankPNG(m.ImageShape())
			if err != nil {
				w.err = err
				break
			}
			if r := warmUp(m, x.exec, file, 1); r.Fail != "" {
				w.err = fmt.Errorf("warming the model up: %s", r.Err)
			} else {
				rehearse(info, r)
			}
		}
		w.millis = now() - start
	}()
	return w
}

// run runs op on the image file (an ArrayBuffer, which the page may lose to the worker) with e's
// model, in the worker or on the page's thread, once the runs before it have ended.
func (e *engine) run(op, name string, file goapp.Value) workResult {
	x := e.x
	x.mu.Lock()
	defer x.mu.Unlock()
	x.openWorker()
	if x.worker != nil {
		r, err := x.worker.call(op, e.info, name, file)
		if err == nil {
			return r
		}
		x.workerFailed(err)
		if file.Get("byteLength").Int() == 0 { // the worker failed with the file it was given
			r.failed(failRun, err)
			return r
		}
	}
	m, err := pageModel(e.info)
	if err != nil {
		r := workResult{Where: ranInPage}
		r.failed(failModel, err)
		return r
	}
	r := runWork(m, x.exec, op, name, bytesOf(file, file.Get("byteLength").Int()))
	r.Where = ranInPage
	return r
}

// now is the page's clock in milliseconds (performance.now()).
func now() float64 { return goapp.Window().Get("performance").Call("now").Float() }

// Routes registers the app's pages with go-app. Call it before goapp.RunWhenOnBrowser in the
// browser and before serving or generating the static site on the server.
func Routes() {
	goapp.Route(ScoreRoute, goapp.NewZeroComponentFactory(&ScorePage{}))
	goapp.Route(RepresentationRoute, goapp.NewZeroComponentFactory(&RepresentationPage{}))
}

// backendLine says what runs the model (eng, nil while loading); with no GPU, why, in a
// <details>. Its data-warmup says how the model's warm-up stands ("running", "done" or
// "failed"), and data-warmup-ms how long it took.
func backendLine(eng *engine) goapp.UI {
	if eng == nil {
		return goapp.P().ID("backend").Class("backend").Text("Backend: –")
	}
	backend, detail := eng.x.line()
	line := goapp.P().ID("backend").Class("backend").DataSet("warmup", eng.warm.state()).Text(backend)
	if eng.warm.state() != "running" {
		line = line.DataSet("warmup-ms", fmt.Sprintf("%.0f", eng.warm.millis))
	}
	return goapp.Div().Class("backend-bar").Body(
		line,
		goapp.If(detail != "", func() goapp.UI {
			return goapp.Details().Class("detail").Body(goapp.Summary().Text("Why"), goapp.Code().Text(detail))
		}),
	)
}

// whenWarm updates the page's component (ctx's) once eng's warm-up has ended, so that its
// backend line says so; should the model not have loaded, noModel runs first, with the error.
func whenWarm(ctx goapp.Context, eng *engine, noModel func(error)) {
	ctx.Async(func() {
		<-eng.warm.done
		ctx.Dispatch(func(goapp.Context) {
			if eng.warm.modelFailed() {
				noModel(eng.warm.err)
			}
		})
	})
}

package app

import (
	"encoding/json"
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
	// ModelPath is the weight file the app scores with by default (`oodgpu serve --model`): a
	// static asset, not compiled into app.wasm, cached by the app's service worker.
	ModelPath = "/web/model.safetensors"
	// ModelsPath lists the weight files the app offers (ModelInfo as JSON), the default first.
	ModelsPath = "/web/models.json"
	// zooPrefix is where the further weight files are served: zooPrefix + ID + ".safetensors".
	zooPrefix = "/web/models/"
	// ExamplesPrefix is where the one-click example images are served.
	ExamplesPrefix = "/web/examples/"
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
	// Kind is the model family ("glow", "vae", "ddpm").
	Kind string `json:"kind"`
	// TrainedOn is the data set spec the model was trained on, FitData the images its
	// detector for B = 1 was fitted on.
	TrainedOn string `json:"trained_on"`
	FitData   string `json:"fit_data"`
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
var kindNames = map[string]string{"glow": "Glow", "vae": "VAE", "ddpm": "DDPM"}

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

// engine is the model and the executor the pages score with.
type engine struct {
	model *scorer.Model
	info  ModelInfo
	exec  graph.Executor
	// backend says what runs the model, in words, for the page; backendDetail is why there is
	// no GPU, when there is none.
	backend       string
	backendDetail string
	gpu           bool
}

// executor is the browser's WebGPU adapter or the CPU executor, opened once for all models.
type executor struct {
	exec          graph.Executor
	backend       string
	backendDetail string
	gpu           bool
}

var (
	engineMu  sync.Mutex
	openedExe *executor
	modelList []ModelInfo
	models    = map[string]*scorer.Model{}
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

// loadEngineByID downloads the model with the given ID from the server's list once ("": the
// default) and opens the browser's WebGPU adapter, falling back to the CPU executor when there
// is none or when the URL asks for it (?backend=cpu).
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
	m := models[info.ID]
	if m == nil {
		b, err := fetchBytes(info.Path, maxModelBytes)
		if err != nil {
			return nil, err
		}
		if m, err = scorer.Decode(info.Path, b); err != nil {
			return nil, err
		}
		models[info.ID] = m
	}
	x := openExecutor()
	return &engine{model: m, info: info, exec: x.exec, backend: x.backend, backendDetail: x.backendDetail, gpu: x.gpu}, nil
}

// openExecutor opens the executor once; engineMu must be held.
func openExecutor() *executor {
	if openedExe != nil {
		return openedExe
	}
	x := &executor{}
	switch {
	case goapp.Window().URL().Query().Get("backend") == "cpu":
		x.exec, x.backend = cpu.New(), "Running on the CPU (pure Go in WebAssembly), as ?backend=cpu asks"
	default:
		g, err := gpu.New(gpu.Options{})
		if err != nil {
			x.exec, x.backend, x.backendDetail = cpu.New(), "No GPU available: running on the CPU (pure Go in WebAssembly)", err.Error()
			break
		}
		x.exec, x.backend, x.gpu = g, "WebGPU: "+g.Name(), true
	}
	openedExe = x
	return x
}

// Routes registers the app's pages with go-app. Call it before goapp.RunWhenOnBrowser in the
// browser and before serving or generating the static site on the server.
func Routes() {
	goapp.Route(ScoreRoute, goapp.NewZeroComponentFactory(&ScorePage{}))
	goapp.Route(RepresentationRoute, goapp.NewZeroComponentFactory(&RepresentationPage{}))
}

// backendLine says what runs the model (eng, nil while loading); with no GPU, why, in a <details>.
func backendLine(eng *engine) goapp.UI {
	if eng == nil {
		return goapp.P().ID("backend").Class("backend").Text("Backend: –")
	}
	return goapp.Div().Class("backend-bar").Body(
		goapp.P().ID("backend").Class("backend").Text(eng.backend),
		goapp.If(eng.backendDetail != "", func() goapp.UI {
			return goapp.Details().Class("detail").Body(goapp.Summary().Text("Why"), goapp.Code().Text(eng.backendDetail))
		}),
	)
}

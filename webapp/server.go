//go:build !js

package webapp

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/scorer"
)

//go:embed static
var static embed.FS

// Paths of the icons the app's manifest names.
const (
	iconSVGPath = "/web/icon.svg"
	iconPNGPath = "/web/icon.png"
	wasmPath    = "/web/app.wasm"
)

// BuildHint says how to build app.wasm.
const BuildHint = "build it with `make wasm` (GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm)"

// Options configure NewServer and BuildSite.
type Options struct {
	// WebDir holds app.wasm (`make wasm` writes web/app.wasm).
	WebDir string
	// Model scores API requests; ModelBytes is its weight file, served to the app as is.
	Model      *scorer.Model
	ModelBytes []byte
	// Exec runs the API's scoring.
	Exec graph.Executor
	// MaxUploadBytes bounds a POST /api/score body (default 64 MiB) and MaxFiles its images
	// (default 64).
	MaxUploadBytes int64
	MaxFiles       int
	// ScoreTimeout bounds the scoring of one API request (default 2 minutes).
	ScoreTimeout time.Duration
}

func (o *Options) defaults() error {
	if o.Model == nil || len(o.ModelBytes) == 0 {
		return errors.New("webapp: a model and its weight file bytes are required")
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 64 << 20
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 64
	}
	if o.ScoreTimeout <= 0 {
		o.ScoreTimeout = 2 * time.Minute
	}
	return nil
}

// WasmPath is where app.wasm is expected under webDir.
func WasmPath(webDir string) string { return filepath.Join(webDir, "app.wasm") }

// CheckWasm reports whether app.wasm has been built into webDir, with how to build it if not.
func CheckWasm(webDir string) error {
	if _, err := os.Stat(WasmPath(webDir)); err != nil {
		return fmt.Errorf("%s is missing: %s", WasmPath(webDir), BuildHint)
	}
	return nil
}

// NewServer returns the HTTP handler of `oodgpu serve`: the app's pages (pre-rendered by
// go-app), its static assets (app.wasm from WebDir, the weight file, style and icons) and the
// scoring API (POST /api/score). Routes must have been called.
func NewServer(o Options) (http.Handler, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	assets, err := newAssets(o)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/score", &scoreAPI{opts: o})
	mux.Handle("/web/", assets)
	mux.Handle("/", appHandler(assets.version))
	return mux, nil
}

// appHandler configures go-app for the app's pages.
func appHandler(version string) *app.Handler {
	return &app.Handler{
		Name:               "oodgpu",
		ShortName:          "oodgpu",
		Title:              "oodgpu: out-of-distribution scores in the browser",
		Description:        "Score images for out-of-distribution detection with layer-wise gradient norms of a Glow, on WebGPU or the CPU.",
		Icon:               app.Icon{Default: iconPNGPath, Large: iconPNGPath, SVG: iconSVGPath},
		Styles:             []string{StylePath},
		CacheableResources: []string{ModelPath},
		LoadingLabel:       "Loading oodgpu… {progress}%",
		Resources:          identityResolver{},
		Version:            version,
	}
}

// identityResolver leaves /web/ paths as they are: assets serves them.
type identityResolver struct{}

func (identityResolver) Resolve(location string) string { return location }

// assets serves /web/: app.wasm from disk, the rest from memory.
type assets struct {
	wasm    string
	files   map[string]asset
	version string
}

type asset struct {
	body        []byte
	contentType string
	cache       string
}

func newAssets(o Options) (*assets, error) {
	a := &assets{wasm: WasmPath(o.WebDir), files: map[string]asset{}}
	for path, name := range map[string]string{StylePath: "static/style.css", iconSVGPath: "static/icon.svg"} {
		b, err := static.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ct := "text/css; charset=utf-8"
		if filepath.Ext(name) == ".svg" {
			ct = "image/svg+xml"
		}
		a.files[path] = asset{body: b, contentType: ct, cache: "no-cache"}
	}
	icon, err := iconPNG()
	if err != nil {
		return nil, err
	}
	a.files[iconPNGPath] = asset{body: icon, contentType: "image/png", cache: "no-cache"}
	// The weight file is immutable for this server's life: browsers may keep it for a day.
	a.files[ModelPath] = asset{body: o.ModelBytes, contentType: "application/octet-stream", cache: "public, max-age=86400"}
	h := sha256.New()
	h.Write(o.ModelBytes)
	if b, err := os.ReadFile(a.wasm); err == nil {
		h.Write(b)
	}
	a.version = hex.EncodeToString(h.Sum(nil))[:16]
	return a, nil
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == wasmPath {
		if _, err := os.Stat(a.wasm); err != nil {
			http.Error(w, "app.wasm is not built: "+BuildHint, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFile(w, r, a.wasm)
		return
	}
	f, ok := a.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", f.cache)
	http.ServeContent(w, r, filepath.Base(r.URL.Path), time.Time{}, bytes.NewReader(f.body))
}

// iconPNG draws the app icon: an orange bell curve on a dark square.
func iconPNG() ([]byte, error) {
	const n = 192
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	bg, fg := color.RGBA{0x2d, 0x2c, 0x2c, 0xff}, color.RGBA{0xf0, 0xa0, 0x30, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			img.Set(x, y, bg)
		}
	}
	for x := 0; x < n; x++ {
		u := (float64(x) - n/2) / (n / 6)
		top := int(n*0.8 - n*0.6*math.Exp(-u*u/2))
		for y := top; y < top+10 && y < n; y++ {
			img.Set(x, y, fg)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

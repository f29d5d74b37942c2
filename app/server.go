//go:build !js

package app

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"maps"
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/scorer"
)

//go:generate go run genexamples.go

// static holds the style sheet, the icon and the example images (genexamples.go draws the
// generated ones).
//
//go:embed static
var static embed.FS

// Paths of the icons the app's manifest names.
const (
	iconSVGPath = "/web/icon.svg"
	iconPNGPath = "/web/icon.png"
)

// BuildHint says how to build app.wasm.
const BuildHint = "build it with `make wasm` (GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm)"

// Defaults of `oodgpu serve --timeout` and `--queue`.
const (
	DefaultScoreTimeout = 2 * time.Minute
	DefaultMaxQueue     = 4
)

// Options configure NewServer and BuildSite.
type Options struct {
	// WebDir holds app.wasm (`make wasm` writes web/app.wasm).
	WebDir string
	// Model scores API requests; ModelBytes is its weight file, served to the app as is and
	// the app's default model.
	Model      *scorer.Model
	ModelBytes []byte
	// ZooDir is a folder of further weight files (*.safetensors, models/zoo in a checkout)
	// that the app offers beside Model; each must have a detector for B = 1. Empty or missing:
	// the app offers Model only.
	ZooDir string
	// Exec runs the API's scoring.
	Exec graph.Executor
	// MaxUploadBytes bounds a POST /api/score body (default 64 MiB) and MaxFiles its images
	// (default 64).
	MaxUploadBytes int64
	MaxFiles       int
	// DecodeLimits bound the decoding of each uploaded image (zero: data's defaults).
	DecodeLimits data.DecodeLimits
	// ScoreTimeout bounds the decoding and scoring of one API request, counted from when it
	// leaves the queue; 0 means no limit.
	ScoreTimeout time.Duration
	// MaxQueue is how many API requests may wait while another is scored (default DefaultMaxQueue;
	// negative: none). Requests beyond it are answered 503 with a Retry-After header at once.
	MaxQueue int
	// AllowOrigins lists the origins ("https://example.org") whose web pages may POST to the
	// API, besides the server's own; "*" allows every origin. Requests without an Origin header
	// (curl, scripts) are always allowed.
	AllowOrigins []string
	// Addr is the address the server listens on. When it is a loopback address, requests must
	// name localhost, a loopback address or one of AllowHosts in their Host header, so that a web
	// page cannot reach the server through a DNS name rebound to 127.0.0.1.
	Addr string
	// AllowHosts lists further Host names accepted on a loopback address; "*" accepts any.
	AllowHosts []string
}

func (o *Options) defaults() error {
	if o.Model == nil || len(o.ModelBytes) == 0 {
		return errors.New("app: a model and its weight file bytes are required")
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 64 << 20
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 64
	}
	if o.ScoreTimeout < 0 {
		return fmt.Errorf("app: scoring timeout %v: want 0 (no limit) or a positive duration", o.ScoreTimeout)
	}
	switch {
	case o.MaxQueue == 0:
		o.MaxQueue = DefaultMaxQueue
	case o.MaxQueue < 0:
		o.MaxQueue = 0
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
// scoring API (POST /api/score); every other path is 404. Requests pass the Host and Origin
// checks of Options first. Routes must have been called.
func NewServer(o Options) (http.Handler, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	assets, err := newAssets(o)
	if err != nil {
		return nil, err
	}
	// Every visitor downloads app.wasm first: compress it now rather than on the first request.
	if f := assets.files[wasmPath]; f != nil {
		go func() {
			for _, c := range []string{codingBrotli, codingGzip} {
				_, _ = f.codings.coded(c) // an error is kept, and the body sent as it is
			}
		}()
	}
	mux := http.NewServeMux()
	mux.Handle("/api/score", newScoreAPI(o))
	mux.Handle("/web/", assets)
	mux.Handle("/", pages{appHandler(assets)})
	return &guard{next: mux, origins: o.AllowOrigins, hosts: o.AllowHosts, loopback: isLoopback(hostOnly(o.Addr))}, nil
}

// Server timeouts of NewHTTPServer.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds reading a whole request, upload included.
	readTimeout = time.Minute
	// writeGrace is the time to write an answer, on top of the scoring timeout.
	writeGrace  = time.Minute
	idleTimeout = 2 * time.Minute
)

// NewHTTPServer returns the http.Server of `oodgpu serve` for handler h (from NewServer) and
// the API's scoring timeout: with scoreTimeout 0 (no limit) it has no write timeout either.
// The API moves its own deadlines while a request waits in the queue and while it is scored.
func NewHTTPServer(h http.Handler, scoreTimeout time.Duration) *http.Server {
	var write time.Duration
	if scoreTimeout > 0 {
		write = scoreTimeout + writeGrace
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: write, IdleTimeout: idleTimeout}
}

// pageFiles are the paths go-app answers: the app's pages, its scripts, manifest and style.
// Any other path is 404 here; go-app would answer it itself, and it answers /robots.txt,
// /sitemap.xml and /ads.txt by fetching http://<Host header>/web/... (500 and an error log).
var pageFiles = map[string]bool{
	"/app.js": true, "/goapp.js": true, "/app-worker.js": true, "/wasm_exec.js": true,
	"/manifest.webmanifest": true, "/manifest.json": true, "/app.css": true,
	ScoreRoute: true, RepresentationRoute: true,
}

// pages passes the app's pages and go-app's files to go-app and answers 404 for other paths.
type pages struct{ app http.Handler }

func (p pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !pageFiles[r.URL.Path] {
		http.NotFound(w, r)
		return
	}
	p.app.ServeHTTP(w, r)
}

// appHandler configures go-app for the app's pages and the assets a.
func appHandler(a *assets) *goapp.Handler {
	h := &goapp.Handler{
		Name:               "oodgpu",
		ShortName:          "oodgpu",
		Title:              "oodgpu: out-of-distribution scores in the browser",
		Description:        "Score images for out-of-distribution detection with layer-wise gradient norms of a Glow, on WebGPU or the CPU.",
		Icon:               goapp.Icon{Default: iconPNGPath, Large: iconPNGPath, SVG: iconSVGPath},
		Styles:             []string{StylePath},
		CacheableResources: []string{ModelPath, WorkerPath},
		LoadingLabel:       "Loading oodgpu… {progress}%",
		Resources:          hashedNames(a.names),
		Version:            a.version,
		Env:                map[string]string{envWorker: a.resolve(WorkerPath), envWasm: a.resolve(wasmPath)},
	}
	if a.wasmSize > 0 {
		// app.wasm is sent compressed: the loading bar counts the bytes it decodes, so its total
		// is the decoded size, not the Content-Length.
		h.WasmContentLength = strconv.Itoa(a.wasmSize)
	}
	return h
}

// hashedNames resolves the paths of the assets that have a content-hashed name to that name
// (served as immutable) and leaves the others as they are: assets serves them all.
type hashedNames map[string]string

// Resolve implements goapp.ResourceResolver.
func (n hashedNames) Resolve(location string) string {
	if h, ok := n[location]; ok {
		return h
	}
	return location
}

// Cache-Control of the assets: a content-hashed name never changes its bytes, so browsers keep
// it for a year without asking again; any other path must be revalidated (its ETag answers
// 304 when it has not changed).
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// assets serves /web/ from memory: app.wasm (read from WebDir when the server starts), worker.js,
// the weight files and the model list, style, icons and examples. app.wasm, worker.js and the
// weight files are also served under content-hashed names (names), which the pages use. Every
// asset but the images is sent compressed (brotli or gzip, as Accept-Encoding allows),
// compressed once (app.wasm as NewServer starts, the others when first asked for).
type assets struct {
	files map[string]*asset
	// names maps the paths that have a content-hashed name to it.
	names   hashedNames
	version string
	// wasmSize is app.wasm's size, 0 when it is not built.
	wasmSize int
	// models lists the weight files the app offers, the default first.
	models []ModelInfo
}

type asset struct {
	body        []byte
	contentType string
	cache       string
	etag        string
	// codings are the body's compressed forms; nil: it is sent as is.
	codings *compressed
}

func newAssets(o Options) (*assets, error) {
	a := &assets{files: map[string]*asset{}, names: hashedNames{}}
	if err := a.addStatic(); err != nil {
		return nil, err
	}
	icon, err := iconPNG()
	if err != nil {
		return nil, err
	}
	a.add(iconPNGPath, icon, "image/png", false)
	if err := a.addModels(o); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(WasmPath(o.WebDir))
	switch {
	case err == nil:
		a.add(wasmPath, b, "application/wasm", true)
		a.wasmSize = len(b)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("app: %w", err)
	}
	// The version changes with every content-hashed asset (the others are revalidated).
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(a.names)) {
		h.Write([]byte(a.names[p]))
	}
	a.version = hex.EncodeToString(h.Sum(nil))[:16]
	return a, nil
}

// add serves body at p, and when hashed also at its content-hashed name (see hashedName).
func (a *assets) add(p string, body []byte, contentType string, hashed bool) {
	sum := sha256.Sum256(body)
	f := &asset{body: body, contentType: contentType, cache: cacheRevalidate, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if contentType != "image/png" {
		f.codings = compressedOf(body, serveGzipLevel, serveBrotliLevel)
	}
	a.files[p] = f
	if hashed {
		name := hashedName(p, sum)
		a.names[p] = name
		immutable := *f
		immutable.cache = cacheImmutable
		a.files[name] = &immutable
	}
}

// hashedName inserts the first 16 hex digits of sum before path's extension:
// /web/app.wasm becomes /web/app.0123456789abcdef.wasm.
func hashedName(p string, sum [sha256.Size]byte) string {
	dir, file := path.Split(p)
	base, ext, _ := strings.Cut(file, ".")
	return dir + base + "." + hex.EncodeToString(sum[:8]) + "." + ext
}

// resolve is the path the pages use for p: its content-hashed name if it has one.
func (a *assets) resolve(p string) string { return a.names.Resolve(p) }

// staticTypes are the content types of the embedded static files, by extension.
var staticTypes = map[string]string{".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
	".js": "text/javascript; charset=utf-8"}

// addStatic adds the embedded files under static/ (style, icon, example images, the worker's
// script) at /web/<their path under static>; the worker's script also under its content-hashed
// name.
func (a *assets) addStatic() error {
	return fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := staticTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("app: static file %s: unknown type", name)
		}
		b, err := static.ReadFile(name)
		if err != nil {
			return err
		}
		p := "/web/" + strings.TrimPrefix(name, "static/")
		a.add(p, b, ct, p == WorkerPath)
		return nil
	})
}

// addModels adds the default weight file at ModelPath, the zoo's at zooPrefix+ID.safetensors,
// each also under its content-hashed name, and their list at ModelsPath, which gives the
// hashed names.
func (a *assets) addModels(o Options) error {
	const octets = "application/octet-stream"
	def, err := modelInfo(o.Model, ModelPath, len(o.ModelBytes))
	if err != nil {
		return err
	}
	def.ID, def.Default = "default", true
	a.add(ModelPath, o.ModelBytes, octets, true)
	def.Path = a.resolve(ModelPath)
	defSum := sha256.Sum256(o.ModelBytes)
	var zoo []ModelInfo
	files, err := zooFiles(o.ZooDir)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("app: model zoo: %w", err)
		}
		id := strings.TrimSuffix(filepath.Base(f), ".safetensors")
		if sha256.Sum256(b) == defSum {
			def.ID = id // the default is this zoo file: one entry, named as the file
			continue
		}
		m, err := scorer.Decode(f, b)
		if err != nil {
			return fmt.Errorf("app: model zoo: %w", err)
		}
		p := zooPrefix + id + ".safetensors"
		info, err := modelInfo(m, p, len(b))
		if err != nil {
			return fmt.Errorf("app: model zoo: %w", err)
		}
		a.add(p, b, octets, true)
		info.ID, info.Path = id, a.resolve(p)
		zoo = append(zoo, info)
	}
	sort.SliceStable(zoo, func(i, j int) bool { return kindOrder(zoo[i].Kind) < kindOrder(zoo[j].Kind) })
	a.models = append([]ModelInfo{def}, zoo...)
	list, err := json.MarshalIndent(a.models, "", "  ")
	if err != nil {
		return err
	}
	a.add(ModelsPath, list, "application/json", false)
	return nil
}

// zooFiles lists the weight files of dir by name; an empty or missing dir has none.
func zooFiles(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return nil, fmt.Errorf("app: model zoo %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// kindOrder lists Glow models first, then VAEs, then the others (DDPM, PixelCNN++) in zoo order.
func kindOrder(kind string) int {
	switch kind {
	case "glow":
		return 0
	case "vae":
		return 1
	}
	return 2
}

// modelInfo describes m, served at path, for the app; m must have a detector for B = 1.
func modelInfo(m *scorer.Model, path string, size int) (ModelInfo, error) {
	det, err := m.Detector(1)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("%s: %w", m.Name, err)
	}
	s := m.ImageShape()
	info := ModelInfo{Path: path, Kind: m.Meta.Kind, TrainedOn: m.Meta.TrainingData, FitData: det.FitData,
		Threshold: det.Threshold, Recall: det.Recall, Width: s.W, Height: s.H, Channels: s.C, Bytes: size}
	if det.Complexity != nil {
		info.Compressor = det.Complexity.Compressor
	}
	return info, nil
}

// ServeHTTP answers an asset, compressed in the best coding the request accepts (with
// Content-Encoding, and Vary: Accept-Encoding on every compressible asset), with its
// Cache-Control, ETag and Content-Length; conditional requests, and Range requests for a body
// sent as it is, as http.ServeContent answers them.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.URL.Path]
	if !ok {
		if r.URL.Path == wasmPath {
			http.Error(w, "app.wasm is not built: "+BuildHint, http.StatusNotFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", f.cache)
	body, etag := f.body, f.etag
	if f.codings != nil {
		h.Add("Vary", "Accept-Encoding")
		for _, c := range acceptedCodings(r.Header.Get("Accept-Encoding")) {
			// Compressing into memory does not fail; should it, the body goes as it is.
			if b, err := f.codings.coded(c); err == nil && len(b) < len(body) {
				body, etag = b, strings.TrimSuffix(etag, `"`)+"-"+c+`"`
				h.Set("Content-Encoding", c)
				// http.ServeContent gives no Content-Length with a Content-Encoding, since a range
				// of the coded body is ambiguous: the whole body is sent, with its length.
				r = r.Clone(r.Context())
				r.Header.Del("Range")
				h.Set("Content-Length", strconv.Itoa(len(body)))
				break
			}
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
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

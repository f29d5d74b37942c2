//go:build !js

package app

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// multipartBody builds a form with one file part per (name, content) pair.
func multipartBody(t *testing.T, files ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	return formBody(t, "", nil, files...)
}

// formBody builds a multipart form: the text fields (name, value), then one "image" file part
// per (name, content) pair; an empty boundary keeps the writer's random one.
func formBody(t testing.TB, boundary string, fields [][2]string, files ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		part, err := w.CreateFormFile("image", f[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScoreAPI(t *testing.T) {
	srv := startServer(t, t.TempDir())
	in, ood := readFile(t, inImage), readFile(t, oodImage)
	want := nativeScores(t, inImage, oodImage)
	many := make([][2]string, 65)
	for i := range many {
		many[i] = [2]string{"x.png", in}
	}
	five := make([][2]string, 5)
	for i := range five {
		five[i] = [2]string{"x.png", in}
	}
	cases := []struct {
		name        string
		method      string
		query       string
		files       [][2]string
		raw         string // body when files is nil
		status      int
		wantResults int
		wantErrors  int
		wantMessage string
	}{
		{"get", http.MethodGet, "", nil, "", http.StatusMethodNotAllowed, 0, 0, "POST image files"},
		{"not multipart", http.MethodPost, "", nil, "hello", http.StatusBadRequest, 0, 0, "multipart/form-data"},
		{"two images and a text file", http.MethodPost, "", [][2]string{{"in.png", in}, {"notes.txt", "hello"}, {"ood.png", ood}},
			"", http.StatusOK, 2, 1, ""},
		{"only bad files", http.MethodPost, "", [][2]string{{"a.txt", "hello"}, {"b.png", in[:len(in)/2]}},
			"", http.StatusBadRequest, 0, 0, "no image could be scored"},
		{"too many files", http.MethodPost, "", many, "", http.StatusRequestEntityTooLarge, 0, 0, "more than 64 files"},
		{"bad batch", http.MethodPost, "?batch=zero", [][2]string{{"in.png", in}}, "", http.StatusBadRequest, 0, 0, "positive integer"},
		{"batch without detector", http.MethodPost, "?batch=3", [][2]string{{"in.png", in}}, "", http.StatusBadRequest, 0, 0, "no detector fitted"},
		{"batch of five", http.MethodPost, "?batch=5", five, "", http.StatusOK, 1, 0, ""},
		{"batch not dividing", http.MethodPost, "?batch=5", [][2]string{{"in.png", in}}, "", http.StatusBadRequest, 0, 0, "not a multiple"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(c.raw)
			ct := "text/plain"
			if c.files != nil {
				body, ct = multipartBody(t, c.files...)
			}
			req, err := http.NewRequest(c.method, srv.URL+"/api/score"+c.query, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, raw)
			}
			if c.wantMessage != "" {
				if !strings.Contains(string(raw), c.wantMessage) {
					t.Errorf("answer %s, want it to say %q", raw, c.wantMessage)
				}
				return
			}
			var got ScoreResponse
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
			if len(got.Results) != c.wantResults || len(got.Errors) != c.wantErrors {
				t.Fatalf("%d results and %d errors, want %d and %d: %s", len(got.Results), len(got.Errors), c.wantResults, c.wantErrors, raw)
			}
			for _, r := range got.Results {
				if len(r.ZScores) != len(got.Layers) {
					t.Errorf("%s: %d z-scores for %d layers", r.Input, len(r.ZScores), len(got.Layers))
				}
			}
			if c.name == "two images and a text file" {
				for i, r := range got.Results {
					if r.Score != want[i].Score || r.Verdict != want[i].Verdict {
						t.Errorf("%s: score %g (%s), `oodgpu score` gives %g (%s)", r.Input, r.Score, r.Verdict, want[i].Score, want[i].Verdict)
					}
				}
				if !strings.Contains(got.Errors[0].Error, "not a usable image") {
					t.Errorf("text file: %q", got.Errors[0].Error)
				}
			}
		})
	}
}

func TestUploadLimit(t *testing.T) {
	routesOnce.Do(Routes)
	m, b := defaultModelAndBytes(t)
	h, err := NewServer(Options{WebDir: t.TempDir(), Model: m, ModelBytes: b, Exec: cpu.New(), MaxUploadBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartBody(t, [2]string{"in.png", strings.Repeat("x", 5000)})
	req, _ := http.NewRequest(http.MethodPost, "/api/score", body)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "larger than 1000 bytes") {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestAssets(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	get := func(path string) (int, string, http.Header) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, _ := get("/web/app.wasm"); code != http.StatusNotFound || !strings.Contains(body, "make wasm") {
		t.Errorf("missing app.wasm: %d %q", code, body)
	}
	if err := CheckWasm(dir); err == nil || !strings.Contains(err.Error(), "make wasm") {
		t.Errorf("CheckWasm on an empty folder: %v", err)
	}
	code, body, hdr := get(ModelPath)
	if code != http.StatusOK || body != string(zoo.DefaultBytes()) || hdr.Get("Cache-Control") != cacheRevalidate || hdr.Get("ETag") == "" {
		t.Errorf("model: %d, %d bytes, Cache-Control %q, ETag %q", code, len(body), hdr.Get("Cache-Control"), hdr.Get("ETag"))
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL+ModelPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", hdr.Get("ETag"))
	if resp, err := srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("model revalidated with its ETag: %v, %v; want 304", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, p := range []string{ScoreRoute, RepresentationRoute} {
		code, body, _ := get(p)
		if code != http.StatusOK || !strings.Contains(body, "oodgpu") || !strings.Contains(body, `id="drop"`) {
			t.Errorf("page %s: %d, pre-rendered drop zone missing", p, code)
		}
	}
	for _, p := range []string{StylePath, iconSVGPath, iconPNGPath, WorkerPath, "/manifest.webmanifest", "/app-worker.js"} {
		if code, _, _ := get(p); code != http.StatusOK {
			t.Errorf("%s: HTTP %d", p, code)
		}
	}
	if code, _, _ := get("/web/../go.mod"); code == http.StatusOK {
		t.Error("a path outside the assets was served")
	}
	for _, ex := range examples {
		code, body, hdr := get(ExamplesPrefix + ex.file)
		if code != http.StatusOK || hdr.Get("Content-Type") != "image/png" {
			t.Errorf("example %s: HTTP %d, %s", ex.file, code, hdr.Get("Content-Type"))
			continue
		}
		if _, _, err := image.Decode(strings.NewReader(body)); err != nil {
			t.Errorf("example %s: %v", ex.file, err)
		}
	}
}

// TestModelList: the server lists the default model first, then every zoo file (the default's
// own once), each served with what it was trained and fitted on.
func TestModelList(t *testing.T) {
	srv := startServer(t, t.TempDir())
	resp, err := srv.Client().Get(srv.URL + ModelsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []ModelInfo
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(zooDir, "*.safetensors"))
	if err != nil || len(files) == 0 {
		t.Fatalf("zoo %s: %d files, %v", zooDir, len(files), err)
	}
	if len(list) != len(files) {
		t.Errorf("%d models listed, %d files in the zoo (the default is one of them)", len(list), len(files))
	}
	defSum := sha256.Sum256(zoo.DefaultBytes())
	if len(list) == 0 || !list[0].Default || list[0].Path != hashedName(ModelPath, defSum) || list[0].ID != "glow-fashionmnist" {
		t.Fatalf("first model %+v, want the default at %s's content-hashed name, named as its zoo file", list[0], ModelPath)
	}
	colour, ids := 0, map[string]bool{}
	for i, m := range list {
		if ids[m.ID] || m.TrainedOn == "" || m.FitData == "" || m.Width == 0 || (i > 0 && m.Default) {
			t.Errorf("model %d: %+v", i, m)
		}
		ids[m.ID] = true
		if m.Channels == 3 {
			colour++
		}
		r, err := srv.Client().Get(srv.URL + m.Path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || len(b) != m.Bytes || r.Header.Get("Cache-Control") != cacheImmutable {
			t.Errorf("%s: HTTP %d, %d bytes, listed as %d, Cache-Control %q", m.Path, r.StatusCode, len(b), m.Bytes, r.Header.Get("Cache-Control"))
			continue
		}
		if sum := sha256.Sum256(b); !strings.Contains(m.Path, hex.EncodeToString(sum[:8])) {
			t.Errorf("%s: not named by its content (SHA-256 %x)", m.Path, sum)
		}
		model, err := scorer.Decode(m.Path, b)
		if err != nil {
			t.Errorf("%s: %v", m.Path, err)
			continue
		}
		det, err := model.Detector(1)
		switch {
		case err != nil:
			t.Errorf("%s: %v", m.Path, err)
		case det.Threshold != m.Threshold || det.Recall != m.Recall || det.FitData != m.FitData:
			t.Errorf("%s: listed with threshold %g, recall %g and fit data %q; its detector has %g, %g and %q", m.Path,
				m.Threshold, m.Recall, m.FitData, det.Threshold, det.Recall, det.FitData)
		}
	}
	if !ids["glow-cifar10"] || colour == 0 {
		t.Errorf("models %v: want the colour CIFAR-10 Glow among them", ids)
	}
	if got := list[0].Label(); got != "Glow on fashionmnist:train (28x28 grey), default" {
		t.Errorf("default model's label %q", got)
	}
}

// TestModelListWithoutZoo: without a zoo (or with a missing one) the default is the only model.
func TestModelListWithoutZoo(t *testing.T) {
	m, b := defaultModelAndBytes(t)
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "missing")} {
		o := Options{Model: m, ModelBytes: b, ZooDir: dir}
		if err := o.defaults(); err != nil {
			t.Fatal(err)
		}
		a, err := newAssets(o)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.models) != 1 || a.models[0].ID != "default" || !a.models[0].Default {
			t.Errorf("zoo %q: models %+v, want the default alone", dir, a.models)
		}
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "broken.safetensors"), []byte("not a weight file"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Model: m, ModelBytes: b, ZooDir: bad}
	if _, err := newAssets(o); err == nil || !strings.Contains(err.Error(), "broken.safetensors") {
		t.Errorf("a broken zoo file: %v, want an error naming it", err)
	}
}

// TestUnknownPaths: paths that are neither pages, go-app's files nor assets are 404, and
// nothing is logged for them (go-app's handler answered /robots.txt, /sitemap.xml and /ads.txt
// with 500 and an error log).
func TestUnknownPaths(t *testing.T) {
	var logged strings.Builder
	defer func(l func(string, ...any)) { goapp.DefaultLogger = l }(goapp.DefaultLogger)
	goapp.DefaultLogger = func(format string, v ...any) { fmt.Fprintf(&logged, format+"\n", v...) }
	routesOnce.Do(Routes)
	m, b := defaultModelAndBytes(t)
	h, err := NewServer(Options{WebDir: t.TempDir(), Model: m, ModelBytes: b, Exec: cpu.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/robots.txt", http.StatusNotFound},
		{"/sitemap.xml", http.StatusNotFound},
		{"/ads.txt", http.StatusNotFound},
		{"/favicon.ico", http.StatusNotFound},
		{"/no/such/page", http.StatusNotFound},
		{"/app.wasm", http.StatusNotFound},
		{"/web/robots.txt", http.StatusNotFound},
		{ScoreRoute, http.StatusOK},
		{RepresentationRoute, http.StatusOK},
		{"/app.js", http.StatusOK},
		{"/manifest.webmanifest", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.want {
			t.Errorf("GET %s: status %d, want %d", c.path, rec.Code, c.want)
		}
	}
	if logged.Len() > 0 {
		t.Errorf("the server logged:\n%s", logged.String())
	}
}

func TestNewHTTPServer(t *testing.T) {
	for _, c := range []struct {
		scoreTimeout time.Duration
		wantWrite    time.Duration
	}{
		{0, 0}, // --timeout 0: no limit anywhere
		{10 * time.Second, 10*time.Second + writeGrace},
		{DefaultScoreTimeout, DefaultScoreTimeout + writeGrace},
	} {
		srv := NewHTTPServer(http.NotFoundHandler(), c.scoreTimeout)
		if srv.WriteTimeout != c.wantWrite || srv.ReadHeaderTimeout == 0 {
			t.Errorf("scoring timeout %v: write timeout %v, want %v (read header timeout %v)", c.scoreTimeout, srv.WriteTimeout, c.wantWrite, srv.ReadHeaderTimeout)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	m, b := defaultModelAndBytes(t)
	for _, c := range []struct {
		name      string
		in        Options
		wantQueue int
		wantErr   string
	}{
		{"zero values", Options{}, DefaultMaxQueue, ""},
		{"no queue", Options{MaxQueue: -1}, 0, ""},
		{"queue of 9", Options{MaxQueue: 9}, 9, ""},
		{"negative timeout", Options{ScoreTimeout: -time.Second}, 0, "no limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.in
			o.Model, o.ModelBytes = m, b
			err := o.defaults()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil || o.MaxQueue != c.wantQueue || o.ScoreTimeout != c.in.ScoreTimeout {
				t.Errorf("error %v, queue %d, timeout %v; want queue %d and timeout %v kept", err, o.MaxQueue, o.ScoreTimeout, c.wantQueue, c.in.ScoreTimeout)
			}
		})
	}
}

// TestBuildSite: the static site holds the pages, go-app's files, and under web/ app.wasm, the
// worker's script and the weight files under their content-hashed names (the ones the pages
// use, and no others), each beside its .gz and .br forms, which decompress to it.
func TestBuildSite(t *testing.T) {
	web := buildWasm(t)
	routesOnce.Do(Routes)
	m, b := defaultModelAndBytes(t)
	o := Options{WebDir: web, Model: m, ModelBytes: b, ZooDir: zooDir}
	out := t.TempDir()
	start := time.Now()
	if err := BuildSite(out, o); err != nil {
		t.Fatal(err)
	}
	t.Logf("site built in %.1f s, app.wasm's brotli form at level %d", time.Since(start).Seconds(), siteWasmBrotliLevel)
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	a, err := newAssets(o)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"index.html", "representation.html", "app.js", "app-worker.js", "wasm_exec.js", "manifest.webmanifest",
		"web/style.css", "web/icon.png", "web/models.json"}
	for _, ex := range examples {
		files = append(files, "web/examples/"+ex.file)
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	siteFile := func(p string) string { return filepath.Join(out, filepath.FromSlash(strings.TrimPrefix(p, "/"))) }
	if appJS := readFile(t, siteFile("/app.js")); !strings.Contains(appJS, a.resolve(wasmPath)) {
		t.Errorf("app.js does not load app.wasm by its content-hashed name %s", a.resolve(wasmPath))
	}
	var list []ModelInfo
	if err := json.Unmarshal([]byte(readFile(t, siteFile(ModelsPath))), &list); err != nil {
		t.Fatal(err)
	}
	hashed := []string{wasmPath, WorkerPath, ModelPath}
	for _, info := range list[1:] {
		hashed = append(hashed, zooPrefix+info.ID+".safetensors")
	}
	for _, p := range hashed {
		name := a.resolve(p)
		if name == p {
			t.Errorf("%s has no content-hashed name", p)
			continue
		}
		if _, err := os.Stat(siteFile(p)); err == nil {
			t.Errorf("%s is in the site besides its content-hashed name %s", p, name)
		}
		want, err := os.ReadFile(siteFile(name))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(want, a.files[p].body) {
			t.Errorf("%s differs from what the server serves at %s", name, p)
		}
		for coding, suffix := range codingSuffix {
			packed, err := os.ReadFile(siteFile(name) + suffix)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if got := decompress(t, coding, packed); !bytes.Equal(got, want) {
				t.Errorf("%s%s decompresses to %d bytes that differ from the %d of %s", name, suffix, len(got), len(want), name)
			}
		}
	}
	for _, info := range list {
		if _, err := os.Stat(siteFile(info.Path)); err != nil {
			t.Errorf("model %s: %v", info.ID, err)
		}
	}
	if err := BuildSite(t.TempDir(), Options{WebDir: t.TempDir(), Model: m, ModelBytes: b}); err == nil || !strings.Contains(err.Error(), "make wasm") {
		t.Errorf("site without app.wasm: %v", err)
	}
}

// decompress decodes b from coding (codingBrotli or codingGzip).
func decompress(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader = brotli.NewReader(bytes.NewReader(b))
	if coding == codingGzip {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return out
}

// TestCompressedAssets: app.wasm, the worker's script and the weight files are answered in the
// coding the request accepts (brotli first), with Content-Encoding and Vary headers, and decode
// to the files' bytes; without Accept-Encoding they are sent as they are. Content-hashed names
// are immutable, and the ones the service worker caches; app.js gives go-app's loading bar
// app.wasm's decoded size.
func TestCompressedAssets(t *testing.T) {
	web := buildWasm(t)
	srv := startServer(t, web)
	wasm, err := os.ReadFile(WasmPath(web))
	if err != nil {
		t.Fatal(err)
	}
	worker, err := static.ReadFile("static/worker.js")
	if err != nil {
		t.Fatal(err)
	}
	appJS := fetch(t, srv, "/app.js", "")
	for name, want := range map[string][]byte{"app.wasm": wasm, "worker.js": worker} {
		hashed := hashedName("/web/"+name, sha256.Sum256(want))
		if !strings.Contains(string(appJS.body), hashed) {
			t.Errorf("app.js does not name %s", hashed)
		}
		for _, p := range []string{"/web/" + name, hashed} {
			for _, c := range []struct{ accept, want string }{
				{"gzip, deflate, br, zstd", codingBrotli},
				{"gzip;q=1.0, br;q=0", codingGzip},
				{"*", codingBrotli},
				{"", ""},
				{"identity", ""},
			} {
				r := fetch(t, srv, p, c.accept)
				got := r.body
				if c.want != "" {
					got = decompress(t, c.want, r.body)
				}
				if r.code != http.StatusOK || r.header.Get("Content-Encoding") != c.want || !bytes.Equal(got, want) ||
					!strings.Contains(r.header.Get("Vary"), "Accept-Encoding") || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
					t.Errorf("%s with Accept-Encoding %q: HTTP %d, Content-Encoding %q (want %q), Vary %q, Content-Length %s, "+
						"%d bytes sent decoding to %d (want %d, equal)", p, c.accept, r.code, r.header.Get("Content-Encoding"), c.want,
						r.header.Get("Vary"), r.header.Get("Content-Length"), len(r.body), len(got), len(want))
				}
			}
			cache := fetch(t, srv, p, "br").header.Get("Cache-Control")
			if want := map[bool]string{true: cacheImmutable, false: cacheRevalidate}[p == hashed]; cache != want {
				t.Errorf("%s: Cache-Control %q, want %q", p, cache, want)
			}
		}
		if name == "app.wasm" {
			br, gz := fetch(t, srv, hashed, "br"), fetch(t, srv, hashed, "gzip")
			t.Logf("app.wasm: %d bytes, %d with brotli, %d with gzip", len(want), len(br.body), len(gz.body))
		}
	}
	// The service worker caches app.wasm, the worker's script and the default weight file by the
	// names the pages use.
	serviceWorker := string(fetch(t, srv, "/app-worker.js", "").body)
	for _, p := range []string{hashedName(wasmPath, sha256.Sum256(wasm)), hashedName(WorkerPath, sha256.Sum256(worker)),
		hashedName(ModelPath, sha256.Sum256(zoo.DefaultBytes()))} {
		if !strings.Contains(serviceWorker, `"`+p+`"`) {
			t.Errorf("the service worker does not cache %s", p)
		}
	}
	if want := fmt.Sprintf(`goappWasmContentLength = "%d"`, len(wasm)); !strings.Contains(string(appJS.body), want) {
		t.Errorf("app.js lacks %s: the loading bar would count against the compressed size", want)
	}
	model := fetch(t, srv, ModelPath, "br")
	if model.header.Get("Content-Encoding") != codingBrotli || !bytes.Equal(decompress(t, codingBrotli, model.body), zoo.DefaultBytes()) {
		t.Errorf("the weight file with brotli: Content-Encoding %q, %d bytes", model.header.Get("Content-Encoding"), len(model.body))
	}
	if png := fetch(t, srv, iconPNGPath, "br"); png.header.Get("Content-Encoding") != "" {
		t.Errorf("a PNG sent with Content-Encoding %q", png.header.Get("Content-Encoding"))
	}
}

// response is an answer as fetch read it, its body as sent.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// fetch GETs path from srv with the given Accept-Encoding ("": none), leaving the body as sent.
func fetch(t *testing.T, srv *httptest.Server, path, acceptEncoding string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func TestAcceptedCodings(t *testing.T) {
	for header, want := range map[string]string{
		"":                         "",
		"identity":                 "",
		"gzip":                     "gzip",
		"br":                       "br",
		"gzip, deflate, br, zstd":  "br gzip",
		"GZIP;q=0.5, BR;q=0.8":     "br gzip",
		"br;q=0, gzip":             "gzip",
		"*":                        "br gzip",
		"*;q=0.1, br;q=0":          "gzip",
		"*;q=0":                    "",
		"deflate, gzip;q=bad, br ": "br",
	} {
		if got := strings.Join(acceptedCodings(header), " "); got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", header, got, want)
		}
	}
}

func defaultModelAndBytes(t testing.TB) (*scorer.Model, []byte) {
	t.Helper()
	m, err := scorer.Decode(zoo.DefaultName, zoo.DefaultBytes())
	if err != nil {
		t.Fatal(err)
	}
	return m, zoo.DefaultBytes()
}

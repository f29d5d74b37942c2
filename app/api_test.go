//go:build !js

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// testAPI returns the scoring API with the default model on the CPU executor, with the
// options change makes (nil: none).
func testAPI(t testing.TB, change func(*Options)) *scoreAPI {
	t.Helper()
	m, b := defaultModelAndBytes(t)
	o := Options{WebDir: t.TempDir(), Model: m, ModelBytes: b, Exec: cpu.New()}
	if change != nil {
		change(&o)
	}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	return newScoreAPI(o)
}

// postFiles sends files to h as POST /api/score?query under ctx and returns the answer.
func postFiles(t *testing.T, h http.Handler, ctx context.Context, query string, files ...[2]string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartBody(t, files...)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/score"+query, body)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// bombPNG encodes a w x h grey PNG of zeros: a few kilobytes that decode to w*h bytes and more.
func bombPNG(t testing.TB, w, h int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// blockFirstDecode makes a's first decode signal entered and wait for release; every decode
// then runs data.DecodeImage. deadlines receives the scoring deadline each decode sees.
func blockFirstDecode(a *scoreAPI) (entered chan struct{}, release chan struct{}, deadlines chan time.Time) {
	entered, release, deadlines = make(chan struct{}), make(chan struct{}), make(chan time.Time, 16)
	var calls atomic.Int32
	a.decode = func(ctx context.Context, b []byte, to data.Shape) ([]uint8, data.Shape, error) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		d, _ := ctx.Deadline()
		deadlines <- d
		return data.DecodeImage(b, to)
	}
	return entered, release, deadlines
}

// waitAdmitted waits until n requests hold a place in a's queue.
func waitAdmitted(t *testing.T, a *scoreAPI, n int) {
	t.Helper()
	for i := 0; len(a.admitted) != n; i++ {
		if i == 10000 {
			t.Fatalf("%d requests admitted, want %d", len(a.admitted), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueueFull(t *testing.T) {
	in := readFile(t, inImage)
	for _, c := range []struct {
		name     string
		maxQueue int // Options.MaxQueue
		waiting  int // requests that can wait while one is scored
	}{
		{"no queue", -1, 0},
		{"queue of one", 1, 1},
		{"queue of two", 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := testAPI(t, func(o *Options) { o.MaxQueue = c.maxQueue })
			entered, release, _ := blockFirstDecode(a)
			var wg sync.WaitGroup
			codes := make([]int, 1+c.waiting)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = postFiles(t, a, context.Background(), "", [2]string{"in.png", in}).Code
				}()
				if i == 0 {
					<-entered
				}
			}
			waitAdmitted(t, a, 1+c.waiting)
			// The queue is full and the first request holds the slot: the next answer must not
			// wait for it.
			done := make(chan *httptest.ResponseRecorder)
			go func() { done <- postFiles(t, a, context.Background(), "", [2]string{"in.png", in}) }()
			var rec *httptest.ResponseRecorder
			select {
			case rec = <-done:
			case <-time.After(time.Minute):
				t.Fatal("a request to a full queue waited instead of being refused")
			}
			close(release)
			wg.Wait()
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "busy") {
				t.Errorf("full queue: status %d, Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			for i, code := range codes {
				if code != http.StatusOK {
					t.Errorf("request %d (scored or queued): status %d, want 200", i, code)
				}
			}
		})
	}
}

// TestTimeoutStartsInSlot: a request's scoring deadline is counted from when it leaves the
// queue, not from when it arrived.
func TestTimeoutStartsInSlot(t *testing.T) {
	in := readFile(t, inImage)
	const timeout = time.Hour
	a := testAPI(t, func(o *Options) { o.ScoreTimeout = timeout })
	entered, release, deadlines := blockFirstDecode(a)
	first := make(chan int)
	go func() { first <- postFiles(t, a, context.Background(), "", [2]string{"first.png", in}).Code }()
	<-entered
	second := make(chan int)
	go func() { second <- postFiles(t, a, context.Background(), "", [2]string{"second.png", in}).Code }()
	waitAdmitted(t, a, 2)
	// Give the second request time to read its body and reach the queue, so that a deadline
	// set on arrival would show (the check below holds whatever the timing).
	time.Sleep(100 * time.Millisecond)
	released := time.Now()
	close(release)
	if c1, c2 := <-first, <-second; c1 != http.StatusOK || c2 != http.StatusOK {
		t.Fatalf("status %d and %d, want 200", c1, c2)
	}
	<-deadlines // the first request's
	if d := <-deadlines; d.Before(released.Add(timeout)) {
		t.Errorf("the queued request's deadline %v is before its start in the slot (%v) plus the timeout", d, released)
	}
}

func TestScoringContext(t *testing.T) {
	for _, c := range []struct {
		timeout      time.Duration
		wantDeadline bool
	}{
		{0, false},
		{10 * time.Second, true},
	} {
		a := testAPI(t, func(o *Options) { o.ScoreTimeout = c.timeout })
		ctx, cancel := a.scoringContext(context.Background())
		if _, ok := ctx.Deadline(); ok != c.wantDeadline {
			t.Errorf("timeout %v: deadline %v, want %v", c.timeout, ok, c.wantDeadline)
		}
		cancel()
	}
}

// countingExec counts executor runs and calls onRun before each.
type countingExec struct {
	graph.Executor
	runs  atomic.Int32
	onRun func()
}

func (e *countingExec) Run(ctx context.Context, p *graph.Plan, feeds graph.Feeds) ([]*graph.Tensor, error) {
	e.runs.Add(1)
	e.onRun()
	return e.Executor.Run(ctx, p, feeds)
}

// TestStopsBetweenImages: a request whose client has gone, or whose time is up, stops between
// decodes and between scoring runs instead of finishing its work.
func TestStopsBetweenImages(t *testing.T) {
	in := readFile(t, inImage)
	for _, c := range []struct {
		name        string
		files       int
		timeout     time.Duration
		cancelAfter int  // decodes before the client goes (0: never)
		cancelInRun bool // the client goes during the first scoring run
		waitOnFirst bool // the first decode lasts until the deadline
		wantDecodes int32
		wantRuns    int32
		wantMessage string
	}{
		{name: "client gone while decoding", files: 5, cancelAfter: 2, wantDecodes: 2, wantRuns: 0, wantMessage: "cancelled"},
		{name: "client gone while scoring", files: 3, cancelInRun: true, wantDecodes: 3, wantRuns: 1, wantMessage: "cancelled"},
		{name: "deadline while decoding", files: 4, timeout: 20 * time.Millisecond, waitOnFirst: true, wantDecodes: 1, wantRuns: 0, wantMessage: "took longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			exec := &countingExec{Executor: cpu.New(), onRun: func() {
				if c.cancelInRun {
					cancel()
				}
			}}
			a := testAPI(t, func(o *Options) { o.Exec, o.ScoreTimeout = exec, c.timeout })
			var decodes atomic.Int32
			a.decode = func(dctx context.Context, b []byte, to data.Shape) ([]uint8, data.Shape, error) {
				n := decodes.Add(1)
				if c.waitOnFirst && n == 1 {
					<-dctx.Done()
				}
				if int(n) == c.cancelAfter {
					cancel()
				}
				return data.DecodeImage(b, to)
			}
			files := make([][2]string, c.files)
			for i := range files {
				files[i] = [2]string{"in.png", in}
			}
			rec := postFiles(t, a, ctx, "", files...)
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), c.wantMessage) {
				t.Errorf("status %d, want 503 saying %q: %s", rec.Code, c.wantMessage, rec.Body)
			}
			if decodes.Load() != c.wantDecodes || exec.runs.Load() != c.wantRuns {
				t.Errorf("%d decodes and %d scoring runs, want %d and %d", decodes.Load(), exec.runs.Load(), c.wantDecodes, c.wantRuns)
			}
		})
	}
}

// TestFreeMemoryAfterLargeDecode: memory goes back to the system after a request whose
// decoding allocated much (a decompression bomb), not after ordinary ones.
func TestFreeMemoryAfterLargeDecode(t *testing.T) {
	for _, c := range []struct {
		name      string
		file      string
		wantFrees int
	}{
		{"small image", readFile(t, inImage), 0},
		{"1500x1500 bomb", bombPNG(t, 1500, 1500), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := testAPI(t, nil)
			a.freeAfter = 1 << 20 // 1 MiB: the bomb's grey pixels alone are 2.25 MB
			frees := 0
			a.freeMemory = func() { frees++ }
			rec := postFiles(t, a, context.Background(), "", [2]string{"x.png", c.file})
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if frees != c.wantFrees {
				t.Errorf("memory returned %d times, want %d", frees, c.wantFrees)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	for _, c := range []struct {
		name        string
		v           any
		wantStatus  int
		wantMessage string
	}{
		{"finite", map[string]float64{"score": 1.5}, http.StatusOK, `"score": 1.5`},
		{"NaN", map[string]float64{"score": math.NaN()}, http.StatusInternalServerError, "encoding the answer as JSON"},
		{"infinity", []float64{math.Inf(1)}, http.StatusInternalServerError, "encoding the answer as JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeJSON(rec, http.StatusOK, c.v)
			if rec.Code != c.wantStatus || !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), c.wantMessage) {
				t.Errorf("status %d, want %d with %q: %s", rec.Code, c.wantStatus, c.wantMessage, rec.Body)
			}
		})
	}
}

// TestNaNWeights: a model with NaN weights scores every image OOD with null numbers, and the
// API answers that as JSON (it answered 200 with an empty body).
func TestNaNWeights(t *testing.T) {
	f, err := zoo.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range f.Tensors {
		for i := range w.Data {
			w.Data[i] = float32(math.NaN())
		}
	}
	m, err := scorer.FromFile("nan.safetensors", f)
	if err != nil {
		t.Fatal(err)
	}
	a := testAPI(t, func(o *Options) { o.Model = m })
	rec := postFiles(t, a, context.Background(), "", [2]string{"in.png", readFile(t, inImage)})
	var got ScoreResponse
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || len(got.Results) != 1 {
		t.Fatalf("status %d, want 200 with one result: %q", rec.Code, rec.Body)
	}
	if r := got.Results[0]; r.Verdict != scorer.OOD || !strings.Contains(rec.Body.String(), `"gradient_score": null`) {
		t.Errorf("verdict %q, want %q with a null score: %s", r.Verdict, scorer.OOD, rec.Body)
	}
}

// fuzzBoundary is the multipart boundary of FuzzScoreAPI's bodies.
const fuzzBoundary = "oodgpufuzzboundary"

// fuzzBody builds a multipart body with fuzzBoundary, one file part per (name, content) pair
// and a text field.
func fuzzBody(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	body, _ := formBody(t, fuzzBoundary, [][2]string{{"note", "a text field, not a file"}}, files...)
	return body.Bytes()
}

// FuzzScoreAPI sends arbitrary query strings and multipart bodies to POST /api/score: the
// server must answer a 2xx or 4xx status with a JSON body, and never panic. At most two files
// are scored per request, so that one input stays fast.
func FuzzScoreAPI(f *testing.F) {
	in := readFile(f, inImage)
	valid := fuzzBody(f, [2]string{"in.png", in})
	f.Add("", valid)
	f.Add("batch=1&seed=7", fuzzBody(f, [2]string{"a.png", in}, [2]string{"b.txt", "hello"}))
	f.Add("batch=5", valid)
	f.Add("batch=0&seed=-1", valid)
	f.Add("seed=99999999999999999999999", valid)
	f.Add("%zz&batch", valid)
	f.Add("", fuzzBody(f, [2]string{"half.png", in[:len(in)/2]}))
	f.Add("", fuzzBody(f, [2]string{"bomb.png", bombPNG(f, 600, 600)}))
	f.Add("", fuzzBody(f, [2]string{"a.png", in}, [2]string{"b.png", in}, [2]string{"c.png", in}))
	f.Add("", valid[:len(valid)/2])
	f.Add("", []byte("not multipart at all"))
	f.Add("", []byte{})
	m, b := defaultModelAndBytes(f)
	h, err := NewServer(Options{WebDir: f.TempDir(), Model: m, ModelBytes: b, Exec: cpu.New(), MaxFiles: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/score", bytes.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code >= 500 || rec.Code >= 300 && rec.Code < 400 {
			t.Errorf("status %d, want 2xx or 4xx: %s", rec.Code, rec.Body)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("answer of type %q is not JSON: %q", rec.Header().Get("Content-Type"), rec.Body)
		}
	})
}

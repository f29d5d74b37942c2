//go:build !js

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

// ScoreResponse is the JSON answer of POST /api/score.
type ScoreResponse struct {
	Model   string       `json:"model"`
	Backend string       `json:"backend"`
	Batch   int          `json:"batch"`
	Seed    uint64       `json:"seed"`
	Layers  []string     `json:"layers"` // names of each result's layer_z_scores
	Results []scorer.Row `json:"results"`
	// Errors lists the files that were not scored, and why.
	Errors []FileError `json:"errors,omitempty"`
	Millis float64     `json:"millis"`
}

// FileError says why one uploaded file was not scored.
type FileError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// scoreAPI answers POST /api/score: a multipart form of image files (any field name), with
// optional query parameters batch (the paper's B, default 1) and seed (default 1). Each file,
// or each group of B files in upload order, is scored as `oodgpu score` scores one file.
//
// A request is admitted before its body is read, or answered 503 with Retry-After at once when
// Options.MaxQueue requests already wait. Its upload is read as bytes; decoding and scoring
// then happen in the one scoring slot, within Options.ScoreTimeout counted from when the
// request got the slot, and stop between images when the client has gone.
type scoreAPI struct {
	opts Options
	// admitted holds a token per request being scored or waiting to be (MaxQueue+1 at most).
	admitted chan struct{}
	// slot holds a token while a request decodes and scores: one at a time on the shared
	// executor, so that parallel requests do not multiply memory.
	slot chan struct{}
	// decode decodes one uploaded file (data.DecodeImage; tests replace it).
	decode func(ctx context.Context, b []byte, to data.Shape) ([]uint8, data.Shape, error)
	// freeAfter is the decoding allocation (bytes) above which freeMemory runs after a request.
	freeAfter uint64
	// freeMemory returns memory to the operating system (debug.FreeOSMemory).
	freeMemory func()
}

// Limits of the API.
const (
	// retryAfterSeconds is the Retry-After of a 503 for a full queue.
	retryAfterSeconds = 5
	// freeAfterBytes: after a request whose decoding allocated more than this (a decompression
	// bomb, many large photos), the server returns memory to the operating system at once
	// instead of holding it until the next requests.
	freeAfterBytes = 64 << 20
)

func newScoreAPI(o Options) *scoreAPI {
	return &scoreAPI{
		opts:     o,
		admitted: make(chan struct{}, o.MaxQueue+1),
		slot:     make(chan struct{}, 1),
		decode: func(_ context.Context, b []byte, to data.Shape) ([]uint8, data.Shape, error) {
			return o.DecodeLimits.DecodeImage(b, to)
		},
		freeAfter:  freeAfterBytes,
		freeMemory: debug.FreeOSMemory,
	}
}

// scoreRequest is what the query of one API request asks for.
type scoreRequest struct {
	batch  int
	seed   uint64
	layers []string
}

// upload is one uploaded file: its bytes, or why it was refused before decoding.
type upload struct {
	name    string
	body    []byte
	refused string
}

// apiErr is an answer of the API other than scores: an HTTP status, a message and, when no
// file could be scored, why each was not.
type apiErr struct {
	status int
	msg    string
	files  []FileError
}

func (e *apiErr) Error() string { return e.msg }

func (a *scoreAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		apiError(w, http.StatusMethodNotAllowed, "POST image files as multipart/form-data")
		return
	}
	start := time.Now()
	q, err := a.parseRequest(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if !a.admit() {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		apiError(w, http.StatusServiceUnavailable, fmt.Sprintf("the server is busy: it scores one request at a time, "+
			"%d more may wait and all places are taken; retry in %d seconds", a.opts.MaxQueue, retryAfterSeconds))
		return
	}
	defer a.leave()
	files, err := a.readUpload(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	// The body is read: neither the server's read timeout nor its write timeout may end the
	// request while it waits in the queue (the background read would cancel its context).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	allocated, err := a.scoreInSlot(w, r, q, files, start)
	if err != nil {
		writeError(w, err)
	}
	if allocated > a.freeAfter {
		a.freeMemory()
	}
}

// parseRequest reads the query and checks that the model has a detector for its batch.
func (a *scoreAPI) parseRequest(r *http.Request) (scoreRequest, error) {
	batch, seed, err := queryParams(r)
	if err != nil {
		return scoreRequest{}, &apiErr{status: http.StatusBadRequest, msg: err.Error()}
	}
	layers, err := a.opts.Model.ZLayers(batch)
	if err != nil {
		return scoreRequest{}, &apiErr{status: http.StatusBadRequest, msg: err.Error()}
	}
	return scoreRequest{batch: batch, seed: seed, layers: layers}, nil
}

// admit takes a place among the requests scored or waiting, or reports that there is none.
func (a *scoreAPI) admit() bool {
	select {
	case a.admitted <- struct{}{}:
		return true
	default:
		return false
	}
}

// leave gives back the place admit took.
func (a *scoreAPI) leave() { <-a.admitted }

// readUpload reads the files of a multipart body as bytes, within the upload limits.
func (a *scoreAPI) readUpload(w http.ResponseWriter, r *http.Request) ([]upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &apiErr{status: http.StatusBadRequest, msg: "want a multipart/form-data body of image files: " + err.Error()}
	}
	var files []upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, &apiErr{status: uploadStatus(err), msg: "reading the upload: " + uploadMessage(err, a.opts.MaxUploadBytes)}
		}
		if part.FileName() == "" {
			continue
		}
		if len(files) == a.opts.MaxFiles {
			return nil, &apiErr{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("more than %d files in one request", a.opts.MaxFiles)}
		}
		f, err := a.readFile(part)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
}

// readFile reads one file part, refusing files over data.MaxImageFileBytes.
func (a *scoreAPI) readFile(part *multipart.Part) (upload, error) {
	name := part.FileName()
	b, err := io.ReadAll(io.LimitReader(part, data.MaxImageFileBytes+1))
	if err != nil {
		return upload{}, &apiErr{status: uploadStatus(err), msg: "reading " + name + ": " + uploadMessage(err, a.opts.MaxUploadBytes)}
	}
	if len(b) > data.MaxImageFileBytes {
		return upload{name: name, refused: fmt.Sprintf("larger than %d bytes", data.MaxImageFileBytes)}, nil
	}
	return upload{name: name, body: b}, nil
}

// scoreInSlot waits for the scoring slot (or for the client to go), then decodes and scores
// the files within the scoring timeout and writes the answer. It returns how many bytes
// decoding allocated.
func (a *scoreAPI) scoreInSlot(w http.ResponseWriter, r *http.Request, q scoreRequest, files []upload, start time.Time) (uint64, error) {
	select {
	case a.slot <- struct{}{}:
	case <-r.Context().Done():
		return 0, a.contextError(r.Context().Err())
	}
	defer func() { <-a.slot }()
	ctx, cancel := a.scoringContext(r.Context())
	defer cancel()
	if a.opts.ScoreTimeout > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(a.opts.ScoreTimeout + writeGrace))
	}
	before := heapAllocated()
	names, pix, bad, err := a.decodeAll(ctx, files)
	allocated := heapAllocated() - before
	if err != nil {
		return allocated, err
	}
	if err := checkCount(names, bad, q.batch); err != nil {
		return allocated, err
	}
	rows, err := a.score(ctx, q, names, pix)
	if err != nil {
		return allocated, err
	}
	resp := ScoreResponse{Model: a.opts.Model.Name, Backend: a.opts.Exec.Name(), Batch: q.batch, Seed: q.seed,
		Layers: q.layers, Results: rows, Errors: bad}
	resp.Millis = float64(time.Since(start).Microseconds()) / 1000
	writeJSON(w, http.StatusOK, resp)
	return allocated, nil
}

// scoringContext bounds a request's decoding and scoring by Options.ScoreTimeout (none when
// it is 0), from now.
func (a *scoreAPI) scoringContext(parent context.Context) (context.Context, context.CancelFunc) {
	if a.opts.ScoreTimeout <= 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, a.opts.ScoreTimeout)
}

// decodeAll decodes the files in upload order into the model's image shape, stopping between
// files when ctx ends. Files that are not usable images are listed in bad.
func (a *scoreAPI) decodeAll(ctx context.Context, files []upload) (names []string, pix [][]uint8, bad []FileError, err error) {
	shape := a.opts.Model.ImageShape()
	for i := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, a.contextError(err)
		}
		f := &files[i]
		if f.refused != "" {
			bad = append(bad, FileError{File: f.name, Error: f.refused})
			continue
		}
		p, _, err := a.decode(ctx, f.body, shape)
		f.body = nil // the bytes are not needed any more
		if err != nil {
			bad = append(bad, FileError{File: f.name, Error: "not a usable image: " + err.Error()})
			continue
		}
		names, pix = append(names, f.name), append(pix, p)
	}
	return names, pix, bad, nil
}

// checkCount refuses a request with no usable image, or with a count that batch does not
// divide.
func checkCount(names []string, bad []FileError, batch int) error {
	if len(names) == 0 {
		return &apiErr{status: http.StatusBadRequest, msg: "no image could be scored", files: bad}
	}
	if len(names)%batch != 0 {
		return &apiErr{status: http.StatusBadRequest, msg: fmt.Sprintf("%d usable images, not a multiple of batch %d", len(names), batch)}
	}
	return nil
}

// score scores each group of q.batch images as `oodgpu score` scores one file, stopping
// between groups when ctx ends.
func (a *scoreAPI) score(ctx context.Context, q scoreRequest, names []string, pix [][]uint8) ([]scorer.Row, error) {
	shape := a.opts.Model.ImageShape()
	var rows []scorer.Row
	for k := 0; k < len(names); k += q.batch {
		if err := ctx.Err(); err != nil {
			return nil, a.contextError(err)
		}
		set := &data.Set{Name: "upload", Shape: shape, N: q.batch}
		for _, p := range pix[k : k+q.batch] {
			set.Pix = append(set.Pix, p...)
		}
		r, err := a.opts.Model.Score(ctx, a.opts.Exec, set, names[k:k+q.batch], q.batch, q.seed, nil)
		if ctx.Err() != nil {
			return nil, a.contextError(ctx.Err())
		}
		if err != nil {
			return nil, &apiErr{status: http.StatusInternalServerError, msg: "scoring " + names[k] + ": " + err.Error()}
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// contextError is the answer for a request whose context ended: its scoring timeout passed,
// or its client went away (nobody reads that answer).
func (a *scoreAPI) contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &apiErr{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("decoding and scoring took longer than %v; send fewer images per request", a.opts.ScoreTimeout)}
	}
	return &apiErr{status: http.StatusServiceUnavailable, msg: "the request was cancelled: " + err.Error()}
}

// heapAllocated returns the bytes allocated on the heap so far by the whole process; requests
// decode one at a time, so a difference measures one request's decoding.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func queryParams(r *http.Request) (batch int, seed uint64, err error) {
	batch, seed = 1, 1
	q := r.URL.Query()
	if v := q.Get("batch"); v != "" {
		if batch, err = strconv.Atoi(v); err != nil || batch < 1 {
			return 0, 0, fmt.Errorf("batch %q: want a positive integer", v)
		}
	}
	if v := q.Get("seed"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("seed %q: want a non-negative integer", v)
		}
	}
	return batch, seed, nil
}

func uploadStatus(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func uploadMessage(err error, limit int64) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Sprintf("the request is larger than %d bytes", limit)
	}
	return err.Error()
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeError answers err: an *apiErr with its status, anything else as 500.
func writeError(w http.ResponseWriter, err error) {
	var e *apiErr
	if !errors.As(err, &e) {
		e = &apiErr{status: http.StatusInternalServerError, msg: err.Error()}
	}
	body := map[string]any{"error": e.msg}
	if len(e.files) > 0 {
		body["errors"] = e.files
	}
	writeJSON(w, e.status, body)
}

// writeJSON encodes v and writes it with status; when v cannot be encoded it answers 500 with
// the reason instead (never an empty answer).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encoding the answer as JSON: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

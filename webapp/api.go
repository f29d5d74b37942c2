//go:build !js

package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
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
type scoreAPI struct {
	opts Options
	mu   sync.Mutex // one scoring run at a time on the shared executor
}

func (a *scoreAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		apiError(w, http.StatusMethodNotAllowed, "POST image files as multipart/form-data")
		return
	}
	start := time.Now()
	batch, seed, err := queryParams(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := a.opts.Model.Detector(batch); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxUploadBytes)
	shape := a.opts.Model.ImageShape()
	var names []string
	var pix [][]uint8
	var bad []FileError
	mr, err := r.MultipartReader()
	if err != nil {
		apiError(w, http.StatusBadRequest, "want a multipart/form-data body of image files: "+err.Error())
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			apiError(w, uploadStatus(err), "reading the upload: "+uploadMessage(err, a.opts.MaxUploadBytes))
			return
		}
		if part.FileName() == "" {
			continue
		}
		if len(names)+len(bad) == a.opts.MaxFiles {
			apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("more than %d files in one request", a.opts.MaxFiles))
			return
		}
		name := part.FileName()
		b, err := io.ReadAll(io.LimitReader(part, data.MaxImageFileBytes+1))
		if err != nil {
			apiError(w, uploadStatus(err), "reading "+name+": "+uploadMessage(err, a.opts.MaxUploadBytes))
			return
		}
		if len(b) > data.MaxImageFileBytes {
			bad = append(bad, FileError{File: name, Error: fmt.Sprintf("larger than %d bytes", data.MaxImageFileBytes)})
			continue
		}
		p, _, err := data.DecodeImage(b, shape)
		if err != nil {
			bad = append(bad, FileError{File: name, Error: "not a usable image: " + err.Error()})
			continue
		}
		names, pix = append(names, name), append(pix, p)
	}
	if len(names) == 0 {
		resp := map[string]any{"error": "no image could be scored", "errors": bad}
		writeJSON(w, http.StatusBadRequest, resp)
		return
	}
	if len(names)%batch != 0 {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("%d usable images, not a multiple of batch %d", len(names), batch))
		return
	}
	layers, err := a.opts.Model.ZLayers(batch)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.opts.ScoreTimeout)
	defer cancel()
	a.mu.Lock()
	defer a.mu.Unlock()
	resp := ScoreResponse{Model: a.opts.Model.Name, Backend: a.opts.Exec.Name(), Batch: batch, Seed: seed, Layers: layers, Errors: bad}
	for k := 0; k < len(names); k += batch {
		set := &data.Set{Name: "upload", Shape: shape, N: batch}
		for _, p := range pix[k : k+batch] {
			set.Pix = append(set.Pix, p...)
		}
		rows, err := a.opts.Model.Score(ctx, a.opts.Exec, set, names[k:k+batch], batch, seed, nil)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, context.DeadlineExceeded) {
				status = http.StatusServiceUnavailable
				err = fmt.Errorf("scoring took longer than %v; send fewer images per request", a.opts.ScoreTimeout)
			}
			apiError(w, status, err.Error())
			return
		}
		resp.Results = append(resp.Results, rows...)
	}
	resp.Results = scorer.JSONSafe(resp.Results)
	resp.Millis = float64(time.Since(start).Microseconds()) / 1000
	writeJSON(w, http.StatusOK, resp)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

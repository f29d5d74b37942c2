package app

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// Operations of a work request: what the pages ask of where the models run.
const (
	opOpen  = "open"  // open WebGPU in the worker (its CPU executor needs no opening)
	opWarm  = "warm"  // download and decode the model and score the blank image sent (warmUp)
	opScore = "score" // score the image as `oodgpu score` does (B = 1, seed Seed)
	opHSV   = "hsv"   // the RGB to HSV check of the representation page
)

// Failure stages of a workResult.
const (
	failModel  = "model"  // the weight file could not be loaded
	failDecode = "decode" // the file is no image that can be decoded; Problem says why in words
	failGrey   = "grey"   // the RGB to HSV check got a grey image
	failRun    = "run"    // scoring or the check failed
)

// Where a workResult was computed: in the worker (no document there), or on the page's own
// thread (when the worker failed).
const (
	ranInWorker = "worker"
	ranInPage   = "page"
)

// workResult is what came of one image: the same whether the page's thread or the worker
// computed it (the worker sends it gob-encoded, which keeps NaN and infinite numbers). What the
// page shows is drawn here, off the page's thread when the worker computes it: the page only
// decodes it and mounts it.
type workResult struct {
	// Thumb is the image as the model sees it (Shape), as a PNG data URL for the page.
	Thumb string
	Shape data.Shape
	// Row is a score (opScore); Chart draws its z-scores (zBars), Targets names its layers
	// (zTargets) and Largest names the layers with the largest |z| (zLargest).
	Row            *scorer.Row
	Chart, Targets string
	Largest        []string
	// HSV is the RGB to HSV check (opHSV).
	HSV *scorer.HSVCheck
	// Fail is the stage that failed (a fail constant), "" when none did; Problem says in a few
	// words why the image could not be decoded, and Err is the error behind the failure.
	Fail, Problem, Err string
	// Where says where it ran: ranInWorker or ranInPage.
	Where string
}

// failed records that stage failed with err.
func (r *workResult) failed(stage string, err error) {
	r.Fail = stage
	if err != nil {
		r.Err = err.Error()
	}
}

// runWork decodes file (an image file's bytes) to m's image shape and runs op on it with exec.
// For opHSV the image keeps the channels it has, so that a grey one is refused.
func runWork(m *scorer.Model, exec graph.Executor, op, name string, file []byte) workResult {
	var r workResult
	shape := m.ImageShape()
	if op == opHSV {
		shape.C = 0
	}
	pix, got, err := data.DecodeImage(file, shape)
	if err != nil {
		r.failed(failDecode, err)
		r.Problem = imageProblem(file)
		return r
	}
	r.Shape = got
	if got.C == 3 {
		r.Thumb = pngDataURL(rgbImage(pix, got.W, got.H))
	} else {
		r.Thumb = pngDataURL(greyImage(pix, got.W, got.H))
	}
	set := &data.Set{Name: name, N: 1, Shape: got, Pix: pix}
	switch op {
	case opScore:
		rows, err := m.Score(context.Background(), exec, set, []string{name}, 1, Seed, nil)
		if err != nil {
			r.failed(failRun, err)
			return r
		}
		r.Row = &rows[0]
		layers, _ := m.ZLayers(1) // Score succeeded, so the detector for B = 1 exists
		r.Chart, r.Targets, r.Largest = zBars(r.Row.ZScores), zTargets(r.Row.ZScores, layers), zLargest(r.Row.ZScores, layers, 3)
	case opHSV:
		if got.C != 3 {
			r.failed(failGrey, nil)
			return r
		}
		c, err := m.HSVInvariance(context.Background(), exec, set, Seed)
		switch {
		case errors.Is(err, ood.ErrGrey):
			r.failed(failGrey, err)
		case err != nil:
			r.failed(failRun, err)
		default:
			r.HSV = &c
		}
	default:
		r.failed(failRun, fmt.Errorf("unknown operation %q", op))
	}
	return r
}

// blankPNG is the warm-up's image: a PNG file of a blank (all-zero) image of shape s.
func blankPNG(s data.Shape) ([]byte, error) {
	pix := make([]uint8, s.Size())
	var img image.Image = greyImage(pix, s.W, s.H)
	if s.C == 3 {
		img = rgbImage(pix, s.W, s.H)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding the blank warm-up image: %w", err)
	}
	return buf.Bytes(), nil
}

// warmUp scores file (blankPNG) with m and exec runs times, as runWork scores a user's image,
// from its file to its chart, and returns the last result. On WebGPU the first run compiles the
// pipelines and uploads the weights before the user's first image. Everywhere, the runs execute
// that path's code, which WebAssembly engines compile lazily and optimise once it has run long
// enough: in Chromium on 2 cores, a first image scored cold kept the page's thread from its event
// loop for 180 to 230 ms, and after one blank score V8 still spent about a second optimising the
// worker's code while the user's first two images were scored (half that after three).
func warmUp(m *scorer.Model, exec graph.Executor, file []byte, runs int) workResult {
	var r workResult
	for i := 0; i < runs && r.Fail == ""; i++ {
		r = runWork(m, exec, opScore, "warm-up", file)
	}
	return r
}

// encode is r gob-encoded, as the worker sends it.
func (r workResult) encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(r); err != nil {
		return nil, fmt.Errorf("encoding a result: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeWorkResult decodes what encode wrote.
func decodeWorkResult(b []byte) (workResult, error) {
	var r workResult
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r); err != nil {
		return r, fmt.Errorf("decoding the worker's result: %w", err)
	}
	return r, nil
}

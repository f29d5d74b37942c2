package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

func init() {
	register.DoFn4x1[context.Context, string, func(record), func(record), error](&scoreFn{})
	register.Emitter1[record]()
}

// errorColumns is the header of the error output.
var errorColumns = []string{"input", "error"}

// scoreCmd is `oodgpu-beam score`.
type scoreCmd struct {
	in     inputFlags
	output string
	shards int
	batch  int
	seed   uint64
	alpha  float64
}

func (c *scoreCmd) register(fl *flag.FlagSet) {
	c.in.register(fl)
	fl.StringVar(&c.output, "output", "", "prefix of the output files: PREFIX-SSSSS-of-NNNNN.csv and PREFIX-errors-00000-of-00001.csv (required)")
	fl.IntVar(&c.shards, "shards", 4, "CSV files the rows are spread over (each one's rows sorted by input)")
	fl.IntVar(&c.batch, "batch_images", 40, "images a worker scores per executor run (the scores do not depend on it)")
	fl.Uint64Var(&c.seed, "seed", 1, "dequantization seed, as oodgpu score's --seed")
	fl.Float64Var(&c.alpha, "alpha", 0, "when set, the verdict is OOD where the conformal p-value is at most this false-alarm rate, as oodgpu score's --alpha (default: the detector's threshold)")
}

func (c *scoreCmd) pipeline(ctx context.Context) (*beam.Pipeline, error) {
	if err := c.in.check(); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	switch {
	case c.output == "":
		return nil, errors.New("score: --output PREFIX is required")
	case c.shards < 1 || c.shards > 100000:
		return nil, fmt.Errorf("score: --shards %d: want 1 to 100000", c.shards)
	case c.batch < 1 || c.batch > 4096:
		return nil, fmt.Errorf("score: --batch_images %d: want 1 to 4096", c.batch)
	case c.alpha != 0 && !(c.alpha > 0 && c.alpha < 1):
		return nil, fmt.Errorf("score: --alpha %g: want a false-alarm rate between 0 and 1", c.alpha)
	}
	// The model is checked here, before any worker starts: it must have a B = 1 detector.
	m, err := c.in.spec.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	if _, err := m.Detector(1); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	p, s := beam.NewPipelineWithRoot()
	rows, bad := scoreImages(s, c.in.uris(s), &scoreFn{Spec: c.in.spec, Seed: c.seed, Batch: c.batch, Alpha: c.alpha,
		MaxPixelBytes: c.in.limits().MaxPixelBytes})
	writeShards(s, rows, c.output, c.shards, scorer.CSVColumns)
	writeShards(s, bad, c.output+"-errors", 1, errorColumns)
	return p, nil
}

func (c *scoreCmd) done(w io.Writer) {
	fmt.Fprintf(w, "wrote the rows to %s-*-of-%05d.csv, and the images that could not be scored (if any) to %s\n",
		c.output, c.shards, shardName(c.output+"-errors", 0, 1))
}

// scoreImages scores the images at uris (a PCollection<string>) with fn and returns their CSV
// rows and the error rows of the images that could not be read or decoded (both
// PCollection<record>). The URIs are reshuffled first, so that a runner spreads the scoring
// over its workers even when one worker listed them all.
func scoreImages(s beam.Scope, uris beam.PCollection, fn *scoreFn) (rows, bad beam.PCollection) {
	s = s.Scope("score")
	return beam.ParDo2(s, fn, beam.Reshuffle(s, uris))
}

// scoreFn scores images as `oodgpu score --format csv` does at --batch 1: each image read
// through Beam's file systems and decoded to the model's image shape, as oodgpu brings image
// files, then scored with the model's B = 1 detector in runs of up to Batch images of a bundle.
// An image's row does not depend on the images scored with it: its dequantization noise is
// drawn from its content (scorer's ImageKey). An image that cannot be read or decoded becomes a
// row of the error output.
type scoreFn struct {
	Spec          modelSpec
	Seed          uint64
	Batch         int
	Alpha         float64 // > 0: the verdict by the p-value, as oodgpu score --alpha
	MaxPixelBytes int64

	w     *worker
	fss   fileSystems
	set   *data.Set // images decoded and not yet scored
	names []string  // their URIs
}

// Setup loads the model and opens the executor, once per worker process.
func (fn *scoreFn) Setup(ctx context.Context) error {
	w, err := workerFor(ctx, fn.Spec)
	if err != nil {
		return err
	}
	fn.w = w
	return nil
}

// ProcessElement reads and decodes the image at uri and scores the images held once there are
// Batch of them.
func (fn *scoreFn) ProcessElement(ctx context.Context, uri string, emit, emitErr func(record)) error {
	shape := fn.w.model.ImageShape()
	pix, err := fn.fss.readImage(ctx, uri, shape, data.DecodeLimits{MaxPixelBytes: fn.MaxPixelBytes})
	if err != nil {
		line, lerr := csvLine([]string{uri, err.Error()})
		if lerr != nil {
			return lerr
		}
		emitErr(record{Key: uri, Line: line})
		return nil
	}
	if fn.set == nil {
		fn.set = &data.Set{Name: "beam bundle", Shape: shape}
	}
	fn.set.Pix = append(fn.set.Pix, pix...)
	fn.set.N++
	fn.names = append(fn.names, uri)
	if fn.set.N >= fn.Batch {
		return fn.flush(ctx, emit)
	}
	return nil
}

// FinishBundle scores the images still held.
func (fn *scoreFn) FinishBundle(ctx context.Context, emit, _ func(record)) error {
	return fn.flush(ctx, emit)
}

// Teardown closes the file systems.
func (fn *scoreFn) Teardown() { fn.fss.close() }

// flush scores the images held and emits their rows.
func (fn *scoreFn) flush(ctx context.Context, emit func(record)) error {
	if fn.set == nil || fn.set.N == 0 {
		return nil
	}
	fn.w.mu.Lock()
	rows, err := fn.w.model.Score(ctx, fn.w.exec, fn.set, fn.names, 1, fn.Seed, nil)
	fn.w.mu.Unlock()
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	if fn.Alpha > 0 {
		scorer.ApplyAlpha(rows, fn.Alpha)
	}
	for _, r := range rows {
		line, err := csvLine(r.CSVRecord())
		if err != nil {
			return err
		}
		emit(record{Key: r.Input, Line: line})
	}
	fn.set.N, fn.set.Pix, fn.names = 0, fn.set.Pix[:0], fn.names[:0]
	return nil
}

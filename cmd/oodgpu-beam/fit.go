package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/oodgpu/oodgpu/complexity"
	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

func init() {
	register.Combiner2[[]string, string](&collectFn{})
	register.DoFn2x1[[]string, func([]string), error](&runsFn{})
	register.Emitter1[[]string]()
	register.DoFn3x1[context.Context, []string, func(runFeatures), error](&featuresFn{})
	register.Emitter1[runFeatures]()
	register.Combiner2[fitMoments, runFeatures](&momentsFn{})
	register.DoFn3x1[runFeatures, fitMoments, func(rowScore), error](&rowScoresFn{})
	register.Emitter1[rowScore]()
	register.Combiner2[fitLists, rowScore](&scoreListsFn{})
	register.DoFn3x1[rowScore, fitLists, func(rowScore), error](&combinedFn{})
	register.DoFn5x1[context.Context, []byte, fitMoments, fitLists, fitLists, error](&writeModelFn{})
}

// noComplexity is --complexity for a detector without the S-score, as oodgpu fit's.
const noComplexity = "none"

// fitCmd is `oodgpu-beam fit`.
type fitCmd struct {
	in         inputFlags
	out        string
	batches    string
	recall     float64
	seed       uint64
	compressor string
	maxScores  int
}

func (c *fitCmd) register(fl *flag.FlagSet) {
	c.in.register(fl)
	fl.StringVar(&c.out, "out", "", "where to write the model with its detectors (local, gs:// or s3://; required)")
	fl.StringVar(&c.batches, "batch", "1,5", "batch sizes B to fit detectors for (comma-separated); groups of B are formed in URI order")
	fl.Float64Var(&c.recall, "recall", 0.95, "in-distribution recall of the verdict threshold")
	fl.Uint64Var(&c.seed, "seed", 1, "dequantization seed")
	fl.StringVar(&c.compressor, "complexity", noComplexity, "join the S-score of this compressor's input complexity to the gradient score: brotli, png or none")
	fl.IntVar(&c.maxScores, "max_fit_scores", 100000, "fit scores kept per detector: all of them up to this many fit rows, past it a grid of this many quantiles")
}

func (c *fitCmd) pipeline(ctx context.Context) (*beam.Pipeline, error) {
	if err := c.in.check(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	groups, err := scorer.ParseGroupSizes(c.batches)
	if err != nil {
		return nil, fmt.Errorf("fit: --batch %w", err)
	}
	switch {
	case c.out == "":
		return nil, errors.New("fit: --out FILE is required")
	case !(c.recall > 0 && c.recall < 1):
		return nil, fmt.Errorf("fit: --recall %g: want a share strictly between 0 and 1", c.recall)
	case c.maxScores < 2:
		return nil, fmt.Errorf("fit: --max_fit_scores %d: want at least 2", c.maxScores)
	}
	compressor := ""
	if c.compressor != noComplexity {
		cm, err := complexity.Parse(c.compressor)
		if err != nil {
			return nil, fmt.Errorf("fit: --complexity: %w", err)
		}
		compressor = cm.String()
	}
	// The model is checked here, before any worker starts, and gives the layers' names.
	m, err := c.in.spec.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	layers, err := layerNames(m)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	p, s := beam.NewPipelineWithRoot()
	runs := beam.ParDo(s, &runsFn{Groups: groups}, beam.Combine(s, &collectFn{}, c.in.uris(s)))
	feats := beam.ParDo(s, &featuresFn{Spec: c.in.spec, Groups: groups, Seed: c.seed, Compressor: compressor,
		MaxPixelBytes: c.in.limits().MaxPixelBytes, Layers: layers}, beam.Reshuffle(s, runs))
	mom := beam.Combine(s, &momentsFn{Groups: groups, Layers: layers}, feats)
	rows := beam.ParDo(s, &rowScoresFn{Groups: groups, Compressor: compressor}, feats, beam.SideInput{Input: mom})
	lists := beam.Combine(s, &scoreListsFn{Groups: len(groups), WithS: compressor != "", Max: c.maxScores}, rows)
	final := lists // a Gaussian detector's fit scores are the gradient scores
	if compressor != "" {
		comb := beam.ParDo(s, &combinedFn{Compressor: compressor}, rows, beam.SideInput{Input: lists})
		final = beam.Combine(s, &scoreListsFn{Groups: len(groups), Max: c.maxScores}, comb)
	}
	beam.ParDo0(s, &writeModelFn{Spec: c.in.spec, Groups: groups, Compressor: compressor, Recall: c.recall, Seed: c.seed,
		Input: c.in.describe(), Out: c.out}, beam.Impulse(s),
		beam.SideInput{Input: mom}, beam.SideInput{Input: lists}, beam.SideInput{Input: final})
	return p, nil
}

func (c *fitCmd) done(w io.Writer) { fmt.Fprintf(w, "wrote the detector into %s\n", c.out) }

// layerNames are the model's parameter names in feature order: the columns of its features.
func layerNames(m *scorer.Model) ([]string, error) {
	g := graph.New()
	if _, err := m.Net.Build(g, 1); err != nil {
		return nil, err
	}
	var names []string
	for _, p := range g.Params() {
		names = append(names, p.LeafName())
	}
	return names, nil
}

// collectFn gathers every URI into one sorted list: the URI order the groups of B are formed
// in. The list is held by one worker (some tens of bytes per image).
type collectFn struct{}

// CreateAccumulator is an empty list.
func (*collectFn) CreateAccumulator() []string { return nil }

// AddInput adds a URI.
func (*collectFn) AddInput(a []string, uri string) []string { return append(a, uri) }

// MergeAccumulators joins two lists.
func (*collectFn) MergeAccumulators(a, b []string) []string { return append(a, b...) }

// ExtractOutput sorts the list.
func (*collectFn) ExtractOutput(a []string) []string {
	slices.Sort(a)
	return a
}

// runsFn cuts the sorted URIs into the runs oodgpu fit makes of them: the first n images, n the
// largest multiple of lcm(B) (the images past it dropped, as oodgpu fit drops them), in runs of
// scorer.ChunkFor(B, n) consecutive images (the last one shorter), so that every group of B
// lies in one run and every run is one of oodgpu fit's executor runs. Its features are then
// the bits oodgpu fit computes on the same machine: an image's B = 1 features do not depend on
// the images run with it, but a group's B = 5 features change in their float32 rounding with
// the run they are computed in.
type runsFn struct{ Groups []int }

// ProcessElement emits the runs of the list uris.
func (fn *runsFn) ProcessElement(uris []string, emit func([]string)) error {
	l := scorer.LCM(fn.Groups)
	n := len(uris) / l * l
	if n < 2*l {
		return fmt.Errorf("fit: %d images, too few for groups of %d (at least %d)", len(uris), l, 2*l)
	}
	chunk := scorer.ChunkFor(fn.Groups, n)
	for lo := 0; lo < n; lo += chunk {
		emit(uris[lo:min(lo+chunk, n)])
	}
	return nil
}

// runFeatures are the features of one run's images.
type runFeatures struct {
	NLL []float64 // per image, bits/dim
	L   []float64 // per image, the input complexity in bits/dim; empty unless the fit has a compressor
	// Rows holds, per batch size (in the order of the fit's groups), one feature row per group of
	// B consecutive images of the run.
	Rows [][][]float64
}

// featuresFn computes the features of a run of images (runsFn) in one executor run: each image
// read through Beam's file systems and decoded to the model's image shape, their NLLs,
// per-group features and, with a compressor, input complexities. An image that cannot be read
// or decoded fails the fit, as it fails oodgpu fit: dropping it would change the groups.
type featuresFn struct {
	Spec          modelSpec
	Groups        []int
	Seed          uint64
	Compressor    string // "" for none
	MaxPixelBytes int64
	Layers        []string // the model's layers, checked against the features'

	w   *worker
	fss fileSystems
}

// Setup loads the model and opens the executor, once per worker process.
func (fn *featuresFn) Setup(ctx context.Context) error {
	w, err := workerFor(ctx, fn.Spec)
	if err != nil {
		return err
	}
	fn.w = w
	return nil
}

// Teardown closes the file systems.
func (fn *featuresFn) Teardown() { fn.fss.close() }

// ProcessElement computes and emits the features of the run uris.
func (fn *featuresFn) ProcessElement(ctx context.Context, uris []string, emit func(runFeatures)) error {
	m := fn.w.model
	set := &data.Set{Name: "beam run", Shape: m.ImageShape()}
	lim := data.DecodeLimits{MaxPixelBytes: fn.MaxPixelBytes}
	for _, uri := range uris {
		pix, err := fn.fss.readImage(ctx, uri, set.Shape, lim)
		if err != nil {
			return fmt.Errorf("fit: %w", err)
		}
		set.Pix = append(set.Pix, pix...)
		set.N++
	}
	rf := runFeatures{}
	if fn.Compressor != "" {
		c, err := complexity.Parse(fn.Compressor)
		if err != nil {
			return err
		}
		if rf.L, err = complexity.All(c, set); err != nil {
			return fmt.Errorf("fit: %w", err)
		}
	}
	fn.w.mu.Lock()
	ex := m.Extractor(fn.w.exec, set, fn.Groups, set.N, fn.Seed)
	feats, err := ex.Run(ctx, set.N, nil)
	fn.w.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	if !slices.Equal(feats.Layers, fn.Layers) {
		return fmt.Errorf("fit: the features' layers %q are not the model's %q", feats.Layers, fn.Layers)
	}
	rf.NLL = feats.NLL
	for _, b := range fn.Groups {
		rf.Rows = append(rf.Rows, feats.Rows[b])
	}
	emit(rf)
	return nil
}

// fitMoments is the merged state of the fit's Gaussians (one per batch size) and of the
// typicality's mean NLL.
type fitMoments struct {
	Moments []ood.Moments // per batch size, in the order of the fit's groups
	NLLSum  float64
	Images  int
}

// momentsFn merges the runs' features into fitMoments: parts merge exactly (ood.Moments), so
// the Gaussians equal those of a fit over all the rows at once.
type momentsFn struct {
	Groups []int
	Layers []string
}

// CreateAccumulator is the state of no rows.
func (fn *momentsFn) CreateAccumulator() fitMoments {
	a := fitMoments{}
	for range fn.Groups {
		a.Moments = append(a.Moments, *ood.NewMoments(fn.Layers))
	}
	return a
}

// AddInput adds a run's rows and NLLs.
func (fn *momentsFn) AddInput(a fitMoments, u runFeatures) (fitMoments, error) {
	if len(u.Rows) != len(a.Moments) {
		return a, fmt.Errorf("fit: features for %d batch sizes, want %d", len(u.Rows), len(a.Moments))
	}
	for k, rows := range u.Rows {
		for _, r := range rows {
			if err := a.Moments[k].Add(r); err != nil {
				return a, err
			}
		}
	}
	for _, v := range u.NLL {
		a.NLLSum += v
	}
	a.Images += len(u.NLL)
	return a, nil
}

// MergeAccumulators merges b into a.
func (fn *momentsFn) MergeAccumulators(a, b fitMoments) (fitMoments, error) {
	if len(a.Moments) != len(b.Moments) {
		return a, fmt.Errorf("fit: merging moments of %d and %d batch sizes", len(a.Moments), len(b.Moments))
	}
	for k := range a.Moments {
		if err := a.Moments[k].Merge(&b.Moments[k]); err != nil {
			return a, err
		}
	}
	a.NLLSum += b.NLLSum
	a.Images += b.Images
	return a, nil
}

// gaussians are the fitted Gaussians of m, one per batch size.
func (m fitMoments) gaussians() ([]*ood.Gaussian, error) {
	var gs []*ood.Gaussian
	for k := range m.Moments {
		g, err := m.Moments[k].Gaussian()
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// rowScore is a fit row's score for the detector of batch size number Group: its gradient
// score (or, out of combinedFn, its combined score) and its S-score (0 without a compressor).
type rowScore struct {
	Group    int
	Score, S float64
}

// rowScoresFn scores each fit row of a run with the fitted Gaussians (a side input), as
// ood.FitWith scores its fit rows: +Inf for unusable features; with a compressor, also the
// row's S-score, an unusable one (NaN, -Inf) counted as +Inf as FitWith counts it.
type rowScoresFn struct {
	Groups     []int
	Compressor string

	gauss []*ood.Gaussian
}

// ProcessElement emits the scores of u's rows.
func (fn *rowScoresFn) ProcessElement(u runFeatures, mom fitMoments, emit func(rowScore)) error {
	if fn.gauss == nil {
		gs, err := mom.gaussians()
		if err != nil {
			return err
		}
		fn.gauss = gs
	}
	if len(u.Rows) != len(fn.Groups) {
		return fmt.Errorf("fit: features for %d batch sizes, want %d", len(u.Rows), len(fn.Groups))
	}
	for k, b := range fn.Groups {
		var s []float64
		if fn.Compressor != "" {
			var err error
			if s, err = ood.SScores(u.NLL, u.L, b); err != nil {
				return err
			}
		}
		for i, r := range u.Rows[k] {
			g, err := fn.gauss[k].Score(r)
			if err != nil && !errors.Is(err, ood.ErrBadFeatures) {
				return err
			}
			rs := rowScore{Group: k, Score: g}
			if s != nil {
				rs.S = s[i]
				if math.IsNaN(rs.S) || math.IsInf(rs.S, -1) {
					rs.S = math.Inf(1)
				}
			}
			emit(rs)
		}
	}
	return nil
}

// fitLists are the fit rows' scores, and S-scores, per batch size: sorted, and past Max of
// them a grid of Max quantiles (quantileGrid).
type fitLists struct {
	Scores [][]float64
	S      [][]float64
}

// scoreListsFn gathers the rows' scores (and with WithS their S-scores) into fitLists; each
// list is held by one worker (8 bytes a fit row).
type scoreListsFn struct {
	Groups int
	WithS  bool
	Max    int
}

// CreateAccumulator is a list of no scores per batch size.
func (fn *scoreListsFn) CreateAccumulator() fitLists {
	return fitLists{Scores: make([][]float64, fn.Groups), S: make([][]float64, fn.Groups)}
}

// AddInput adds a row's scores.
func (fn *scoreListsFn) AddInput(a fitLists, r rowScore) (fitLists, error) {
	if r.Group < 0 || r.Group >= len(a.Scores) {
		return a, fmt.Errorf("fit: a score of batch size number %d of %d", r.Group, len(a.Scores))
	}
	a.Scores[r.Group] = append(a.Scores[r.Group], r.Score)
	if fn.WithS {
		a.S[r.Group] = append(a.S[r.Group], r.S)
	}
	return a, nil
}

// MergeAccumulators joins b's lists to a's.
func (fn *scoreListsFn) MergeAccumulators(a, b fitLists) (fitLists, error) {
	if len(a.Scores) != len(b.Scores) || len(a.S) != len(b.S) {
		return a, errors.New("fit: merging score lists of different batch sizes")
	}
	for k := range a.Scores {
		a.Scores[k] = append(a.Scores[k], b.Scores[k]...)
		a.S[k] = append(a.S[k], b.S[k]...)
	}
	return a, nil
}

// ExtractOutput sorts each list and reduces a long one to its quantile grid.
func (fn *scoreListsFn) ExtractOutput(a fitLists) fitLists {
	for _, lists := range [][][]float64{a.Scores, a.S} {
		for k, l := range lists {
			slices.Sort(l)
			lists[k] = quantileGrid(l, fn.Max)
		}
	}
	return a
}

// quantileGrid is sorted itself when it holds at most k values, else the k quantiles at
// ranks (2i+1)n/(2k), i = 0..k-1 (rounded down, 0-based): the midpoints of k equal shares of
// the n values, sorted. Percentiles, conformal p-values and the threshold computed from the
// grid are then those of all the values to within 1/k.
func quantileGrid(sorted []float64, k int) []float64 {
	n := len(sorted)
	if n <= k {
		return sorted
	}
	out := make([]float64, k)
	for i := range out {
		out[i] = sorted[(2*i+1)*n/(2*k)]
	}
	return out
}

// combinedFn scores a fit row of a combined detector: Fisher's method on the conformal
// p-values of its gradient score and S-score against the fit rows' (the lists, a side input),
// as ood.FitWith computes a combined detector's fit scores.
type combinedFn struct {
	Compressor string

	terms []*ood.ComplexityTerm
}

// ProcessElement emits r's combined score.
func (fn *combinedFn) ProcessElement(r rowScore, lists fitLists, emit func(rowScore)) error {
	if fn.terms == nil {
		for k := range lists.Scores {
			t, err := ood.NewComplexityTerm(fn.Compressor, lists.Scores[k], lists.S[k])
			if err != nil {
				return err
			}
			fn.terms = append(fn.terms, t)
		}
	}
	if r.Group < 0 || r.Group >= len(fn.terms) {
		return fmt.Errorf("fit: a score of batch size number %d of %d", r.Group, len(fn.terms))
	}
	emit(rowScore{Group: r.Group, Score: fn.terms[r.Group].FitScore(r.Score, r.S)})
	return nil
}

// writeModelFn assembles the detectors from the merged parts, stores them in the model's
// weight file as oodgpu fit does, and writes it to Out.
type writeModelFn struct {
	Spec       modelSpec
	Groups     []int
	Compressor string
	Recall     float64
	Seed       uint64
	Input      string // the fit data, as the detector records it
	Out        string
}

// ProcessElement writes the model: mom holds the Gaussians' moments, lists the rows' gradient
// scores and S-scores, final the fit scores of the detectors (lists itself for a Gaussian
// detector, the combined scores for a combined one).
func (fn *writeModelFn) ProcessElement(ctx context.Context, _ []byte, mom fitMoments, lists, final fitLists) error {
	m, err := fn.Spec.load(ctx) // a model of its own: the workers' is shared
	if err != nil {
		return err
	}
	gs, err := mom.gaussians()
	if err != nil {
		return err
	}
	if mom.Images == 0 || len(lists.Scores) != len(fn.Groups) || len(final.Scores) != len(fn.Groups) {
		return fmt.Errorf("fit: moments of %d images with score lists of %d and %d batch sizes, want %d",
			mom.Images, len(lists.Scores), len(final.Scores), len(fn.Groups))
	}
	o := ood.FitOptions{Recall: fn.Recall, FitData: fmt.Sprintf("%s (%d images)", fn.Input, mom.Images), Seed: fn.Seed}
	t := ood.Typicality{H: mom.NLLSum / float64(mom.Images)}
	var ds []*ood.Detector
	for k, b := range fn.Groups {
		var term *ood.ComplexityTerm
		if fn.Compressor != "" {
			if term, err = ood.NewComplexityTerm(fn.Compressor, lists.Scores[k], lists.S[k]); err != nil {
				return err
			}
		}
		d, err := ood.AssembleDetector(b, gs[k], t, final.Scores[k], term, o)
		if err != nil {
			return err
		}
		log.Infof(ctx, "oodgpu-beam fit: B=%d: %d rows, %d of %d layers kept, H = %.4f, threshold %.4g at %.0f%% recall",
			b, mom.Moments[k].N, len(d.Gaussian.Keep), len(d.Gaussian.Layers), t.H, d.Threshold, 100*fn.Recall)
		ds = append(ds, d)
	}
	if err := m.SetDetectors(ds); err != nil {
		return err
	}
	b, err := weights.Encode(m.File)
	if err != nil {
		return err
	}
	var fss fileSystems
	defer fss.close()
	return fss.write(ctx, fn.Out, b)
}

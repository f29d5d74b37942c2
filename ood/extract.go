package ood

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/oodgpu/oodgpu/graph"
)

// Objective is what a generative model exposes for scoring, per image of a batch.
type Objective struct {
	// LogLik is the objective whose gradients give the features (log-likelihood, ELBO or a
	// likelihood proxy) [B].
	LogLik *graph.Node
	// NLL is the negative log-likelihood in bits per dimension [B], for the baselines.
	NLL *graph.Node
}

// Extractor computes gradient features for many images in batched runs of an executor: one
// forward and one backward pass per group size for a whole chunk of images, never a loop of
// single-image backward passes.
type Extractor struct {
	Exec   graph.Executor
	Build  func(g *graph.Graph, batch int) (Objective, error)
	Params graph.Feeds
	// Inputs returns the input feeds for images idx, drawing dequantization noise from r.
	Inputs func(idx []int, r *rand.Rand) (graph.Feeds, error)
	// GroupSizes are the paper's B values to compute features for (1 and 5, say); each must
	// divide Chunk.
	GroupSizes []int
	// Chunk is the number of images per run.
	Chunk int
	// Seed fixes the dequantization noise: chunk k uses rand (Seed, k), or, with ImageKey set,
	// image i uses rand (Seed, ImageKey(i)).
	Seed uint64
	// ImageKey, when set, gives every image its own noise stream keyed by ImageKey(i) (a hash of
	// its content, say), so that an image's features depend only on the image and the seed, not
	// on its position or its neighbours. Inputs is then called once per image and the feeds are
	// joined along the batch axis.
	ImageKey func(i int) uint64
	// Plans, when set, keeps the compiled plans for later runs (and later extractors of the same
	// model) instead of building them at every run and forgetting them after.
	Plans *PlanCache
}

// Features are the gradient features of a set of images.
type Features struct {
	Layers []string // parameter names, in column order
	NLL    []float64
	// Rows maps a group size B to one feature row per group of B consecutive images.
	Rows map[int][][]float64
}

// Run extracts features for images [0, n); n must be a multiple of every group size (trailing
// images that do not fill a group are an error). progress, when not nil, is called with the
// number of images done.
func (e *Extractor) Run(ctx context.Context, n int, progress func(done int)) (*Features, error) {
	if e.Chunk < 1 {
		return nil, fmt.Errorf("ood: extract: chunk size %d", e.Chunk)
	}
	for _, b := range e.GroupSizes {
		if b < 1 || e.Chunk%b != 0 || n%b != 0 {
			return nil, fmt.Errorf("ood: extract: group size %d must divide the chunk (%d) and the image count (%d)", b, e.Chunk, n)
		}
	}
	if b, ok := e.Exec.(graph.Binder); ok && len(e.Params) > 0 {
		// The weights stay on the device across chunks and across calls with the same tensors.
		if err := b.Bind(e.Params); err != nil {
			return nil, fmt.Errorf("ood: extract: %w", err)
		}
	}
	plans := map[int]*graph.Plan{} // by chunk size
	var own []*graph.Plan          // plans this run built and does not leave in e.Plans
	defer func() {
		for _, p := range own {
			e.Exec.Forget(p)
		}
	}()
	f := &Features{Rows: map[int][][]float64{}}
	for lo := 0; lo < n; lo += e.Chunk {
		size := min(e.Chunk, n-lo)
		p := plans[size]
		if p == nil {
			key := planKey(size, e.GroupSizes)
			if e.Plans != nil {
				p, f.Layers = e.Plans.lookup(key, e.Exec)
			}
			if p == nil {
				var err error
				if p, f.Layers, err = e.Plan(size); err != nil {
					return nil, err
				}
				if e.Plans == nil || !e.Plans.add(key, e.Exec, p, f.Layers) {
					own = append(own, p)
				}
			}
			plans[size] = p
		}
		feeds, err := e.inputs(lo, size)
		if err != nil {
			return nil, err
		}
		maps.Copy(feeds, e.Params)
		out, err := e.Exec.Run(ctx, p, feeds)
		if err != nil {
			return nil, fmt.Errorf("ood: extract: images %d-%d: %w", lo, lo+size-1, err)
		}
		for _, v := range out[0].Data {
			f.NLL = append(f.NLL, float64(v))
		}
		for k, b := range e.GroupSizes {
			t := out[1+k]
			j := t.Shape[1]
			for r := 0; r < t.Shape[0]; r++ {
				row := make([]float64, j)
				for c := range row {
					row[c] = float64(t.Data[r*j+c])
				}
				f.Rows[b] = append(f.Rows[b], row)
			}
		}
		if progress != nil {
			progress(lo + size)
		}
	}
	return f, nil
}

// inputs returns the feeds of images [lo, lo+size) with their noise (see Seed and ImageKey).
func (e *Extractor) inputs(lo, size int) (graph.Feeds, error) {
	if e.ImageKey == nil {
		idx := make([]int, size)
		for i := range idx {
			idx[i] = lo + i
		}
		return e.Inputs(idx, rand.New(rand.NewPCG(e.Seed, uint64(lo/e.Chunk))))
	}
	parts := make([]graph.Feeds, size)
	for i := range parts {
		f, err := e.Inputs([]int{lo + i}, rand.New(rand.NewPCG(e.Seed, e.ImageKey(lo+i))))
		if err != nil {
			return nil, err
		}
		parts[i] = f
	}
	return joinBatch(parts)
}

// joinBatch joins single-image feeds along their leading (batch) axis.
func joinBatch(parts []graph.Feeds) (graph.Feeds, error) {
	out := graph.Feeds{}
	for name, first := range parts[0] {
		if len(first.Shape) == 0 || first.Shape[0] != 1 {
			return nil, fmt.Errorf("ood: extract: input %s of shape %v has no batch axis of 1", name, first.Shape)
		}
		shape := append(graph.Shape{len(parts)}, first.Shape[1:]...)
		joined := &graph.Tensor{Shape: shape, Data: make([]float32, 0, len(parts)*len(first.Data))}
		for _, p := range parts {
			t := p[name]
			if t == nil || !slices.Equal(t.Shape, first.Shape) {
				return nil, fmt.Errorf("ood: extract: input %s differs between images", name)
			}
			joined.Data = append(joined.Data, t.Data...)
		}
		out[name] = joined
	}
	return out, nil
}

// Plan builds and compiles the graph Run uses for a chunk of batch images: outputs NLL [B] and
// one [B/b, J] feature matrix per group size b; the names are the parameters, in column order.
func (e *Extractor) Plan(batch int) (*graph.Plan, []string, error) {
	g := graph.New()
	obj, err := e.Build(g, batch)
	if err != nil {
		return nil, nil, err
	}
	outs := []*graph.Node{obj.NLL}
	for _, b := range e.GroupSizes {
		feats, err := g.GradSqNorms(obj.LogLik, g.Params(), b)
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, feats)
	}
	p, err := graph.Compile(g, outs...)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(g.Params()))
	for i, q := range g.Params() {
		names[i] = q.LeafName()
	}
	return p, names, nil
}

// MeanFeatures is the element-wise mean of features of the same images (fs[0] first), such as
// those of several dequantization draws: each group's feature row and each image's NLL averaged.
func MeanFeatures(fs ...*Features) (*Features, error) {
	if len(fs) == 0 {
		return nil, errors.New("ood: mean of no features")
	}
	if len(fs) == 1 {
		return fs[0], nil
	}
	first := fs[0]
	out := &Features{Layers: first.Layers, NLL: make([]float64, len(first.NLL)), Rows: map[int][][]float64{}}
	for b, rows := range first.Rows {
		out.Rows[b] = make([][]float64, len(rows))
		for k, r := range rows {
			out.Rows[b][k] = make([]float64, len(r))
		}
	}
	w := 1 / float64(len(fs))
	for i, f := range fs {
		if !slices.Equal(f.Layers, first.Layers) || len(f.NLL) != len(first.NLL) || len(f.Rows) != len(first.Rows) {
			return nil, fmt.Errorf("ood: mean of features: set %d is not of the same images and layers as set 0", i)
		}
		for j, v := range f.NLL {
			out.NLL[j] += w * v
		}
		for b, rows := range f.Rows {
			if len(rows) != len(out.Rows[b]) {
				return nil, fmt.Errorf("ood: mean of features: set %d has %d rows for B = %d, set 0 %d", i, len(rows), b, len(out.Rows[b]))
			}
			for k, r := range rows {
				if len(r) != len(out.Rows[b][k]) {
					return nil, fmt.Errorf("ood: mean of features: set %d, B = %d, row %d has %d values, set 0's %d", i, b, k, len(r), len(out.Rows[b][k]))
				}
				for c, v := range r {
					out.Rows[b][k][c] += w * v
				}
			}
		}
	}
	return out, nil
}

package ood

import (
	"context"
	"fmt"
	"math/rand/v2"

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
	// Seed fixes the dequantization noise: chunk k uses rand (Seed, k).
	Seed uint64
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
	plans := map[int]*graph.Plan{}
	defer func() {
		for _, p := range plans {
			e.Exec.Forget(p)
		}
	}()
	f := &Features{Rows: map[int][][]float64{}}
	for lo := 0; lo < n; lo += e.Chunk {
		size := min(e.Chunk, n-lo)
		p := plans[size]
		if p == nil {
			var err error
			if p, f.Layers, err = e.plan(size); err != nil {
				return nil, err
			}
			plans[size] = p
		}
		idx := make([]int, size)
		for i := range idx {
			idx[i] = lo + i
		}
		feeds, err := e.Inputs(idx, rand.New(rand.NewPCG(e.Seed, uint64(lo/e.Chunk))))
		if err != nil {
			return nil, err
		}
		for k, v := range e.Params {
			feeds[k] = v
		}
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

// plan builds the graph for a chunk: NLL [B] and one [B/b, J] feature matrix per group size b.
func (e *Extractor) plan(batch int) (*graph.Plan, []string, error) {
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

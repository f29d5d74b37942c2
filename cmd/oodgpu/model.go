package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/ood"
)

// model is a loaded weight file with what scoring needs.
type model struct {
	path      string
	file      *weights.File
	meta      weights.Meta
	cfg       glow.Config
	params    graph.Feeds
	detectors []*ood.Detector
}

// detectorMeta is the JSON of weights.Meta.Detector.
type detectorMeta struct {
	Detectors []*ood.Detector `json:"detectors"`
}

// loadModel reads and checks a Glow weight file.
func loadModel(path string) (*model, error) {
	f, err := weights.Load(path)
	if err != nil {
		return nil, err
	}
	return newModel(path, f)
}

func newModel(path string, f *weights.File) (*model, error) {
	meta, err := f.Meta()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if meta.Kind != "glow" {
		return nil, fmt.Errorf("%s: model kind %q is not supported here (glow is)", path, meta.Kind)
	}
	cfg, err := glow.ParseConfig(meta.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := graph.New()
	if _, err := glow.Build(g, cfg, 1); err != nil {
		return nil, err
	}
	params, err := weights.Bind(g, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := &model{path: path, file: f, meta: meta, cfg: cfg, params: params}
	if len(meta.Detector) > 0 {
		var dm detectorMeta
		if err := json.Unmarshal(meta.Detector, &dm); err != nil {
			return nil, fmt.Errorf("%s: detector metadata: %w", path, err)
		}
		m.detectors = dm.Detectors
	}
	return m, nil
}

// detector returns the fitted detector for batch size b.
func (m *model) detector(b int) (*ood.Detector, error) {
	for _, d := range m.detectors {
		if d.GroupSize == b {
			return d, nil
		}
	}
	var have []int
	for _, d := range m.detectors {
		have = append(have, d.GroupSize)
	}
	return nil, fmt.Errorf("%s has no detector fitted for --batch %d (fitted: %v); fit one with oodgpu fit --batch %d",
		m.path, b, have, b)
}

// imageShape is the shape images are brought to before padding to the model's input.
func (m *model) imageShape() data.Shape {
	return data.Shape{H: m.cfg.Image(), W: m.cfg.Image(), C: m.cfg.Channels}
}

// extractor computes features of set's images with m.
func (m *model) extractor(exec graph.Executor, set *data.Set, groups []int, chunk int, seed uint64) *ood.Extractor {
	cfg := m.cfg
	shape := data.Shape{H: cfg.Size, W: cfg.Size, C: cfg.Channels}
	return &ood.Extractor{
		Exec: exec,
		Build: func(g *graph.Graph, batch int) (ood.Objective, error) {
			net, err := glow.Build(g, cfg, batch)
			if err != nil {
				return ood.Objective{}, err
			}
			return ood.Objective{LogLik: net.LogLik, NLL: net.BitsPerDim}, nil
		},
		Params: m.params,
		Inputs: func(idx []int, r *rand.Rand) (graph.Feeds, error) {
			x, err := set.NCHW(idx, shape, nil)
			if err != nil {
				return nil, err
			}
			cfg.Dequantize(x, r)
			return graph.Feeds{"x": &graph.Tensor{Shape: graph.Shape{len(idx), cfg.Channels, cfg.Size, cfg.Size}, Data: x}}, nil
		},
		GroupSizes: groups,
		Chunk:      chunk,
		Seed:       seed,
	}
}

// chunkFor picks images per run: a multiple of every group size, at most about 40.
func chunkFor(groups []int, n int) int {
	l := 1
	for _, b := range groups {
		l = lcm(l, b)
	}
	c := max(l, 40/l*l)
	return min(c, (n+l-1)/l*l)
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

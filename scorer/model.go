// Package scorer loads a model's weight file (Glow, VAE or DDPM) with its fitted detectors and
// scores images with it:
// NLL in bits/dim, the detector's score (the gradient score, or for a combined detector the
// gradient score joined with the S-score of the image's input complexity), typicality,
// percentile among the fit set, conformal p-value, verdict and the per-layer z-scores. The CLI, the HTTP API and the browser app share it.
package scorer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/complexity"
	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/models/weights"
	"github.com/oodgpu/oodgpu/ood"
)

// Model is a loaded weight file with what scoring needs.
type Model struct {
	Name      string // where it came from, for messages
	File      *weights.File
	Meta      weights.Meta
	Net       models.Model
	Params    graph.Feeds
	Detectors []*ood.Detector
	layers    []string // the parameter names, in feature order
	// plans keeps the feature plans of this model's extractors (Extractor), so that scoring
	// image after image builds each graph once.
	plans ood.PlanCache
}

// detectorMeta is the JSON of weights.Meta.Detector.
type detectorMeta struct {
	Detectors []*ood.Detector `json:"detectors"`
}

// Load reads and checks the weight file at path.
func Load(path string) (*Model, error) {
	f, err := weights.Load(path)
	if err != nil {
		return nil, err
	}
	return FromFile(path, f)
}

// Decode reads and checks a weight file held in memory; name is used in messages.
func Decode(name string, b []byte) (*Model, error) {
	f, err := weights.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return FromFile(name, f)
}

// FromFile checks a decoded weight file: a model (Glow, VAE or DDPM) of a valid configuration
// whose tensors match it, with the detectors its metadata holds (if any), each complete and
// consistent with the model.
func FromFile(path string, f *weights.File) (*Model, error) {
	meta, err := f.Meta()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	net, err := models.FromMeta(meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := graph.New()
	if _, err := net.Build(g, 1); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	params, err := weights.Bind(g, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := &Model{Name: path, File: f, Meta: meta, Net: net, Params: params}
	for _, p := range g.Params() {
		m.layers = append(m.layers, p.LeafName())
	}
	if len(meta.Detector) > 0 {
		dec := json.NewDecoder(bytes.NewReader(meta.Detector))
		dec.DisallowUnknownFields()
		var dm detectorMeta
		if err := dec.Decode(&dm); err != nil {
			return nil, fmt.Errorf("%s: detector metadata: %w", path, err)
		}
		if err := m.checkDetectors(dm.Detectors); err != nil {
			return nil, fmt.Errorf("%s: detector metadata: %w", path, err)
		}
		m.Detectors = dm.Detectors
	}
	return m, nil
}

// checkDetectors checks that ds are valid detectors for the model, one per group size.
func (m *Model) checkDetectors(ds []*ood.Detector) error {
	seen := map[int]bool{}
	for i, d := range ds {
		if d == nil {
			return fmt.Errorf("detector %d is null", i)
		}
		if err := d.Validate(m.layers); err != nil {
			return err
		}
		if d.Complexity != nil {
			if _, err := complexity.Parse(d.Complexity.Compressor); err != nil {
				return fmt.Errorf("ood: detector for B = %d: %w", d.GroupSize, err)
			}
		}
		if seen[d.GroupSize] {
			return fmt.Errorf("two detectors for B = %d", d.GroupSize)
		}
		seen[d.GroupSize] = true
	}
	return nil
}

// SetDetectors checks ds against the model and replaces the detectors stored in its metadata.
func (m *Model) SetDetectors(ds []*ood.Detector) error {
	if err := m.checkDetectors(ds); err != nil {
		return fmt.Errorf("%s: detectors: %w", m.Name, err)
	}
	raw, err := json.Marshal(detectorMeta{Detectors: ds})
	if err != nil {
		return fmt.Errorf("%s: detectors: %w", m.Name, err)
	}
	m.Meta.Detector = raw
	if err := m.File.SetMeta(m.Meta); err != nil {
		return err
	}
	m.Detectors = ds
	return nil
}

// Detector returns the fitted detector for batch size b.
func (m *Model) Detector(b int) (*ood.Detector, error) {
	for _, d := range m.Detectors {
		if d.GroupSize == b {
			return d, nil
		}
	}
	var have []int
	for _, d := range m.Detectors {
		have = append(have, d.GroupSize)
	}
	return nil, fmt.Errorf("%s has no detector fitted for --batch %d (fitted: %v); fit one with oodgpu fit --batch %d",
		m.Name, b, have, b)
}

// ImageShape is the shape images are brought to before padding to the model's input.
func (m *Model) ImageShape() data.Shape { return m.Net.ImageShape() }

// SetDDPMStep makes a DDPM score at diffusion step t (1-based; the default is 1). Other kinds
// accept only the default.
func (m *Model) SetDDPMStep(t int) error {
	d, ok := m.Net.(models.DDPM)
	if !ok {
		if t != 1 {
			return fmt.Errorf("%s: a diffusion step applies to DDPM models; this one is a %s", m.Name, m.Net.Kind())
		}
		return nil
	}
	if t < 1 || t > d.Cfg.Steps {
		return fmt.Errorf("%s: diffusion step %d outside 1..%d", m.Name, t, d.Cfg.Steps)
	}
	d.Step = t
	m.Net = d
	return nil
}

// Glow returns the configuration of a Glow model, or an error naming what needs one.
func (m *Model) Glow(what string) (glow.Config, error) {
	if g, ok := m.Net.(models.Glow); ok {
		return g.Cfg, nil
	}
	return glow.Config{}, fmt.Errorf("%s: %s needs a Glow; this model is a %s", m.Name, what, m.Net.Kind())
}

// Extractor computes features of set's images with m: the given group sizes, chunk images
// per executor run, dequantization noise from seed and each image's content (data.Set.ContentKey),
// so that an image's scores depend only on the image, the model and the seed.
func (m *Model) Extractor(exec graph.Executor, set *data.Set, groups []int, chunk int, seed uint64) *ood.Extractor {
	net := m.Net
	return &ood.Extractor{
		Exec: exec,
		Build: func(g *graph.Graph, batch int) (ood.Objective, error) {
			o, err := net.Build(g, batch)
			return ood.Objective(o), err
		},
		Params: m.Params,
		Inputs: func(idx []int, r *rand.Rand) (graph.Feeds, error) { return net.Inputs(set, idx, r) },
		ImageKey: func(i int) uint64 {
			k, _ := set.ContentKey(i) // i < set.N: the extractor only asks for images it runs
			return k
		},
		GroupSizes: groups,
		Chunk:      chunk,
		Seed:       seed,
		Plans:      &m.plans,
	}
}

// Forget releases the plans this model's extractors compiled from the executors that ran them.
func (m *Model) Forget() { m.plans.Forget() }

// LCM is the least common multiple of the group sizes: the image counts they all divide.
func LCM(groups []int) int {
	l := 1
	for _, b := range groups {
		l = lcm(l, b)
	}
	return l
}

// ChunkFor picks images per run for n images: a multiple of every group size, at most about 40,
// and where one between half that and that divides n, the largest such, so that every run uses
// one plan (100 images run as 4 x 25, not 40, 40 and a second plan, compiled and allocated anew,
// for the last 20).
func ChunkFor(groups []int, n int) int {
	l := LCM(groups)
	c := max(l, 40/l*l)
	if n <= c {
		return (n + l - 1) / l * l
	}
	for d := c; d >= max(l, c/2); d -= l {
		if n%d == 0 {
			return d
		}
	}
	return c
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

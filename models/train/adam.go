// Package train fits the parameters of oodgpu's generative models: Adam, a seeded and resumable
// training loop with a progress bar and checkpoints, and evaluation of the mean objective.
package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
)

// Adam is the Adam optimizer (Kingma and Ba, 2015) over named float32 parameters.
type Adam struct {
	Beta1, Beta2, Eps float64
	// Step counts the updates applied so far (bias correction uses it).
	Step int
	m, v map[string][]float32
}

// NewAdam returns Adam with the usual constants (0.9, 0.999, 1e-8).
func NewAdam() *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, m: map[string][]float32{}, v: map[string][]float32{}}
}

// Update applies one step with learning rate lr: params[name] -= lr * mhat / (sqrt(vhat) + eps).
func (a *Adam) Update(params graph.Feeds, grads map[string]*graph.Tensor, lr float64) error {
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	for name, g := range grads {
		p := params[name]
		if p == nil || len(p.Data) != len(g.Data) {
			return fmt.Errorf("train: adam: gradient %q does not match a parameter", name)
		}
		m, v := a.m[name], a.v[name]
		if m == nil {
			m, v = make([]float32, len(p.Data)), make([]float32, len(p.Data))
			a.m[name], a.v[name] = m, v
		}
		for i, gi := range g.Data {
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			mh := float64(m[i]) / c1
			vh := float64(v[i]) / c2
			p.Data[i] -= float32(lr * mh / (math.Sqrt(vh) + a.Eps))
		}
	}
	return nil
}

const (
	momentPrefix   = "adam.m."
	varianceprefix = "adam.v."
)

// State returns the moment estimates as tensors named adam.m.NAME and adam.v.NAME.
func (a *Adam) State(params graph.Feeds) map[string]*graph.Tensor {
	out := map[string]*graph.Tensor{}
	for name, m := range a.m {
		shape := params[name].Shape
		out[momentPrefix+name] = &graph.Tensor{Shape: shape, Data: m}
		out[varianceprefix+name] = &graph.Tensor{Shape: shape, Data: a.v[name]}
	}
	return out
}

// Restore loads moment estimates saved by State, taking them out of tensors, and sets Step.
func (a *Adam) Restore(tensors map[string]*graph.Tensor, step int) {
	a.Step = step
	for name, t := range tensors {
		switch {
		case strings.HasPrefix(name, momentPrefix):
			a.m[strings.TrimPrefix(name, momentPrefix)] = t.Data
		case strings.HasPrefix(name, varianceprefix):
			a.v[strings.TrimPrefix(name, varianceprefix)] = t.Data
		default:
			continue
		}
		delete(tensors, name)
	}
}

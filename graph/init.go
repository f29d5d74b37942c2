package graph

import "math/rand/v2"

// InitParams returns a tensor for each of g's parameters, by leaf name, drawn in g.Params order:
// rule gives each parameter's standard deviation, and where that is 0 its constant value. A
// parameter with a positive standard deviation gets normal draws from r, one per element in
// order; the others draw nothing, so that the draws of every model kind stay the same as
// parameters with constant values come and go.
func InitParams(g *Graph, r *rand.Rand, rule func(name string, shape []int) (std, constant float64)) Feeds {
	feeds := Feeds{}
	for _, p := range g.Params() {
		name, shape := p.LeafName(), p.Shape()
		t := Zeros(shape...)
		std, constant := rule(name, shape)
		for i := range t.Data {
			if std > 0 {
				t.Data[i] = float32(std * r.NormFloat64())
			} else {
				t.Data[i] = float32(constant)
			}
		}
		feeds[name] = t
	}
	return feeds
}

package graph

import (
	"math/rand/v2"
	"testing"
)

// TestInitParams: constants where the rule gives no standard deviation, normal draws of the given
// one elsewhere, taken from r in parameter order and skipping the constant ones.
func TestInitParams(t *testing.T) {
	g := New()
	a := g.Param("a.weight", 2, 3)
	b := g.Param("b.gamma", 4)
	c := g.Param("c.weight", 5)
	g.Add(g.Sum(a), g.Add(g.Sum(b), g.Sum(c)))
	rule := func(name string, shape []int) (float64, float64) {
		if name == "b.gamma" {
			return 0, 1.5
		}
		return 2, 0
	}
	f := InitParams(g, rand.New(rand.NewPCG(1, 2)), rule)
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"a.weight", "c.weight"} {
		for i, v := range f[name].Data {
			if want := float32(2 * r.NormFloat64()); v != want {
				t.Fatalf("%s[%d] = %g, want %g (draws in parameter order)", name, i, v, want)
			}
		}
	}
	for i, v := range f["b.gamma"].Data {
		if v != 1.5 {
			t.Errorf("b.gamma[%d] = %g, want the constant 1.5", i, v)
		}
	}
	if len(f) != 3 || len(f["a.weight"].Data) != 6 {
		t.Errorf("feeds %v", f)
	}
}

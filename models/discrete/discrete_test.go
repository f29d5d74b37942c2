package discrete

import (
	"context"
	"math"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// TestInputs checks the scaling and the edge masks, rounding pixels that are not exact k/255.
func TestInputs(t *testing.T) {
	x, lo, hi := Inputs([]float32{0, 1, 128.0 / 255, 0.5001}, 2, 2)
	want := []struct{ x, lo, hi float32 }{{-1, 0, 1}, {1, 1, 0}, {float32(2*128.0/255 - 1), 1, 1}, {float32(2*128.0/255 - 1), 1, 1}}
	for i, w := range want {
		if x.Data[i] != w.x || lo.Data[i] != w.lo || hi.Data[i] != w.hi {
			t.Errorf("pixel %d: x %g, notMin %g, notMax %g; want %+v", i, x.Data[i], lo.Data[i], hi.Data[i], w)
		}
	}
	if len(x.Shape) != 2 || x.Shape[0] != 2 || x.Shape[1] != 2 {
		t.Errorf("shape %v, want [2 2]", x.Shape)
	}
}

// TestLogisticNormalized checks that the discretized logistic puts probability 1 on the 256
// pixel values, for means inside and outside [-1, 1] and broad and narrow scales.
func TestLogisticNormalized(t *testing.T) {
	pix := make([]float32, 256)
	for k := range pix {
		pix[k] = float32(k) / 255
	}
	xs, lo, hi := Inputs(pix, 256, 1, 1, 1)
	for _, c := range []struct{ mean, logScale float64 }{{0, math.Log(0.1)}, {-0.9, math.Log(0.01)}, {1.3, math.Log(0.5)}, {0.2, math.Log(0.002)}} {
		g := graph.New()
		x := g.Input("x", 256, 1, 1, 1)
		notMin := g.Input("not_min", 256, 1, 1, 1)
		notMax := g.Input("not_max", 256, 1, 1, 1)
		mean := g.Input("mean", 1, 1, 1, 1)
		ls := g.Input("log_scale", 1, 1, 1)
		logp := LogisticLogLik(g, x, mean, ls, notMin, notMax)
		p, err := graph.Compile(g, logp)
		if err != nil {
			t.Fatal(err)
		}
		out, err := cpu.New().RunFloat64(context.Background(), p, map[string][]float64{
			"x": f64(xs.Data), "not_min": f64(lo.Data), "not_max": f64(hi.Data), "mean": {c.mean}, "log_scale": {c.logScale}})
		if err != nil {
			t.Fatal(err)
		}
		var total float64
		for _, v := range out[0] {
			total += math.Exp(v)
		}
		if math.Abs(total-1) > 1e-6 {
			t.Errorf("mean %g, log-scale %g: probabilities sum to %.9f", c.mean, c.logScale, total)
		}
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

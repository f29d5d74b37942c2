package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/oracle"
)

func TestAlphaBar(t *testing.T) {
	cfg := Default()
	cases := []struct {
		t    int
		want float64
	}{{1, 1 - 1e-4}, {2, (1 - 1e-4) * (1 - (1e-4 + (0.02-1e-4)/999))}}
	for _, c := range cases {
		if got := cfg.AlphaBar(c.t); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AlphaBar(%d) = %.12f, want %.12f", c.t, got, c.want)
		}
	}
	// Ho et al.'s schedule leaves almost no signal at T = 1000.
	if ab := cfg.AlphaBar(1000); ab > 1e-4 || ab <= 0 {
		t.Errorf("AlphaBar(1000) = %g", ab)
	}
}

func TestTimeEmbedding(t *testing.T) {
	e := TimeEmbedding(3, 8)
	if e[0] != float32(math.Sin(3)) || e[4] != float32(math.Cos(3)) || len(e) != 8 {
		t.Errorf("embedding %v", e)
	}
}

func TestConfigErrors(t *testing.T) {
	good := Default()
	bad := []func(c *Config){
		func(c *Config) { c.Size = 30 },
		func(c *Config) { c.Base = 12 },
		func(c *Config) { c.Mults = nil },
		func(c *Config) { c.BetaEnd = 1 },
		func(c *Config) { c.Mults = []int{1, 0} },
	}
	for i, f := range bad {
		c := good
		c.Mults = append([]int(nil), good.Mults...)
		f(&c)
		if _, err := Build(graph.New(), c, 1); err == nil {
			t.Errorf("case %d: config %+v was accepted", i, c)
		}
	}
}

// TestPyTorchParity has scripts/ddpm_parity.py recompute -L_t and every per-layer squared
// gradient norm of four images at different steps in PyTorch (float64, one backward pass per
// image), on a small U-Net with attention.
func TestPyTorchParity(t *testing.T) {
	cfg := Config{Channels: 1, Size: 8, Base: 8, Mults: []int{1, 2}, Attention: true, Steps: 1000, BetaStart: 1e-4, BetaEnd: 0.02}
	params, err := InitParams(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Non-zero output and attention projections, so that every layer gets a gradient.
	r := rand.New(rand.NewPCG(6, 6))
	for _, name := range []string{"out.weight", "mid.attn.proj.weight"} {
		for i := range params[name].Data {
			params[name].Data[i] = float32(0.1 * r.NormFloat64())
		}
	}
	steps := []int{1, 8, 64, 500}
	pix := make([]float32, len(steps)*cfg.Dims())
	for i := range pix {
		pix[i] = float32(r.IntN(256)) / 255
	}
	build := func(g *graph.Graph, batch int) (*graph.Node, error) {
		net, err := Build(g, cfg, batch)
		if err != nil {
			return nil, err
		}
		return net.LogLik, nil
	}
	oracle.Check(t, "../../scripts/ddpm_parity.py", len(steps), build, params, cfg.Feeds(pix, steps, r), "ddpm", cfg)
}

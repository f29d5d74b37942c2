package pixelcnn

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/graph/graphtest"
	"github.com/oodgpu/oodgpu/models/configtest"
	"github.com/oodgpu/oodgpu/models/oracle"
)

// small is a two-level network on 8x8 images, quick to run in float64.
var small = Config{Channels: 1, Size: 8, Filters: 4, Levels: 2, Blocks: 1, Mixtures: 3}

func TestConfigRanges(t *testing.T) {
	cases := []configtest.ConfigCase[Config]{
		{Name: "colour", Edit: func(c *Config) { c.Channels = 3 }, Want: "channels 3: only grey images (1)"},
		{Name: "filters 0", Edit: func(c *Config) { c.Filters = 0 }, Want: "filters 0 outside 1..1024"},
		{Name: "filters 2^40", Edit: func(c *Config) { c.Filters = 1 << 40 }, Want: "filters 1099511627776 outside"},
		{Name: "levels 0", Edit: func(c *Config) { c.Levels = 0 }, Want: "levels 0 outside 1..8"},
		{Name: "levels 64", Edit: func(c *Config) { c.Levels = 64 }, Want: "levels 64 outside"},
		{Name: "blocks 0", Edit: func(c *Config) { c.Blocks = 0 }, Want: "blocks 0 outside 1..64"},
		{Name: "blocks 2^40", Edit: func(c *Config) { c.Blocks = 1 << 40 }, Want: "blocks 1099511627776 outside"},
		{Name: "mixtures 0", Edit: func(c *Config) { c.Mixtures = 0 }, Want: "mixtures 0 outside 1..256"},
		{Name: "mixtures 2^40", Edit: func(c *Config) { c.Mixtures = 1 << 40 }, Want: "mixtures 1099511627776 outside"},
		{Name: "size 30 at three levels", Edit: func(c *Config) { c.Size, c.Levels = 30, 3 }, Want: "size 30 must be a multiple of 4"},
		{Name: "size 2", Edit: func(c *Config) { c.Size, c.Levels = 2, 1 }, Want: "size 2 must be"},
		{Name: "size 2^20", Edit: func(c *Config) { c.Size = 1 << 20 }, Want: "size 1048576 must be"},
		{Name: "image size over size", Edit: func(c *Config) { c.ImageSize = 33 }, Want: "image size 33"},
		{Name: "negative image size", Edit: func(c *Config) { c.ImageSize = -1 }, Want: "image size -1"},
		{Name: "too many parameters", Edit: func(c *Config) { c.Filters, c.Blocks = 1024, 64 }, Want: "parameters, over the limit"},
		{Name: "too large activations", Edit: func(c *Config) { c.Size, c.Filters = 1024, 64 }, Want: "activations of 268435456 values per image"},
	}
	configtest.CheckConfigRanges(t, Default, func(g *graph.Graph, c Config) error {
		_, err := Build(g, c, 1)
		return err
	}, cases)
}

// TestSizes checks the counts Validate bounds against the graphs Build makes: the parameter
// count exactly, and the largest activation of one image, found as the largest node that
// doubles from batch 1 to batch 2.
func TestSizes(t *testing.T) {
	for _, cfg := range []Config{Default(), small,
		{Channels: 1, Size: 4, Filters: 1, Levels: 1, Blocks: 1, Mixtures: 10},
		{Channels: 1, Size: 16, Filters: 3, Levels: 3, Blocks: 2, Mixtures: 2}} {
		params, activation := cfg.sizes()
		n, largest, err := graphtest.BuiltSizes(func(g *graph.Graph, batch int) error {
			_, err := Build(g, cfg, batch)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if float64(n) != params || float64(largest) != activation {
			t.Errorf("%+v: %d parameters and a largest activation of %d, sizes says %.0f and %.0f",
				cfg, n, largest, params, activation)
		}
	}
}

// randomParams are initial parameters with every weight drawn at full scale, so that no layer
// is close to zero and every pixel's distribution depends on its context.
func randomParams(t *testing.T, cfg Config, seed uint64) graph.Feeds {
	t.Helper()
	params, err := InitParams(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for _, p := range params {
		for i := range p.Data {
			p.Data[i] += float32(0.2 * r.NormFloat64())
		}
	}
	return params
}

// run64 runs outputs of a batch-image network in float64 on pixels in [0, 1].
func run64(t *testing.T, cfg Config, params graph.Feeds, pix []float32, batch int, outputs func(*Net) []*graph.Node) [][]float64 {
	t.Helper()
	g := graph.New()
	net, err := Build(g, cfg, batch)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, outputs(net)...)
	if err != nil {
		t.Fatal(err)
	}
	feeds := cfg.Feeds(pix, batch)
	maps.Copy(feeds, params)
	f64 := map[string][]float64{}
	for k, v := range feeds {
		d := make([]float64, len(v.Data))
		for i, x := range v.Data {
			d[i] = float64(x)
		}
		f64[k] = d
	}
	out, err := cpu.New().RunFloat64(context.Background(), p, f64)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCausal changes one pixel at a time and checks that the mixture of every pixel at or
// before it in raster order is unchanged, and that its right neighbour (through the
// down-right-shifted stream) and the pixel below it (through the down-shifted one) see the change.
func TestCausal(t *testing.T) {
	cfg := small
	params := randomParams(t, cfg, 1)
	s, plane := cfg.Size, cfg.Size*cfg.Size
	r := rand.New(rand.NewPCG(2, 2))
	base := make([]float32, plane)
	for i := range base {
		base[i] = float32(r.IntN(256)) / 255
	}
	// Image 0 is the base; image 1+j has pixel j changed.
	pix := make([]float32, (plane+1)*plane)
	for b := range plane + 1 {
		copy(pix[b*plane:], base)
		if b > 0 {
			pix[b*plane+b-1] = 1 - base[b-1]
		}
	}
	mix := run64(t, cfg, params, pix, plane+1, func(n *Net) []*graph.Node { return []*graph.Node{n.Mixture} })[0]
	ch := 3 * cfg.Mixtures
	for j := range plane {
		seen := map[int]bool{}
		for c := range ch {
			for i := range plane {
				d := math.Abs(mix[((j+1)*ch+c)*plane+i] - mix[c*plane+i])
				if i <= j && d > 1e-12 {
					t.Fatalf("changing pixel (%d, %d) changed channel %d of pixel (%d, %d) by %g", j/s, j%s, c, i/s, i%s, d)
				}
				if d > 1e-9 {
					seen[i] = true
				}
			}
		}
		if j%s < s-1 && !seen[j+1] {
			t.Errorf("pixel (%d, %d) does not depend on its left neighbour", j/s, j%s+1)
		}
		if j+s < plane && !seen[j+s] {
			t.Errorf("pixel (%d, %d) does not depend on the pixel above it", j/s+1, j%s)
		}
	}
}

// TestNormalized checks that every pixel's conditional distribution puts probability 1 on the
// 256 levels: the last pixel of an image takes each level in turn, the others fixed.
func TestNormalized(t *testing.T) {
	for _, cfg := range []Config{small, {Channels: 1, Size: 4, Filters: 3, Levels: 1, Blocks: 1, Mixtures: 1}} {
		params := randomParams(t, cfg, 3)
		plane := cfg.Size * cfg.Size
		r := rand.New(rand.NewPCG(4, 4))
		pix := make([]float32, 256*plane)
		for i := range plane - 1 {
			v := float32(r.IntN(256)) / 255
			for k := range 256 {
				pix[k*plane+i] = v
			}
		}
		for k := range 256 {
			pix[k*plane+plane-1] = float32(k) / 255
		}
		out := run64(t, cfg, params, pix, 256, func(n *Net) []*graph.Node { return []*graph.Node{n.PixelLogLik} })[0]
		var total float64
		for k := range 256 {
			total += math.Exp(out[k*plane+plane-1])
		}
		if math.Abs(total-1) > 1e-6 { // the bins' edges x +- 1/255 are float32 constants
			t.Errorf("%+v: the last pixel's probabilities sum to %.12f", cfg, total)
		}
	}
}

// TestObjective checks that the log-likelihood is the sum of the pixels' and bits/dim its
// conversion, and that an untrained model is near uniform (8 bits/dim) but below it.
func TestObjective(t *testing.T) {
	cfg := Default()
	params, err := InitParams(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 2
	r := rand.New(rand.NewPCG(5, 5))
	pix := make([]float32, batch*cfg.Dims())
	for i := range pix {
		pix[i] = float32(r.IntN(256)) / 255
	}
	out := run64(t, cfg, params, pix, batch, func(n *Net) []*graph.Node {
		return []*graph.Node{n.LogLik, n.BitsPerDim, n.PixelLogLik}
	})
	plane := cfg.Size * cfg.Size
	for b := range batch {
		var sum float64
		for _, v := range out[2][b*plane : (b+1)*plane] {
			sum += v
		}
		ll, bpd := out[0][b], out[1][b]
		if math.Abs(ll-sum) > 1e-9*math.Abs(sum) {
			t.Errorf("image %d: log-likelihood %g, pixels sum to %g", b, ll, sum)
		}
		// The factor is a float32 constant.
		if want := -ll / (float64(plane) * math.Ln2); math.Abs(bpd-want) > 1e-6*want {
			t.Errorf("image %d: %g bits/dim, want %g", b, bpd, want)
		}
		if bpd < 7 || bpd > 10 {
			t.Errorf("image %d: %g bits/dim at initialization is implausible", b, bpd)
		}
	}
}

// TestSample draws images from a random model: pixels on the 256 levels, the padding left at 0
// (-1 on the input scale), and the same images for the same seed.
func TestSample(t *testing.T) {
	cfg := Config{Channels: 1, Size: 8, ImageSize: 6, Filters: 4, Levels: 2, Blocks: 1, Mixtures: 3}
	params := randomParams(t, cfg, 5)
	var draws [][]float32
	for range 2 {
		x, err := Sample(context.Background(), cpu.New(), cfg, params, 3, rand.New(rand.NewPCG(7, 7)))
		if err != nil {
			t.Fatal(err)
		}
		draws = append(draws, x)
	}
	levels := map[float64]bool{}
	for i, v := range draws[0] {
		if v != draws[1][i] {
			t.Fatalf("value %d: %g and %g from the same seed", i, v, draws[1][i])
		}
		k := (float64(v) + 1) / 2 * 255
		if math.Abs(k-math.Round(k)) > 1e-3 || k < -1e-3 || k > 255+1e-3 {
			t.Fatalf("value %d: %g is not one of the 256 levels", i, v)
		}
		y, x := i%64/8, i%8
		if (y == 0 || y == 7 || x == 0 || x == 7) && v != -1 {
			t.Fatalf("padding pixel (%d, %d) sampled as %g", y, x, v)
		}
		levels[math.Round(k)] = true
	}
	if len(levels) < 10 {
		t.Errorf("only %d distinct levels in %d samples", len(levels), 3)
	}
	if _, err := Sample(context.Background(), cpu.New(), cfg, graph.Feeds{}, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("sampling without parameters succeeded")
	}
}

// TestPyTorchParity has scripts/pixelcnn_parity.py recompute the log-likelihood and every
// per-layer squared gradient norm of five images in PyTorch (float64, one backward pass per
// image), on a two-level network with some pixels at 0 and 255.
func TestPyTorchParity(t *testing.T) {
	cfg := Config{Channels: 1, Size: 8, Filters: 6, Levels: 2, Blocks: 2, Mixtures: 4}
	params, err := InitParams(cfg, 6)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 5
	r := rand.New(rand.NewPCG(8, 8))
	pix := make([]float32, batch*cfg.Dims())
	for i := range pix {
		switch r.IntN(5) {
		case 0: // as in real grey images, many at 0
		case 1:
			pix[i] = 1
		default:
			pix[i] = float32(r.IntN(256)) / 255
		}
	}
	build := func(g *graph.Graph, batch int) (*graph.Node, error) {
		net, err := Build(g, cfg, batch)
		if err != nil {
			return nil, err
		}
		return net.LogLik, nil
	}
	oracle.Check(t, "../../scripts/pixelcnn_parity.py", batch, build, params, cfg.Feeds(pix, batch), "pixelcnn", cfg)
}

// TestGradient checks the gradient of the log-likelihood against central finite differences in
// float64, a few entries of every parameter, at the initial parameters: zero biases put ELU
// inputs exactly at 0, where the composition must have elu's gradient (1).
func TestGradient(t *testing.T) {
	cfg := Config{Channels: 1, Size: 8, Filters: 2, Levels: 2, Blocks: 1, Mixtures: 2}
	params, err := InitParams(cfg, 6)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 8))
	pix := make([]float32, cfg.Dims())
	for i := range pix {
		pix[i] = float32(r.IntN(256)) / 255
	}
	g := graph.New()
	net, err := Build(g, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := g.Grad(g.Sum(net.LogLik), g.Params())
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, append([]*graph.Node{net.LogLik}, grads...)...)
	if err != nil {
		t.Fatal(err)
	}
	feeds := cfg.Feeds(pix, 1)
	maps.Copy(feeds, params)
	data := map[string][]float64{}
	for k, v := range feeds {
		d := make([]float64, len(v.Data))
		for i, x := range v.Data {
			d[i] = float64(x)
		}
		data[k] = d
	}
	ctx := context.Background()
	run := func() [][]float64 {
		out, err := cpu.New().RunFloat64(ctx, p, data)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	res := run()
	const h = 1e-6
	for i, q := range g.Params() {
		v := data[q.LeafName()]
		for j := range min(3, len(v)) {
			at := v[j]
			v[j] = at + h
			up := run()[0][0]
			v[j] = at - h
			down := run()[0][0]
			v[j] = at
			fd, got := (up-down)/(2*h), res[1+i][j]
			if math.Abs(fd-got) > 1e-5*max(1, math.Abs(fd)) {
				t.Errorf("%s[%d]: gradient %g, finite difference %g", q.LeafName(), j, got, fd)
			}
		}
	}
}

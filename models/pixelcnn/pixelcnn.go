// Package pixelcnn builds PixelCNN++ (Salimans et al., 2017) for grey images as an oodgpu graph:
// a down-shifted and a down-right-shifted stream of gated residual blocks over shifted
// convolutions (a U-Net of resolution levels, the down pass fed the up pass's outputs), whose
// output is a mixture of discretized logistics per pixel over the 256 grey levels. The
// log-likelihood is exact: log p(x) = sum over pixels in raster order of log p(x_i | x_<i).
//
// Differences from the paper's network: one channel (no autoregression over colours), plain
// convolutions with biases (no weight normalization), no dropout.
package pixelcnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/discrete"
)

// Config sizes a PixelCNN++.
type Config struct {
	Channels int `json:"channels"` // input channels: 1 (grey images only)
	Size     int `json:"size"`     // input height and width, divisible by 2^(Levels-1)
	// ImageSize is the size of the images before zero padding to Size; 0 means Size.
	ImageSize int `json:"image_size,omitempty"`
	Filters   int `json:"filters"` // channels of both streams
	Levels    int `json:"levels"`  // resolution levels (each after the first halves the size)
	// Blocks is the number of gated residual blocks per stream and level of the up pass; the
	// down pass has as many at the lowest resolution and one more at every other level.
	Blocks   int `json:"blocks"`
	Mixtures int `json:"mixtures"` // logistic mixture components per pixel
}

// Default is a small PixelCNN++ for 28x28 grey images padded to 32: 32 filters, two levels
// (32 and 16 pixels), two blocks per stream and level, five mixture components.
func Default() Config {
	return Config{Channels: 1, Size: 32, ImageSize: 28, Filters: 32, Levels: 2, Blocks: 2, Mixtures: 5}
}

// Bounds of a Config: far beyond any model oodgpu trains, small enough that building and
// scoring one cannot exhaust memory.
const (
	MaxSize     = 1024 // input height and width
	MaxFilters  = 1024 // channels of each stream
	MaxLevels   = 8    // resolution levels
	MaxBlocks   = 64   // gated residual blocks per stream and level
	MaxMixtures = 256  // mixture components
)

// Validate checks that the configuration describes a buildable model of a sane size.
func (c Config) Validate() error {
	switch {
	case c.Channels != 1:
		return fmt.Errorf("pixelcnn: config: channels %d: only grey images (1) are supported", c.Channels)
	case c.Filters < 1 || c.Filters > MaxFilters:
		return fmt.Errorf("pixelcnn: config: filters %d outside 1..%d", c.Filters, MaxFilters)
	case c.Levels < 1 || c.Levels > MaxLevels:
		return fmt.Errorf("pixelcnn: config: levels %d outside 1..%d", c.Levels, MaxLevels)
	case c.Blocks < 1 || c.Blocks > MaxBlocks:
		return fmt.Errorf("pixelcnn: config: blocks %d outside 1..%d", c.Blocks, MaxBlocks)
	case c.Mixtures < 1 || c.Mixtures > MaxMixtures:
		return fmt.Errorf("pixelcnn: config: mixtures %d outside 1..%d", c.Mixtures, MaxMixtures)
	case c.Size < 4 || c.Size > MaxSize || c.Size%(1<<(c.Levels-1)) != 0:
		return fmt.Errorf("pixelcnn: config: size %d must be a multiple of %d in 4..%d", c.Size, 1<<(c.Levels-1), MaxSize)
	case c.ImageSize < 0 || c.ImageSize > c.Size:
		return fmt.Errorf("pixelcnn: config: image size %d must be in [0, size %d]", c.ImageSize, c.Size)
	}
	params, activation := c.sizes()
	return graph.CheckModelSize("pixelcnn", params, activation)
}

// sizes returns the number of parameters and the number of values of the largest activation of
// one image, for a configuration whose fields are in range. They are counted in float64, which
// no such configuration can overflow, and exact below 2^53.
func (c Config) sizes() (params, activation float64) {
	f, s, k := float64(c.Filters), float64(c.Size), float64(c.Mixtures)
	levels, blocks := float64(c.Levels), float64(c.Blocks)
	conv := func(cin, cout, kh, kw float64) float64 { return cout*cin*kh*kw + cout }
	// A gated block over a kh x kw convolution, with an auxiliary input of aux channels (0: none).
	block := func(kh, kw, aux float64) float64 {
		p := conv(2*f, f, kh, kw) + conv(2*f, 2*f, kh, kw)
		if aux > 0 {
			p += conv(2*aux, f, 1, 1)
		}
		return p
	}
	params = conv(2, f, 2, 3) + conv(2, f, 1, 3) + conv(2, f, 2, 1) + conv(f, 3*k, 1, 1)
	params += levels * blocks * (block(2, 3, 0) + block(2, 2, f))
	params += (blocks + (levels-1)*(blocks+1)) * (block(2, 3, f) + block(2, 2, 2*f))
	params += 2 * (levels - 1) * (conv(f, f, 2, 3) + conv(f, f, 2, 2)) // down- and up-sampling
	// The largest values per image: the down pass's concat_elu of the down-right stream's
	// auxiliary input (4F channels), a block's padded concat_elu (2F channels, one row above and
	// a column either side), the mixture's 3K outputs, the padded input (2 channels).
	activation = max(4*f*s*s, 2*f*(s+1)*(s+2), 3*k*s*s, 2*(s+1)*(s+2))
	return params, activation
}

// Image is the size of the images the model scores before padding.
func (c Config) Image() int {
	if c.ImageSize > 0 {
		return c.ImageSize
	}
	return c.Size
}

// Dims is the number of dimensions of one input, C*H*W.
func (c Config) Dims() int { return c.Channels * c.Size * c.Size }

// Inputs of the graph: "x" [B 1 S S] pixels scaled to [-1, 1] (2k/255 - 1), and the pixel masks
// "not_min" (k > 0) and "not_max" (k < 255), 1 or 0.
const (
	InputX      = "x"
	InputNotMin = "not_min"
	InputNotMax = "not_max"
)

// logScaleMin is the floor of the logistics' log-scales, as in the paper's code.
const logScaleMin = -7

// Net is a built PixelCNN++.
type Net struct {
	// LogLik is the per-image log-likelihood in nats [B]: the sum over pixels of
	// log p(x_i | x_<i).
	LogLik *graph.Node
	// BitsPerDim is -LogLik / (D ln 2) [B].
	BitsPerDim *graph.Node
	// PixelLogLik is log p(x_i | x_<i) of every pixel [B S S].
	PixelLogLik *graph.Node
	// Mixture is the network's output [B 3K S S]: per pixel the K mixture logits, the K logistic
	// means on the [-1, 1] scale and the K log-scales (before their floor at -7), in that order of
	// channels.
	Mixture *graph.Node
}

// builder adds the layers of one network to g.
type builder struct {
	g     *graph.Graph
	cfg   Config
	batch int
}

// conv is a convolution with bias over x already padded.
func (b *builder) conv(name string, x *graph.Node, cin, cout, kh, kw, stride int) *graph.Node {
	w := b.g.Param(name+".weight", cout, cin, kh, kw)
	return b.g.Add(b.g.Conv2D(x, w, stride, 0), b.g.Param(name+".bias", cout, 1, 1))
}

// downConv is the down-shifted convolution: padded with kh-1 rows above and (kw-1)/2 columns
// on either side, so an output sees only the rows at and above its own.
func (b *builder) downConv(name string, x *graph.Node, cin, cout, kh, kw, stride int) *graph.Node {
	p := (kw - 1) / 2
	return b.conv(name, b.g.Pad(x, []int{0, 0, kh - 1, p}, []int{0, 0, 0, p}), cin, cout, kh, kw, stride)
}

// downRightConv is the down-right-shifted convolution: padded with kh-1 rows above and kw-1
// columns to the left, so an output sees only pixels above it and to its left, itself included.
func (b *builder) downRightConv(name string, x *graph.Node, cin, cout, kh, kw, stride int) *graph.Node {
	return b.conv(name, b.g.Pad(x, []int{0, 0, kh - 1, kw - 1}, []int{0, 0, 0, 0}), cin, cout, kh, kw, stride)
}

// deconv doubles the size s of x [B F s s] with a stride-2 transposed convolution of a 2 x kw
// kernel, cropped to 2s x 2s as the paper's shifted deconvolutions are: centred columns for the
// down-shifted stream (kw = 3), the left ones for the down-right-shifted one (kw = 2).
func (b *builder) deconv(name string, x *graph.Node, kw, s int) *graph.Node {
	f := b.cfg.Filters
	w := b.g.Param(name+".weight", f, f, 2, kw)
	y := b.g.Add(b.g.ConvTranspose2D(x, w, 2, 0, 0), b.g.Param(name+".bias", f, 1, 1))
	left := 0
	if kw == 3 {
		left = 1
	}
	return b.g.Slice(y, []int{0, 0, 0, left}, []int{b.batch, f, 2 * s, left + 2*s})
}

// downShift moves x [B C s s] one row down, a zero row entering at the top.
func (b *builder) downShift(x *graph.Node, c, s int) *graph.Node {
	x = b.g.Slice(x, []int{0, 0, 0, 0}, []int{b.batch, c, s - 1, s})
	return b.g.Pad(x, []int{0, 0, 1, 0}, []int{0, 0, 0, 0})
}

// rightShift moves x [B C s s] one column right, a zero column entering at the left.
func (b *builder) rightShift(x *graph.Node, c, s int) *graph.Node {
	x = b.g.Slice(x, []int{0, 0, 0, 0}, []int{b.batch, c, s, s - 1})
	return b.g.Pad(x, []int{0, 0, 0, 1}, []int{0, 0, 0, 0})
}

// elu is x for x > 0, else exp(x) - 1, composed as x + exp(m) - 1 - m with m = min(x, 0) =
// -relu(-x), whose gradient is 1 at x = 0 as elu's is (the zero padding and zero biases put
// many values exactly there), whatever relu's is.
func elu(g *graph.Graph, x *graph.Node) *graph.Node {
	r := g.Relu(g.Neg(x))
	return g.Add(x, eluTail(g, r))
}

// eluTail is r + exp(-r) - 1: elu(x) - x for r = relu(-x).
func eluTail(g *graph.Graph, r *graph.Node) *graph.Node {
	return g.Add(r, g.AddScalar(g.Exp(g.Neg(r)), -1))
}

// concatElu is elu of x and of -x joined along the channels, from one relu of each.
func concatElu(g *graph.Graph, x *graph.Node) *graph.Node {
	return g.Concat(1, g.Add(x, eluTail(g, g.Relu(g.Neg(x)))), g.Sub(eluTail(g, g.Relu(x)), x))
}

// gated is the gated residual block: c = conv(concat_elu(x)) (+ nin(concat_elu(aux))),
// c = conv(concat_elu(c)) to 2F channels, x + c_a * sigmoid(c_b). conv is the stream's shifted
// convolution; aux, of auxCh channels, may be nil.
func (b *builder) gated(name string, x, aux *graph.Node, auxCh int,
	conv func(name string, x *graph.Node, cin, cout int) *graph.Node) *graph.Node {
	g, f := b.g, b.cfg.Filters
	c := conv(name+".conv1", concatElu(g, x), 2*f, f)
	if aux != nil {
		c = g.Add(c, b.conv(name+".nin", concatElu(g, aux), 2*auxCh, f, 1, 1, 1))
	}
	c = conv(name+".conv2", concatElu(g, c), 2*f, 2*f)
	return g.Add(x, g.Mul(g.SliceAxis(c, 1, 0, f), g.Sigmoid(g.SliceAxis(c, 1, f, 2*f))))
}

// Build adds a PixelCNN++ for batch images to g.
func Build(g *graph.Graph, cfg Config, batch int) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("pixelcnn: batch %d: want 1 or more", batch)
	}
	b := &builder{g: g, cfg: cfg, batch: batch}
	f, s, k := cfg.Filters, cfg.Size, cfg.Mixtures
	x := g.Input(InputX, batch, 1, s, s)
	notMin := g.Input(InputNotMin, batch, 1, s, s)
	notMax := g.Input(InputNotMax, batch, 1, s, s)
	uConv := func(name string, x *graph.Node, cin, cout int) *graph.Node {
		return b.downConv(name, x, cin, cout, 2, 3, 1)
	}
	ulConv := func(name string, x *graph.Node, cin, cout int) *graph.Node {
		return b.downRightConv(name, x, cin, cout, 2, 2, 1)
	}

	// A channel of ones tells the convolutions' zero padding from the image (the paper's x_pad).
	xp := g.Concat(1, x, g.Affine(x, 0, 1))
	u := b.downShift(b.downConv("in.u", xp, 2, f, 2, 3, 1), f, s)
	ul := g.Add(b.downShift(b.downConv("in.ul.down", xp, 2, f, 1, 3, 1), f, s),
		b.rightShift(b.downRightConv("in.ul.right", xp, 2, f, 2, 1, 1), f, s))

	// Up pass: every block's outputs are kept for the down pass.
	us, uls := []*graph.Node{u}, []*graph.Node{ul}
	for l := range cfg.Levels {
		for i := range cfg.Blocks {
			u = b.gated(fmt.Sprintf("up.%d.%d.u", l, i), u, nil, 0, uConv)
			ul = b.gated(fmt.Sprintf("up.%d.%d.ul", l, i), ul, u, f, ulConv)
			us, uls = append(us, u), append(uls, ul)
		}
		if l < cfg.Levels-1 {
			u = b.downConv(fmt.Sprintf("up.%d.down.u", l), u, f, f, 2, 3, 2)
			ul = b.downRightConv(fmt.Sprintf("up.%d.down.ul", l), ul, f, f, 2, 2, 2)
			us, uls = append(us, u), append(uls, ul)
			s /= 2
		}
	}

	// Down pass: the up pass's outputs in reverse order as the blocks' auxiliary inputs.
	pop := func() (*graph.Node, *graph.Node) {
		n := len(us) - 1
		u, ul := us[n], uls[n]
		us, uls = us[:n], uls[:n]
		return u, ul
	}
	u, ul = pop()
	for l := cfg.Levels - 1; l >= 0; l-- {
		n := cfg.Blocks + 1
		if l == cfg.Levels-1 {
			n = cfg.Blocks
		}
		for i := range n {
			skipU, skipUL := pop()
			u = b.gated(fmt.Sprintf("down.%d.%d.u", l, i), u, skipU, f, uConv)
			ul = b.gated(fmt.Sprintf("down.%d.%d.ul", l, i), ul, g.Concat(1, u, skipUL), 2*f, ulConv)
		}
		if l > 0 {
			u = b.deconv(fmt.Sprintf("down.%d.up.u", l), u, 3, s)
			ul = b.deconv(fmt.Sprintf("down.%d.up.ul", l), ul, 2, s)
			s *= 2
		}
	}
	out := b.conv("out", elu(g, ul), f, 3*k, 1, 1, 1)

	logits := g.SliceAxis(out, 1, 0, k)
	mean := g.SliceAxis(out, 1, k, 2*k)
	logScale := g.AddScalar(g.Relu(g.AddScalar(g.SliceAxis(out, 1, 2*k, 3*k), -logScaleMin)), logScaleMin)
	logp := discrete.LogisticLogLik(g, x, mean, logScale, notMin, notMax)
	pix := g.Sub(g.LogSumExp(g.Add(logits, logp), 1), g.LogSumExp(logits, 1))
	ll := g.Sum(pix, 1, 2)
	bpd := g.MulScalar(ll, float32(-1/(float64(cfg.Dims())*math.Ln2)))
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("pixelcnn: %w", err)
	}
	return &Net{LogLik: ll, BitsPerDim: bpd, PixelLogLik: pix, Mixture: out}, nil
}

// Feeds turns images (NCHW pixels scaled to [0, 1], k/255, already padded to Size) into the
// graph's inputs. The likelihood is discrete, so nothing is drawn.
func (c Config) Feeds(pix []float32, batch int) graph.Feeds {
	x, notMin, notMax := discrete.Inputs(pix, batch, 1, c.Size, c.Size)
	return graph.Feeds{InputX: x, InputNotMin: notMin, InputNotMax: notMax}
}

// InitParams draws initial parameters: weights normal with variance 1/fan-in (each block's
// second convolution and the output layer 0.1 of that, so that blocks start near the identity
// and the mixture near its biases), biases zero.
func InitParams(cfg Config, seed uint64) (graph.Feeds, error) {
	g := graph.New()
	if _, err := Build(g, cfg, 1); err != nil {
		return nil, err
	}
	return graph.InitParams(g, rand.New(rand.NewPCG(seed, 0x9c2)), func(name string, s []int) (std, _ float64) {
		if !strings.HasSuffix(name, ".weight") {
			return 0, 0
		}
		fanIn := s[1] * s[2] * s[3]
		if strings.HasSuffix(name, ".up.u.weight") || strings.HasSuffix(name, ".up.ul.weight") { // transposed [in, out, kh, kw], stride 2
			fanIn = max(1, s[0]*s[2]*s[3]/4)
		}
		std = 1 / math.Sqrt(float64(fanIn))
		if strings.HasSuffix(name, ".conv2.weight") || name == "out.weight" {
			std *= 0.1
		}
		return std, 0
	}), nil
}

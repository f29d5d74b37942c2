package scorer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/ood"
)

// HSVCheck is the paper's Proposition 1 (its Section 2.4; the RGB to HSV example of Section 2.3
// and Figure 3) on one colour image with a colour Glow: the image in the model's own
// representation x (RGB), and as y = T(x) in HSV, modelled by the same Glow as
// log p_Y(y) = log p_X(T^-1(y)) + log|det dT^-1/dy|. The likelihood moves by the
// log-determinant; the gradient features do not, since the log-determinant does not depend on
// the parameters.
type HSVCheck struct {
	// NLLRGB and NLLHSV are the image's bits/dim under the two representations.
	NLLRGB, NLLHSV float64
	// Shift is NLLHSV - NLLRGB as the two graphs computed it (float32); LogDetShift is what it
	// must equal, (1/D) sum over pixels of log2 |det dT/dx|, computed on the host in float64.
	Shift, LogDetShift float64
	// PixelLogDet is log2 |det dT/dx| of each pixel, row by row (Size x Size).
	PixelLogDet []float64
	Size        int
	// Layers names the J features; RGB and HSV are the image's per-layer squared gradient norms
	// (B = 1) under each representation, RGB being the features the model's detector scores.
	Layers   []string
	RGB, HSV []float64
	// MaxRelDiff is the largest relative difference between RGB and HSV, reached at layer
	// WorstLayer: zero up to float32 rounding.
	MaxRelDiff float64
	WorstLayer string
}

// HSVInvariance runs the RGB to HSV check on set's one colour image. Both representations are
// evaluated at one point: the image dequantized as Score does it (noise from seed and the
// image's content) gives x; y = T(x) is computed on the host in float64 and stored in float32,
// and the point the RGB model reads is T^-1(y) as exec computes it, so that both graphs see the
// same float32 input (the model's features move by up to about 1e-3, relative, when its input
// moves by one float32 rounding; that would be measured instead of the representation). The HSV
// graph reads y and computes T^-1 and the log-determinant itself, so the log-determinant's
// parameter gradient is computed (zero), not assumed. Grey images are refused
// (ood.ErrNotColour, ood.ErrGrey), and so are models other than a colour Glow.
func (m *Model) HSVInvariance(ctx context.Context, exec graph.Executor, set *data.Set, seed uint64) (HSVCheck, error) {
	var c HSVCheck
	cfg, err := m.Glow("the RGB to HSV check")
	if err != nil {
		return c, err
	}
	if cfg.Channels != 3 {
		return c, fmt.Errorf("%s: the RGB to HSV check needs a colour model; this Glow models %d channel(s)", m.Name, cfg.Channels)
	}
	if set.N != 1 {
		return c, fmt.Errorf("scorer: RGB to HSV check: %d images, want 1", set.N)
	}
	pix, err := set.Image(0)
	if err != nil {
		return c, err
	}
	if err := ood.CheckColour(pix, set.Shape.C); err != nil {
		return c, err
	}
	key, err := set.ContentKey(0)
	if err != nil {
		return c, err
	}
	feeds, err := m.Net.Inputs(set, []int{0}, rand.New(rand.NewPCG(seed, key)))
	if err != nil {
		return c, err
	}
	y, err := toHSV(feeds["x"], cfg.Size)
	if err != nil {
		return c, err
	}
	x, err := fromHSV(ctx, exec, y)
	if err != nil {
		return c, err
	}
	if err := c.logDets(x, cfg); err != nil {
		return c, err
	}

	ga := graph.New()
	netX, err := glow.Build(ga, cfg, 1)
	if err != nil {
		return c, err
	}
	llX, rowX, err := m.features(ctx, exec, ga, netX.LogLik, graph.Feeds{"x": x})
	if err != nil {
		return c, err
	}

	gb := graph.New()
	rgb, logDet, err := ood.HSVToRGBGraph(gb, gb.Input("y", y.Shape...))
	if err != nil {
		return c, err
	}
	netY, err := glow.BuildOn(gb, cfg, gb.AddScalar(rgb, -0.5)) // the model's input is RGB - 1/2
	if err != nil {
		return c, err
	}
	llY, rowY, err := m.features(ctx, exec, gb, gb.Add(netY.LogLik, logDet), graph.Feeds{"y": y})
	if err != nil {
		return c, err
	}

	dims := float64(cfg.Dims()) * math.Ln2
	c.NLLRGB, c.NLLHSV = -llX/dims, -llY/dims
	c.Shift = c.NLLHSV - c.NLLRGB
	c.Layers, c.RGB, c.HSV = m.layers, rowX, rowY
	d, j, err := ood.MaxRelDiff(rowX, rowY)
	if err != nil {
		return c, err
	}
	c.MaxRelDiff = d
	if j >= 0 && j < len(m.layers) {
		c.WorstLayer = m.layers[j]
	}
	return c, nil
}

// toHSV converts the model's input x [1, 3, S, S] (RGB - 1/2) into y = T(x + 1/2): the H, S and
// V planes.
func toHSV(x *graph.Tensor, size int) (*graph.Tensor, error) {
	n := size * size
	if len(x.Data) != 3*n {
		return nil, fmt.Errorf("scorer: RGB to HSV check: input of shape %v, want [1 3 %d %d]", x.Shape, size, size)
	}
	y := graph.Zeros(x.Shape...)
	for p := range n {
		h, s, v := ood.RGBToHSV(float64(x.Data[p])+0.5, float64(x.Data[n+p])+0.5, float64(x.Data[2*n+p])+0.5)
		y.Data[p], y.Data[n+p], y.Data[2*n+p] = float32(h), float32(s), float32(v)
	}
	return y, nil
}

// fromHSV runs T^-1 on exec: the model's input (RGB - 1/2) at the HSV image y.
func fromHSV(ctx context.Context, exec graph.Executor, y *graph.Tensor) (*graph.Tensor, error) {
	g := graph.New()
	rgb, _, err := ood.HSVToRGBGraph(g, g.Input("y", y.Shape...))
	if err != nil {
		return nil, err
	}
	plan, err := graph.Compile(g, g.AddScalar(rgb, -0.5))
	if err != nil {
		return nil, err
	}
	defer exec.Forget(plan)
	out, err := exec.Run(ctx, plan, graph.Feeds{"y": y})
	if err != nil {
		return nil, fmt.Errorf("scorer: RGB to HSV check: %w", err)
	}
	return out[0], nil
}

// logDets sets PixelLogDet, Size and LogDetShift from the model's input x [1, 3, S, S]. A pixel
// on the grey axis or at black, where T is singular, is an error (uniform dequantization puts
// one there with probability about 2^-50).
func (c *HSVCheck) logDets(x *graph.Tensor, cfg glow.Config) error {
	n := cfg.Size * cfg.Size
	c.Size, c.PixelLogDet, c.LogDetShift = cfg.Size, make([]float64, n), 0
	for p := range n {
		ld := ood.LogAbsDetRGBToHSV(float64(x.Data[p])+0.5, float64(x.Data[n+p])+0.5, float64(x.Data[2*n+p])+0.5)
		if math.IsInf(ld, 0) || math.IsNaN(ld) {
			return fmt.Errorf("scorer: RGB to HSV check: pixel %d of the dequantized image is grey or black, where the change to HSV is singular", p)
		}
		c.PixelLogDet[p] = ld / math.Ln2
		c.LogDetShift += ld
	}
	c.LogDetShift /= float64(cfg.Dims()) * math.Ln2
	return nil
}

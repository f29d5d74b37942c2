package ood

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// RGB to HSV, the paper's representation example (its Section 3 and Figure 3): changing the
// representation of the data changes the likelihood by the log-determinant of the change, while
// the gradient features stay the same (its Proposition 1).
//
// All three coordinates are in [0, 1]: H is the hue as a fraction of a turn, S = (max-min)/max,
// V = max.

// RGBToHSV converts one pixel.
func RGBToHSV(r, g, b float64) (h, s, v float64) {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	c := mx - mn
	v = mx
	if mx > 0 {
		s = c / mx
	}
	if c == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = (g - b) / c
	case g:
		h = 2 + (b-r)/c
	default:
		h = 4 + (r-g)/c
	}
	h /= 6
	if h < 0 {
		h++
	}
	return h, s, v
}

// HSVToRGB inverts RGBToHSV.
func HSVToRGB(h, s, v float64) (r, g, b float64) {
	c := v * s
	hp := math.Mod(h*6, 6)
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	m := v - c
	switch {
	case hp < 1:
		r, g, b = c, x, 0
	case hp < 2:
		r, g, b = x, c, 0
	case hp < 3:
		r, g, b = 0, c, x
	case hp < 4:
		r, g, b = 0, x, c
	case hp < 5:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return r + m, g + m, b + m
}

// LogAbsDetRGBToHSV is log|det d(H,S,V)/d(R,G,B)| at one pixel. Where the maximum, the middle and
// the minimum channel are distinct, the map is smooth and |det| = 1/(6 C V) with C = max - min,
// whatever the order of the channels. It is +Inf at grey or black pixels, where the map is not
// differentiable.
func LogAbsDetRGBToHSV(r, g, b float64) float64 {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	c := mx - mn
	if c <= 0 || mx <= 0 {
		return math.Inf(1)
	}
	return -math.Log(6 * c * mx)
}

// ErrNotColour is returned for images that do not have three channels.
var ErrNotColour = errors.New("ood: RGB to HSV needs a colour (3-channel) image")

// ErrGrey is returned for three-channel images whose every pixel is grey (R = G = B): on the grey
// axis the change to HSV is singular (hue undefined, log-determinant infinite), so such an
// image's shift measures the dequantization noise, not the image.
var ErrGrey = errors.New("ood: RGB to HSV needs a colour image; every pixel of this one is grey (R = G = B)")

// CheckColour returns ErrNotColour unless pix holds HWC pixels of three channels, and ErrGrey
// when every pixel is grey.
func CheckColour(pix []uint8, channels int) error {
	if channels != 3 || len(pix)%3 != 0 || len(pix) == 0 {
		return ErrNotColour
	}
	for i := 0; i < len(pix); i += 3 {
		if pix[i] != pix[i+1] || pix[i] != pix[i+2] {
			return nil
		}
	}
	return ErrGrey
}

// HSVShift is the change in bits per dimension when one image of H x W RGB pixels (values
// pix/255, channels last) is modelled in HSV instead of RGB: (1/D) sum over pixels of
// log2 |det dT/dx|, with D = 3 H W, at the image dequantized as in the paper, x + N(0, 1)/255
// with noise from r (which also keeps pixels off the non-differentiable grey axis).
func HSVShift(pix []uint8, channels int, r *rand.Rand) (float64, error) {
	if err := CheckColour(pix, channels); err != nil {
		return 0, err
	}
	var sum float64
	for i := 0; i < len(pix); i += 3 {
		rr := float64(pix[i])/255 + r.NormFloat64()/255
		gg := float64(pix[i+1])/255 + r.NormFloat64()/255
		bb := float64(pix[i+2])/255 + r.NormFloat64()/255
		sum += LogAbsDetRGBToHSV(rr, gg, bb)
	}
	return sum / float64(len(pix)) / math.Ln2, nil
}

// HSVToRGBGraph appends the inverse change of representation T^-1 to g. y [B, 3, H, W] holds the
// H, S and V planes of images (each in [0, 1], as RGBToHSV gives them); rgb [B, 3, H, W] is
// HSVToRGB of every pixel, and logDet [B] is each image's log|det dT^-1/dy| = sum over pixels of
// log(6 S V^2) (the inverse of LogAbsDetRGBToHSV's 1/(6 C V), with C = S V).
//
// Per pixel and channel n (5 for R, 3 for G, 1 for B), with k = (n + 6 H) mod 6:
// channel = V - V S clamp(min(k, 4 - k), 0, 1), written with the graph's elementwise ops (the mod
// as a step, min as an absolute value, the clamp as two rectified linear units). The map is
// continuous in H, so the choices at the seams do not matter.
func HSVToRGBGraph(g *graph.Graph, y *graph.Node) (rgb, logDet *graph.Node, err error) {
	if sh := y.Shape(); len(sh) != 4 || sh[1] != 3 {
		return nil, nil, fmt.Errorf("ood: HSV to RGB: input %v, want [B 3 H W]", sh)
	}
	h, s, v := g.SliceAxis(y, 1, 0, 1), g.SliceAxis(y, 1, 1, 2), g.SliceAxis(y, 1, 2, 3)
	sixH := g.MulScalar(h, 6)
	vs := g.Mul(v, s)
	channel := func(n float32) *graph.Node {
		a := g.AddScalar(sixH, n)                                              // in [n, n+6)
		k := g.Sub(a, g.MulScalar(g.Unary(graph.Step, g.AddScalar(a, -6)), 6)) // a mod 6
		m := g.Affine(g.Abs(g.AddScalar(k, -2)), -1, 2)                        // min(k, 4-k)
		clamped := g.Sub(g.Relu(m), g.Relu(g.AddScalar(m, -1)))                // clamp(m, 0, 1)
		return g.Sub(v, g.Mul(vs, clamped))
	}
	rgb = g.Concat(1, channel(5), channel(3), channel(1))
	perPixel := g.AddScalar(g.Add(g.Log(s), g.MulScalar(g.Log(v), 2)), float32(math.Log(6)))
	logDet = g.Sum(perPixel, 1, 2, 3)
	if err := g.Err(); err != nil {
		return nil, nil, fmt.Errorf("ood: HSV to RGB: %w", err)
	}
	return rgb, logDet, nil
}

// MaxRelDiff is the largest relative difference |b_j - a_j| / |a_j| between two feature vectors
// of equal length, and the index j where it is reached (-1 when they are empty). A zero a_j
// counts as 1e-30, so that a difference there shows as a huge relative one.
func MaxRelDiff(a, b []float64) (float64, int, error) {
	if len(a) != len(b) {
		return 0, -1, fmt.Errorf("ood: comparing %d features with %d", len(a), len(b))
	}
	worst, at := 0.0, -1
	for j := range a {
		d := math.Abs(b[j]-a[j]) / math.Max(math.Abs(a[j]), 1e-30)
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if at < 0 || d > worst {
			worst, at = d, j
		}
	}
	return worst, at, nil
}

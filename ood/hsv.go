package ood

import (
	"errors"
	"math"
	"math/rand/v2"
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

// HSVShift is the change in bits per dimension when one image of H x W RGB pixels (values
// pix/255, channels last) is modelled in HSV instead of RGB: (1/D) sum over pixels of
// log2 |det dT/dx|, with D = 3 H W, at the image dequantized as in the paper, x + N(0, 1)/255
// with noise from r (which also keeps pixels off the non-differentiable grey axis).
func HSVShift(pix []uint8, channels int, r *rand.Rand) (float64, error) {
	if channels != 3 || len(pix)%3 != 0 || len(pix) == 0 {
		return 0, ErrNotColour
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

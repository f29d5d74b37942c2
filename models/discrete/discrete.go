// Package discrete holds what the models of 8-bit images with a discretized logistic
// likelihood (the VAE's decoder and PixelCNN++) share: the pixels as the graph takes them, with
// the masks of the two open-ended bins, and the discretized logistic's log-probability.
package discrete

import (
	"math"

	"github.com/oodgpu/oodgpu/graph"
)

// Inputs turns pixels scaled to [0, 1] (k/255, in the layout of shape) into x = 2k/255 - 1 and
// the masks notMin = [k > 0] and notMax = [k < 255] that LogisticLogLik takes, each of shape.
func Inputs(pix []float32, shape ...int) (x, notMin, notMax *graph.Tensor) {
	x = graph.Zeros(shape...)
	notMin = graph.Zeros(shape...)
	notMax = graph.Zeros(shape...)
	for i, v := range pix {
		k := math.Round(float64(v) * 255)
		x.Data[i] = float32(2*k/255 - 1)
		if k > 0 {
			notMin.Data[i] = 1
		}
		if k < 255 {
			notMax.Data[i] = 1
		}
	}
	return x, notMin, notMax
}

// LogisticLogLik is the log-probability of each 8-bit pixel k, given as x = 2k/255 - 1, under a
// logistic of mean and log-scale discretized to bins of width 2/255 on [-1, 1] that are
// open-ended at the extremes (PixelCNN++'s edge cases at 0 and 255): P = sigma(a) - sigma(b),
// with a and b the bin's edges in standard units. It is computed as
// log P = [k<255] log sigma(a) + [k>0] log sigma(-b) + [0<k<255] log(1 - exp(-(a-b))),
// since sigma(a) - sigma(b) = sigma(a) sigma(-b) (1 - exp(-(a-b))), which needs no fallback to
// the density for tiny bins; notMin and notMax are the masks of Inputs. x and the masks
// broadcast against mean and logScale (a mixture's components, a per-channel scale).
func LogisticLogLik(g *graph.Graph, x, mean, logScale, notMin, notMax *graph.Node) *graph.Node {
	invScale := g.Exp(g.Neg(logScale))
	centred := g.Sub(x, mean)
	a := g.Mul(g.AddScalar(centred, 1.0/255), invScale)
	b := g.Mul(g.AddScalar(centred, -1.0/255), invScale)
	width := g.MulScalar(invScale, 2.0/255) // a - b
	inner := g.Log(g.AddScalar(g.Neg(g.Exp(g.Neg(width))), 1))
	return g.Add(g.Add(g.Mul(notMax, g.LogSigmoid(a)), g.Mul(notMin, g.LogSigmoid(g.Neg(b)))),
		g.Mul(g.Mul(notMin, notMax), inner))
}

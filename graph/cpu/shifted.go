package cpu

import (
	"sync"

	"github.com/oodgpu/oodgpu/graph/cpu/shiftconv"
)

// Shifted convolutions: a same-size, stride-1 convolution (Glow's 3x3, padding 1) with few
// output or few input channels, run without an im2col matrix. Each input plane is copied once,
// with Pad zero rows and columns around it, into a plane of pitch W + 2*Pad. Output positions
// counted at that pitch (W real columns, 2*Pad spare ones) then read kernel offset (ch, i, j)
// as one contiguous run of the padded planes, starting at ch*plane + i*pitch + j, and
// shiftconv's micro-kernels take weight times run (forward) or the dot product of a run with
// an output channel's gradient (weight gradient), four output channels at a time, in the L1
// cache. sgemm would instead pack a megabyte of im2col per image at 16x16 to use it for a
// handful of rows or columns.

// shiftedMaxChannels bounds the output channels, shiftedMaxRows the im2col rows Ci*KH*KW, of a
// convolution that runs shifted: past both the GEMM's packing pays for itself. The forward pass
// of one with few rows but many output channels runs shifted only on planes of fewer than
// shiftedMinPositions positions: on larger ones sgemm's 128 x P x K product, packing im2col once
// for 128 output channels, is faster (BenchmarkConvShapes).
const (
	shiftedMaxChannels  = 16
	shiftedMaxRows      = 72
	shiftedMinPositions = 256
)

// shiftedForward reports whether the forward pass runs shifted: with shiftconv's assembly
// kernels (its pure-Go loops are slower than the GEMM they would replace), for a same-size
// convolution other than a 1x1 one (a direct GEMM already) with few output channels, or few
// im2col rows on a small plane.
func (c convShape) shiftedForward() bool {
	return shiftconv.Accelerated() && c.same() && !c.direct() &&
		(c.co <= shiftedMaxChannels || c.k() <= shiftedMaxRows && c.p() < shiftedMinPositions)
}

// shiftedWeightGrad reports whether the weight gradient runs shifted: with shiftconv's assembly
// kernels, for a same-size convolution with few output channels or few im2col rows, and for
// every 1x1 convolution, whose GEMM would transpose both operands into panels.
func (c convShape) shiftedWeightGrad() bool {
	return shiftconv.Accelerated() && c.same() &&
		(c.direct() || c.co <= shiftedMaxChannels || c.k() <= shiftedMaxRows)
}

// shiftedGeom holds the layout of a shifted convolution's scratch.
type shiftedGeom struct {
	pitch, plane int // padded row and plane lengths
	run          int // output positions at the pitch: H rows
	blocks       int // blocks of shiftconv.Outputs output channels
	runs         shiftconv.Runs
	// runBlocks are the runs four at a time (the weight gradient's blocks); the last block's
	// missing runs start at 0, and their sums are dropped.
	runBlocks []shiftconv.Runs
}

// shiftedGeoms caches the geometry of each convolution shape, which the shifted passes need
// once per call (weightGradShifted once per group of images).
var shiftedGeoms sync.Map // convShape -> shiftedGeom

// shiftedGeomOf returns the geometry of c, computed once per shape.
func shiftedGeomOf(c convShape) shiftedGeom {
	if g, ok := shiftedGeoms.Load(c); ok {
		return g.(shiftedGeom)
	}
	g := newShiftedGeom(c)
	shiftedGeoms.Store(c, g)
	return g
}

func newShiftedGeom(c convShape) shiftedGeom {
	g := shiftedGeom{pitch: c.w + 2*c.Pad}
	g.plane = (c.h + 2*c.Pad) * g.pitch
	g.run = c.h * g.pitch
	g.blocks = (c.co + shiftconv.Outputs - 1) / shiftconv.Outputs
	start := make([]int, c.k())
	for r := range start {
		ch, i, j := r/(c.kh*c.kw), r/c.kw%c.kh, r%c.kw
		start[r] = ch*g.plane + i*g.pitch + j
	}
	g.runs = shiftconv.NewRuns(start)
	const outs = shiftconv.Outputs
	blocked := make([]int, roundUp(len(start), outs))
	copy(blocked, start)
	for rb := range len(blocked) / outs {
		g.runBlocks = append(g.runBlocks, shiftconv.NewRuns(blocked[rb*outs:(rb+1)*outs]))
	}
	return g
}

// padInput copies image x [Ci H W] into the interiors of the padded planes in dst, whose
// borders must be zero.
func (g shiftedGeom) padInput(c convShape, x, dst []float32) {
	hw := c.h * c.w
	for ch := range c.ci {
		src, d := x[ch*hw:(ch+1)*hw], dst[ch*g.plane+c.Pad*g.pitch+c.Pad:]
		for y := range c.h {
			copy(d[y*g.pitch:y*g.pitch+c.w], src[y*c.w:(y+1)*c.w])
		}
	}
}

// roundUp rounds n up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// convForwardShifted computes y = conv(x, w) for a shifted convolution, one image per task.
func convForwardShifted(c convShape, x, w, y []float32) {
	const outs, width = shiftconv.Outputs, shiftconv.Positions
	g := shiftedGeomOf(c)
	in, out, k := c.ci*c.h*c.w, c.co*c.p(), c.k()
	// The weights block by block, run by run: wb[(b*K+r)*4+o] = w[(4b+o)*K+r], zero past Co.
	wb := make([]float32, g.blocks*k*outs)
	for o := range c.co {
		b, ob := o/outs, o%outs
		for r := range k {
			wb[(b*k+r)*outs+ob] = w[o*k+r]
		}
	}
	tiled := roundUp(g.run, width)
	parallelFor(c.n, 1, func(lo, hi int) {
		buf, release := scratchBuf[float32](c.ci*g.plane + tiled + g.blocks*outs*tiled)
		defer release()
		clear(buf)
		pad, acc := buf[:c.ci*g.plane+tiled], buf[c.ci*g.plane+tiled:]
		for img := lo; img < hi; img++ {
			g.padInput(c, x[img*in:(img+1)*in], pad)
			for b := range g.blocks {
				wblock := wb[b*k*outs : (b+1)*k*outs]
				for q := 0; q < g.run; q += width {
					shiftconv.Forward(wblock, g.runs, pad[q:], acc[b*outs*tiled+q:], tiled)
				}
			}
			yb := y[img*out : (img+1)*out]
			for o := range c.co {
				for oy := range c.h {
					copy(yb[(o*c.h+oy)*c.w:(o*c.h+oy+1)*c.w], acc[o*tiled+oy*g.pitch:])
				}
			}
		}
	})
}

// weightGradShifted adds the weight gradients of images [lo, hi) to dw [Co, K] for a shifted
// convolution: entry (o, r) gains the dot product of gy's channel o, laid out at the pitch with
// zeros in the spare columns, with the run of kernel offset r, a block of four output channels
// by four runs at a time.
func weightGradShifted(c convShape, x, gy []float32, lo, hi int, dw []float32) {
	const outs, lanes = shiftconv.Outputs, shiftconv.Lanes
	g := shiftedGeomOf(c)
	in, out, k, p := c.ci*c.h*c.w, c.co*c.p(), c.k(), c.p()
	tiled := roundUp(g.run, lanes)
	// A 1x1 convolution whose planes fill whole chunks reads its operands in place: the planes
	// are the runs, and gy's channels are laid out at the pitch already.
	inPlace := c.direct() && tiled == p && c.co%outs == 0
	var pad, grad []float32
	if !inPlace {
		buf, release := scratchBuf[float32](c.ci*g.plane + tiled + g.blocks*outs*tiled)
		defer release()
		clear(buf)
		pad, grad = buf[:c.ci*g.plane+tiled], buf[c.ci*g.plane+tiled:]
	}
	var edge [outs * outs]float32
	for img := lo; img < hi; img++ {
		xb, gyb := x[img*in:(img+1)*in], gy[img*out:(img+1)*out]
		src, gr := pad, grad
		if inPlace {
			src, gr = xb, gyb
		} else {
			g.padInput(c, xb, pad)
			for o := range c.co {
				for oy := range c.h {
					copy(grad[o*tiled+oy*g.pitch:o*tiled+oy*g.pitch+c.w], gyb[o*p+oy*c.w:])
				}
			}
		}
		for b := range g.blocks {
			gb := gr[b*outs*tiled:]
			for rb, runs := range g.runBlocks {
				if (b+1)*outs <= c.co && (rb+1)*outs <= k {
					shiftconv.Dot(tiled/lanes, gb, tiled, runs, src, dw[b*outs*k+rb*outs:], k)
					continue
				}
				// A block past the last output channel or run: its entries that exist.
				clear(edge[:])
				shiftconv.Dot(tiled/lanes, gb, tiled, runs, src, edge[:], outs)
				for o := b * outs; o < min((b+1)*outs, c.co); o++ {
					for r := rb * outs; r < min((rb+1)*outs, k); r++ {
						dw[o*k+r] += edge[(o-b*outs)*outs+r-rb*outs]
					}
				}
			}
		}
	}
}

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
	// stack is the most images a stack of the weight gradient holds (stackedGeom), stackPlane
	// the length of its input planes and stackRunBlocks its runs four at a time.
	stack, stackPlane int
	stackRunBlocks    []shiftconv.Runs
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
	start := runStarts(c, g.plane, g.pitch)
	g.runs = shiftconv.NewRuns(start)
	g.runBlocks = blockRuns(start)
	g.stack = max(1, stackPositions/((c.h+c.Pad)*g.pitch))
	g.stackPlane = newStackedGeom(c, g, g.stack).positions + 2*c.Pad*g.pitch + 2*c.Pad
	g.stackRunBlocks = blockRuns(runStarts(c, g.stackPlane, g.pitch))
	return g
}

// runStarts returns the start of each kernel offset's run in input planes of the given length
// and pitch: (ch, i, j) at ch*plane + i*pitch + j.
func runStarts(c convShape, plane, pitch int) []int {
	start := make([]int, c.k())
	for r := range start {
		ch, i, j := r/(c.kh*c.kw), r/c.kw%c.kh, r%c.kw
		start[r] = ch*plane + i*pitch + j
	}
	return start
}

// blockRuns returns the runs starting at start four at a time; the last block's missing runs
// start at 0.
func blockRuns(start []int) []shiftconv.Runs {
	const outs = shiftconv.Outputs
	blocked := make([]int, roundUp(len(start), outs))
	copy(blocked, start)
	var runs []shiftconv.Runs
	for rb := range len(blocked) / outs {
		runs = append(runs, shiftconv.NewRuns(blocked[rb*outs:(rb+1)*outs]))
	}
	return runs
}

// padInput copies image x [Ci H W] into the interiors of the padded planes in dst, whose
// borders must be zero.
func (g shiftedGeom) padInput(c convShape, x, dst []float32) {
	hw := c.h * c.w
	for ch := range c.ci {
		g.copyPlane(c, x[ch*hw:(ch+1)*hw], dst[ch*g.plane+c.Pad*g.pitch+c.Pad:])
	}
}

// copyPlane copies an H x W plane into dst at the pitch.
func (g shiftedGeom) copyPlane(c convShape, plane, dst []float32) {
	for y := range c.h {
		d, s := dst[y*g.pitch:y*g.pitch+c.w], plane[y*c.w:(y+1)*c.w]
		if c.w >= 8 {
			copy(d, s)
			continue
		}
		// Rows of fewer than 8 pixels (Glow's 4x4 level): a loop beats a memmove call.
		for i, v := range s {
			d[i] = v
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
// by four runs at a time. Images are stacked a few at a time (stackedGeom), so that one dot
// product covers all of them; a 1x1 convolution on large planes that fill whole chunks reads its
// operands in place, image by image, instead.
func weightGradShifted(c convShape, x, gy []float32, lo, hi int, dw []float32) {
	const outs, lanes = shiftconv.Outputs, shiftconv.Lanes
	g := shiftedGeomOf(c)
	in, out, p := c.ci*c.h*c.w, c.co*c.p(), c.p()
	if c.direct() && p%lanes == 0 && p >= inPlacePositions && c.co%outs == 0 {
		for img := lo; img < hi; img++ {
			dotBlocks(c, g.blocks, g.runBlocks, p, x[img*in:(img+1)*in], gy[img*out:(img+1)*out], dw)
		}
		return
	}
	full := newStackedGeom(c, g, g.stack)
	buf, release := scratchBuf[float32](c.ci*g.stackPlane + g.blocks*outs*full.positions)
	defer release()
	clear(buf)
	for first := lo; first < hi; {
		st := newStackedGeom(c, g, min(hi-first, g.stack))
		if st.images < g.stack && first > lo {
			// A shorter stack after a full one: its gradient rows are shorter, and the full
			// stack's images below it must not be read.
			clear(buf)
		}
		src, grad := buf[:c.ci*g.stackPlane], buf[c.ci*g.stackPlane:c.ci*g.stackPlane+g.blocks*outs*st.positions]
		for s := range st.images {
			xb, gyb := x[(first+s)*in:(first+s+1)*in], gy[(first+s)*out:(first+s+1)*out]
			top := s * st.rows * g.pitch // image s's first output position
			for ch := range c.ci {
				g.copyPlane(c, xb[ch*p:(ch+1)*p], src[ch*g.stackPlane+top+c.Pad*g.pitch+c.Pad:])
			}
			for o := range c.co {
				g.copyPlane(c, gyb[o*p:(o+1)*p], grad[o*st.positions+top:])
			}
		}
		dotBlocks(c, g.blocks, g.stackRunBlocks, st.positions, src, grad, dw)
		first += st.images
	}
}

// inPlacePositions is the smallest plane a 1x1 convolution's weight gradient reads in place:
// on smaller ones the sums of each image's short dot products cost more than stacking them.
const inPlacePositions = 64

// stackedGeom lays out several images of a shifted convolution one below the other: image s's
// output rows start at row s*rows of the stack, and its padded input rows at the same row of
// planes (of length shiftedGeom.stackPlane) that have Pad zero rows above the first image; the
// Pad zero rows between two images are the bottom border of one and the top border of the next.
// Output position q of the stack, counted at the pitch, then reads kernel offset (ch, i, j) at
// ch*stackPlane + i*pitch + j + q, as for one image; the gradient is zero at the spare columns
// and at the rows between images.
type stackedGeom struct {
	images    int
	rows      int // stack rows per image: H + Pad
	positions int // output positions of the stack, rounded up to whole chunks
}

// stackPositions bounds a stack's output positions, so that four gradient rows and four runs
// stay in the second-level cache.
const stackPositions = 512

func newStackedGeom(c convShape, g shiftedGeom, images int) stackedGeom {
	st := stackedGeom{images: images, rows: c.h + c.Pad}
	st.positions = roundUp(((images-1)*st.rows+c.h)*g.pitch, shiftconv.Lanes)
	return st
}

// dotBlocks adds to dw [Co, K] the dot products of the n positions of each gradient row of grad
// (row o at o*n, blocks*4 rows) with each run of src, four output channels by four runs
// (runBlocks) at a time.
func dotBlocks(c convShape, blocks int, runBlocks []shiftconv.Runs, n int, src, grad, dw []float32) {
	const outs, lanes = shiftconv.Outputs, shiftconv.Lanes
	k := c.k()
	var edge [outs * outs]float32
	for b := range blocks {
		gb := grad[b*outs*n:]
		for rb, runs := range runBlocks {
			if (b+1)*outs <= c.co && (rb+1)*outs <= k {
				shiftconv.Dot(n/lanes, gb, n, runs, src, dw[b*outs*k+rb*outs:], k)
				continue
			}
			// A block past the last output channel or run: its entries that exist.
			clear(edge[:])
			shiftconv.Dot(n/lanes, gb, n, runs, src, edge[:], outs)
			for o := b * outs; o < min((b+1)*outs, c.co); o++ {
				for r := rb * outs; r < min((rb+1)*outs, k); r++ {
					dw[o*k+r] += edge[(o-b*outs)*outs+r-rb*outs]
				}
			}
		}
	}
}

package cpu

import (
	"runtime"
	"sync"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu/vec"
)

// convShape describes one convolution: input x [N Ci H W], weight [Co Ci KH KW], output
// [N Co OH OW]. Transposed convolutions run as the data gradient of the matching convolution.
type convShape struct {
	n, ci, h, w, co, kh, kw, oh, ow int
	graph.ConvGeom
}

func (c convShape) k() int { return c.ci * c.kh * c.kw }
func (c convShape) p() int { return c.oh * c.ow }

// direct reports whether the im2col matrix is the input itself (1x1, stride 1, no padding).
func (c convShape) direct() bool { return c.kh == 1 && c.kw == 1 && c.Stride == 1 && c.Pad == 0 }

func newConvShape(x, w graph.Shape, geom graph.ConvGeom) convShape {
	c := convShape{n: x[0], ci: x[1], h: x[2], w: x[3], co: w[0], kh: w[2], kw: w[3], ConvGeom: geom}
	c.oh, c.ow = geom.OutSize(c.h, c.kh), geom.OutSize(c.w, c.kw)
	return c
}

// im2col lays out one image's receptive fields: col[(c*KH+i)*KW+j][oy*OW+ox].
func im2col[T float](c convShape, x, col []T) {
	if c.same() {
		im2colSame(c, x, col)
		return
	}
	im2colRows(c, x, col)
}

// same reports whether the convolution has stride 1 and an output of its input's size (Glow's
// 3x3 convolutions, padding 1).
func (c convShape) same() bool { return c.Stride == 1 && c.oh == c.h && c.ow == c.w }

// im2colRows is im2col for any geometry, one output row at a time.
func im2colRows[T float](c convShape, x, col []T) {
	for ch := 0; ch < c.ci; ch++ {
		for i := 0; i < c.kh; i++ {
			for j := 0; j < c.kw; j++ {
				row := col[((ch*c.kh+i)*c.kw+j)*c.p():]
				lo, hi := c.validRange(j)
				for oy := 0; oy < c.oh; oy++ {
					iy := oy*c.Stride - c.Pad + i
					dst := row[oy*c.ow : (oy+1)*c.ow]
					if iy < 0 || iy >= c.h {
						clear(dst)
						continue
					}
					src := x[(ch*c.h+iy)*c.w:]
					// Borders are a pixel or two: a loop beats a memclr call.
					for ox := 0; ox < lo; ox++ {
						dst[ox] = 0
					}
					for ox := hi; ox < c.ow; ox++ {
						dst[ox] = 0
					}
					if c.Stride == 1 {
						d, s := dst[lo:hi], src[lo-c.Pad+j:]
						if len(d) > 16 {
							copy(d, s)
							continue
						}
						// Glow's rows are 4 to 16 pixels: a loop beats a memmove call.
						s = s[:len(d)]
						for x := range d {
							d[x] = s[x]
						}
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox] = src[ox*c.Stride-c.Pad+j]
					}
				}
			}
		}
	}
}

// im2colSame is im2col for a stride-1 convolution whose output has its input's size (Glow's 3x3,
// padding 1). Each row of col is then the input plane shifted by (i-Pad)*W + (j-Pad): one copy
// of the plane, then zeros where the shift reads outside it (the rows above or below, and the
// columns that wrapped around from the neighbouring row).
func im2colSame[T float](c convShape, x, col []T) {
	hw := c.h * c.w
	for ch := 0; ch < c.ci; ch++ {
		src := x[ch*hw : (ch+1)*hw]
		for i := 0; i < c.kh; i++ {
			for j := 0; j < c.kw; j++ {
				dst := col[((ch*c.kh+i)*c.kw+j)*hw:][:hw]
				dx := j - c.Pad
				shift := (i-c.Pad)*c.w + dx
				lo, hi := max(0, -shift), min(hw, hw-shift)
				if lo >= hi {
					clear(dst)
					continue
				}
				clear(dst[:lo])
				copy(dst[lo:hi], src[lo+shift:hi+shift])
				clear(dst[hi:])
				// Columns whose source wrapped into the neighbouring row read padding.
				for oy := 0; oy < c.h; oy++ {
					row := dst[oy*c.w : (oy+1)*c.w]
					for ox := 0; ox < -dx; ox++ {
						row[ox] = 0
					}
					for ox := c.w - dx; ox < c.w; ox++ {
						row[ox] = 0
					}
				}
			}
		}
	}
}

// validRange is the range [lo, hi) of output columns whose input column ox*Stride-Pad+j lies
// inside the image.
func (c convShape) validRange(j int) (lo, hi int) {
	lo = max(0, (c.Pad-j+c.Stride-1)/c.Stride)
	hi = min(c.ow, (c.w+c.Pad-j+c.Stride-1)/c.Stride)
	return lo, max(lo, hi)
}

// col2im adds the columns back onto one image's gradient (the adjoint of im2col).
func col2im[T float](c convShape, col, x []T) {
	for ch := 0; ch < c.ci; ch++ {
		for i := 0; i < c.kh; i++ {
			for j := 0; j < c.kw; j++ {
				row := col[((ch*c.kh+i)*c.kw+j)*c.p():]
				lo, hi := c.validRange(j)
				for oy := 0; oy < c.oh; oy++ {
					iy := oy*c.Stride - c.Pad + i
					if iy < 0 || iy >= c.h {
						continue
					}
					src := row[oy*c.ow : (oy+1)*c.ow]
					dst := x[(ch*c.h+iy)*c.w:]
					for ox := lo; ox < hi; ox++ {
						dst[ox*c.Stride-c.Pad+j] += src[ox]
					}
				}
			}
		}
	}
}

// convForward computes y = conv(x, w), one image per task.
func convForward[T float](c convShape, x, w, y []T) {
	if c.shiftedForward() {
		if x32, ok := any(x).([]float32); ok {
			convForwardShifted(c, x32, any(w).([]float32), any(y).([]float32))
			return
		}
	}
	in, out := c.ci*c.h*c.w, c.co*c.p()
	product := sharedA(false, c.co, c.k(), w)
	parallelFor(c.n, 1, func(lo, hi int) {
		col, release := scratchBuf[T](c.scratch())
		defer release()
		for b := lo; b < hi; b++ {
			xb := x[b*in : (b+1)*in]
			if !c.direct() {
				im2col(c, xb, col)
				xb = col
			}
			product(c.p(), xb, y[b*out:(b+1)*out])
		}
	})
}

// convBackwardData computes gx = conv^T(gy, w), the input gradient of a convolution. With fewer
// output than input channels it runs as the forward convolution of gy with the flipped kernel,
// whose im2col matrix is smaller than the one col2im would scatter.
func convBackwardData[T float](c convShape, gy, w, gx []T) {
	if f, ok := c.flipped(); ok && !c.direct() && c.co < c.ci {
		convForward(f, gy, flipKernel(c, w), gx)
		return
	}
	in, out := c.ci*c.h*c.w, c.co*c.p()
	product := sharedA(true, c.k(), c.co, w)
	parallelFor(c.n, 1, func(lo, hi int) {
		col, release := scratchBuf[T](c.scratch())
		defer release()
		for b := lo; b < hi; b++ {
			gxb := gx[b*in : (b+1)*in]
			if c.direct() {
				product(c.p(), gy[b*out:(b+1)*out], gxb)
				continue
			}
			product(c.p(), gy[b*out:(b+1)*out], col)
			clear(gxb)
			col2im(c, col, gxb)
		}
	})
}

// flipped is the convolution whose forward pass computes this one's data gradient, when there is
// one (stride 1, a square kernel, padding below its size): gy [N Co OH OW] convolved with the
// transposed, spatially flipped kernel [Ci Co KH KW] at padding KH-1-Pad.
func (c convShape) flipped() (convShape, bool) {
	if c.Stride != 1 || c.kh != c.kw || c.Pad > c.kh-1 {
		return convShape{}, false
	}
	f := convShape{n: c.n, ci: c.co, h: c.oh, w: c.ow, co: c.ci, kh: c.kh, kw: c.kw,
		ConvGeom: graph.ConvGeom{Stride: 1, Pad: c.kh - 1 - c.Pad}}
	f.oh, f.ow = f.OutSize(f.h, f.kh), f.OutSize(f.w, f.kw)
	return f, f.oh == c.h && f.ow == c.w
}

// flipKernel returns w [Co Ci KH KW] transposed to [Ci Co KH KW] and flipped in space.
func flipKernel[T float](c convShape, w []T) []T {
	out := make([]T, len(w))
	for o := 0; o < c.co; o++ {
		for i := 0; i < c.ci; i++ {
			for y := 0; y < c.kh; y++ {
				for x := 0; x < c.kw; x++ {
					out[((i*c.co+o)*c.kh+c.kh-1-y)*c.kw+c.kw-1-x] = w[((o*c.ci+i)*c.kh+y)*c.kw+x]
				}
			}
		}
	}
	return out
}

// weightGradImages accumulates the weight gradient of images [lo, hi) into dw [Co, K]
// (dw += sum_b gy_b @ col_b^T); col is scratch or nil for direct convolutions.
func weightGradImages[T float](c convShape, x, gy []T, lo, hi int, dw, col []T) {
	if c.shiftedWeightGrad() {
		if dw32, ok := any(dw).([]float32); ok {
			weightGradShifted(c, any(x).([]float32), any(gy).([]float32), lo, hi, dw32)
			return
		}
	}
	in, out := c.ci*c.h*c.w, c.co*c.p()
	for b := lo; b < hi; b++ {
		xb := x[b*in : (b+1)*in]
		if !c.direct() {
			im2col(c, xb, col)
			xb = col
		}
		gyb := gy[b*out : (b+1)*out]
		if c.fewOutputs() {
			if dw32, ok := any(dw).([]float32); ok {
				weightGradDots(c, any(gyb).([]float32), any(xb).([]float32), dw32)
				continue
			}
		}
		gemm(false, true, c.co, c.k(), c.p(), gyb, xb, 1, dw)
	}
}

// fewOutputs reports whether the weight gradient dw += gy @ col^T is cheaper as dot products
// than as a GEMM: with a handful of output channels against many positions (Glow's last 3x3
// convolution of a coupling, 128 -> 4 or 8 channels at 16x16 or 8x8) sgemm would transpose all
// of col into packed panels to use it for a few rows. Only with vec's assembly dot product: the
// pure-Go one (the browser, arm64) is slower than the GEMM it would replace.
func (c convShape) fewOutputs() bool { return vec.Accelerated() && c.co <= 8 && c.p() >= 64 }

// weightGradDots adds gy @ col^T to dw [Co, K] as one dot product of contiguous rows per entry.
func weightGradDots(c convShape, g, x, dw []float32) {
	k, p := c.k(), c.p()
	for r := 0; r < k; r++ {
		row := x[r*p : (r+1)*p]
		for o := 0; o < c.co; o++ {
			dw[o*k+r] += vec.Dot(g[o*p:(o+1)*p], row)
		}
	}
}

func (c convShape) scratch() int {
	if c.direct() {
		return 0
	}
	return c.k() * c.p()
}

// convWeightGrad writes, for each group of groupSize consecutive images, the sum of their weight
// gradients to dw [G, Co, K]. Many groups run one group per task; few groups split each group's
// images over the cores and add the partial sums in a fixed order.
func convWeightGrad[T float](c convShape, x, gy []T, groupSize int, dw []T) {
	groups, size := c.n/groupSize, c.co*c.k()
	workers := runtime.GOMAXPROCS(0)
	if groups >= workers || groupSize == 1 {
		parallelFor(groups, 1, func(lo, hi int) {
			col, release := scratchBuf[T](c.scratch())
			defer release()
			for g := lo; g < hi; g++ {
				d := dw[g*size : (g+1)*size]
				clear(d)
				weightGradImages(c, x, gy, g*groupSize, (g+1)*groupSize, d, col)
			}
		})
		return
	}
	chunks := min(workers, groupSize)
	partial := make([]T, chunks*size)
	for g := 0; g < groups; g++ {
		clear(partial)
		parallelFor(chunks, 1, func(lo, hi int) {
			col, release := scratchBuf[T](c.scratch())
			defer release()
			for ch := lo; ch < hi; ch++ {
				first := g*groupSize + ch*groupSize/chunks
				last := g*groupSize + (ch+1)*groupSize/chunks
				weightGradImages(c, x, gy, first, last, partial[ch*size:(ch+1)*size], col)
			}
		})
		d := dw[g*size : (g+1)*size]
		copy(d, partial[:size])
		for ch := 1; ch < chunks; ch++ {
			for i, v := range partial[ch*size : (ch+1)*size] {
				d[i] += v
			}
		}
	}
}

// convWeightGradSqNorm writes ||sum over the group's images of their weight gradients||^2 per
// group, in the form the planner chose (graph.ConvWeightGradSqNorm.Form), holding one group's
// gradient or Gram matrices per core at a time.
func convWeightGradSqNorm[T float](c convShape, x, gy []T, groupSize int, form graph.NormForm, norms []T) {
	groups, size := c.n/groupSize, c.co*c.k()
	parallelFor(groups, 1, func(lo, hi int) {
		if form == graph.NormGram {
			g := newGramScratch[T](c, groupSize)
			for k := lo; k < hi; k++ {
				norms[k] = T(g.sqNorm(c, x, gy, k*groupSize))
			}
			return
		}
		col, release := scratchBuf[T](c.scratch())
		defer release()
		d, releaseD := scratchBuf[T](size)
		defer releaseD()
		for g := lo; g < hi; g++ {
			clear(d)
			weightGradImages(c, x, gy, g*groupSize, (g+1)*groupSize, d, col)
			var s float64
			for _, v := range d {
				s += float64(v) * float64(v)
			}
			norms[g] = T(s)
		}
	})
}

// gramScratch holds one group's inputs side by side, a [K, T] and g [Co, T] for T = groupSize*P
// positions, and their Gram matrices, T x T each.
type gramScratch[T float] struct {
	groupSize    int
	a, g, col    []T
	gramA, gramG []T
}

func newGramScratch[T float](c convShape, groupSize int) *gramScratch[T] {
	t := groupSize * c.p()
	return &gramScratch[T]{groupSize: groupSize, a: make([]T, c.k()*t), g: make([]T, c.co*t),
		col: make([]T, c.scratch()), gramA: make([]T, t*t), gramG: make([]T, t*t)}
}

// sqNorm returns ||sum_t g_t a_t^T||^2 = sum_{t,t'} (a_t . a_t')(g_t . g_t') over the positions
// t of images [first, first+groupSize).
func (s *gramScratch[T]) sqNorm(c convShape, x, gy []T, first int) float64 {
	p, t := c.p(), s.groupSize*c.p()
	in, out := c.ci*c.h*c.w, c.co*p
	for b := 0; b < s.groupSize; b++ {
		xb := x[(first+b)*in : (first+b+1)*in]
		if !c.direct() {
			im2col(c, xb, s.col)
			xb = s.col
		}
		gb := gy[(first+b)*out : (first+b+1)*out]
		for r := 0; r < c.k(); r++ {
			copy(s.a[r*t+b*p:r*t+(b+1)*p], xb[r*p:(r+1)*p])
		}
		for r := 0; r < c.co; r++ {
			copy(s.g[r*t+b*p:r*t+(b+1)*p], gb[r*p:(r+1)*p])
		}
	}
	gemm(true, false, t, t, c.k(), s.a, s.a, 0, s.gramA)
	gemm(true, false, t, t, c.co, s.g, s.g, 0, s.gramG)
	var sum float64
	for i, v := range s.gramA {
		sum += float64(v) * float64(s.gramG[i])
	}
	return sum
}

// scratch32 pools the float32 scratch of convolutions (im2col columns, a group's gradient), so
// that a training step does not allocate, and the collector does not clear, megabytes per layer.
var scratch32 sync.Pool

// scratchBuf returns n elements of scratch, not cleared, and the function that gives them back.
func scratchBuf[T float](n int) ([]T, func()) {
	if n == 0 {
		return nil, func() {}
	}
	if _, ok := any(T(0)).(float32); !ok {
		return make([]T, n), func() {}
	}
	p, _ := scratch32.Get().(*[]float32)
	if p == nil || cap(*p) < n {
		buf := make([]float32, n)
		p = &buf
	}
	buf := (*p)[:n]
	return any(buf).([]T), func() { scratch32.Put(p) }
}

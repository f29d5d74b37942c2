// Package vec holds the float32 element-wise loops of the CPU executor: binary operations of two
// vectors or of a vector and a scalar, the cheap unary functions, x*scale+shift, and sums in
// float64. On amd64 with AVX2 they run in assembly (vec_amd64.s); everywhere else, and as the
// reference the assembly is tested against, in the pure-Go loops below. Both round every
// element the same way, so results do not depend on which runs.
//
// Every function reads len(y) elements of its operands, which must be at least that long.
package vec

// Accelerated says whether the assembly loops run on this CPU.
func Accelerated() bool { return hasAVX2 }

// Add sets y[i] = a[i] + b[i].
func Add(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	if hasAVX2 {
		addVV(y, a, b)
		return
	}
	for i := range y {
		y[i] = a[i] + b[i]
	}
}

// Sub sets y[i] = a[i] - b[i].
func Sub(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	if hasAVX2 {
		subVV(y, a, b)
		return
	}
	for i := range y {
		y[i] = a[i] - b[i]
	}
}

// Mul sets y[i] = a[i] * b[i].
func Mul(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	if hasAVX2 {
		mulVV(y, a, b)
		return
	}
	for i := range y {
		y[i] = a[i] * b[i]
	}
}

// Div sets y[i] = a[i] / b[i].
func Div(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	if hasAVX2 {
		divVV(y, a, b)
		return
	}
	for i := range y {
		y[i] = a[i] / b[i]
	}
}

// AddScalar sets y[i] = a[i] + c.
func AddScalar(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		addVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = a[i] + c
	}
}

// SubScalar sets y[i] = a[i] - c.
func SubScalar(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		subVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = a[i] - c
	}
}

// ScalarSub sets y[i] = c - a[i].
func ScalarSub(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		rsubVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = c - a[i]
	}
}

// MulScalar sets y[i] = a[i] * c.
func MulScalar(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		mulVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = a[i] * c
	}
}

// DivScalar sets y[i] = a[i] / c.
func DivScalar(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		divVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = a[i] / c
	}
}

// ScalarDiv sets y[i] = c / a[i].
func ScalarDiv(y, a []float32, c float32) {
	a = a[:len(y)]
	if hasAVX2 {
		rdivVS(y, a, c)
		return
	}
	for i := range y {
		y[i] = c / a[i]
	}
}

// Affine sets y[i] = a[i]*scale + shift, rounding the product before the sum.
func Affine(y, a []float32, scale, shift float32) {
	a = a[:len(y)]
	if hasAVX2 {
		affineV(y, a, scale, shift)
		return
	}
	for i := range y {
		y[i] = float32(a[i]*scale) + shift // the conversion keeps the product rounded (no FMA)
	}
}

// Relu sets y[i] = max(a[i], 0); NaN and -0 stay as they are.
func Relu(y, a []float32) {
	a = a[:len(y)]
	if hasAVX2 {
		reluV(y, a)
		return
	}
	for i, v := range a {
		if v < 0 {
			y[i] = 0
		} else {
			y[i] = v
		}
	}
}

// Step sets y[i] = 1 where a[i] > 0, else 0 (NaN gives 0).
func Step(y, a []float32) {
	a = a[:len(y)]
	if hasAVX2 {
		stepV(y, a)
		return
	}
	for i, v := range a {
		if v > 0 {
			y[i] = 1
		} else {
			y[i] = 0
		}
	}
}

// Neg sets y[i] = -a[i].
func Neg(y, a []float32) {
	a = a[:len(y)]
	if hasAVX2 {
		negV(y, a)
		return
	}
	for i, v := range a {
		y[i] = -v
	}
}

// Square sets y[i] = a[i] * a[i].
func Square(y, a []float32) {
	a = a[:len(y)]
	if hasAVX2 {
		squareV(y, a)
		return
	}
	for i, v := range a {
		y[i] = v * v
	}
}

// lanes is the number of float64 partial sums Sum and SumSquares keep.
const lanes = 16

// Sum returns the sum of x in float64. The order of the additions is fixed by len(x) alone:
// element i of the first len(x) - len(x)%16 goes to partial sum i%16, the partial sums are
// combined pairwise as the assembly combines its registers, and the rest is added in order.
func Sum(x []float32) float64 {
	if hasAVX2 {
		return sum64(x)
	}
	return sumGo(x, false)
}

// SumSquares returns the sum of the squares of x in float64, each square formed in float64, in
// the order Sum adds.
func SumSquares(x []float32) float64 {
	if hasAVX2 {
		return sumSquares64(x)
	}
	return sumGo(x, true)
}

func sumGo(x []float32, squares bool) float64 {
	var acc [lanes]float64
	body := len(x) - len(x)%lanes
	for i := 0; i < body; i += lanes {
		for l, v := range x[i : i+lanes] {
			f := float64(v)
			if squares {
				f *= f
			}
			acc[l] += f
		}
	}
	// The assembly's registers hold lanes 0-3, 4-7, 8-11 and 12-15; it adds the first two,
	// the last two, then those sums, then the upper half of the result to the lower, then the
	// two remaining lanes.
	var c [4]float64
	for l := range c {
		c[l] = (acc[l] + acc[4+l]) + (acc[8+l] + acc[12+l])
	}
	s := (c[0] + c[2]) + (c[1] + c[3])
	for _, v := range x[body:] {
		f := float64(v)
		if squares {
			f *= f
		}
		s += f
	}
	return s
}

// dotLanes is the number of float32 partial sums Dot keeps.
const dotLanes = 32

// Dot returns the sum of a[i]*b[i] over a's elements (b must be at least as long), in float32,
// each product rounded before it is added. The order is fixed by len(a) alone: element i of the
// first len(a) - len(a)%32 goes to partial sum i%32, the partial sums are combined as the
// assembly combines its registers, and the rest is added in order.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	if hasAVX2 {
		return dot32(a, b)
	}
	var acc [dotLanes]float32
	body := len(a) - len(a)%dotLanes
	for i := 0; i < body; i += dotLanes {
		bb := b[i : i+dotLanes]
		for l, v := range a[i : i+dotLanes] {
			acc[l] += float32(v * bb[l]) // the conversion keeps the product rounded (no FMA)
		}
	}
	// The assembly's four registers hold lanes 0-7, 8-15, 16-23 and 24-31: it adds the first
	// two, the last two, then those; then the upper four lanes to the lower, lanes 2-3 to 0-1,
	// and lane 1 to lane 0.
	var c [8]float32
	for l := range c {
		c[l] = (acc[l] + acc[8+l]) + (acc[16+l] + acc[24+l])
	}
	var d [4]float32
	for l := range d {
		d[l] = c[l] + c[4+l]
	}
	s := (d[0] + d[2]) + (d[1] + d[3])
	for i := body; i < len(a); i++ {
		s += float32(a[i] * b[i])
	}
	return s
}

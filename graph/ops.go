package graph

import (
	"fmt"
	"math"
	"slices"
)

// Op is an operation of the graph. The set is closed: executors switch on the concrete types below,
// whose exported fields are the op's attributes.
type Op interface {
	// Kind is a short lower-case name of the operation, used in errors and plans.
	Kind() string
	inferShape(in []Shape) (Shape, error)
}

// UnaryFn selects an elementwise function of one argument.
type UnaryFn int

// The elementwise functions of one argument. Sign and Step have zero derivative.
const (
	Neg UnaryFn = iota
	Exp
	Log
	Sqrt
	Square
	Abs
	Sigmoid
	Tanh
	Relu
	Silu
	Softplus
	LogSigmoid
	Sign // -1, 0 or 1
	Step // 1 where x > 0, else 0
)

var unaryNames = [...]string{"neg", "exp", "log", "sqrt", "square", "abs", "sigmoid", "tanh", "relu",
	"silu", "softplus", "logsigmoid", "sign", "step"}

func (f UnaryFn) String() string { return unaryNames[f] }

// Apply evaluates f at x. It is the reference definition every executor must match.
func (f UnaryFn) Apply(x float64) float64 {
	switch f {
	case Neg:
		return -x
	case Exp:
		return math.Exp(x)
	case Log:
		return math.Log(x)
	case Sqrt:
		return math.Sqrt(x)
	case Square:
		return x * x
	case Abs:
		return math.Abs(x)
	case Sigmoid:
		return sigmoid(x)
	case Tanh:
		return math.Tanh(x)
	case Relu:
		return math.Max(x, 0)
	case Silu:
		return x * sigmoid(x)
	case Softplus:
		return softplus(x)
	case LogSigmoid:
		return -softplus(-x)
	case Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case Step:
		if x > 0 {
			return 1
		}
		return 0
	}
	return math.NaN()
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1 + e^x), computed without overflow.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// Unary applies Fn elementwise.
type Unary struct{ Fn UnaryFn }

func (o *Unary) Kind() string                         { return o.Fn.String() }
func (o *Unary) inferShape(in []Shape) (Shape, error) { return in[0].clone(), nil }

// BinaryFn selects an elementwise function of two arguments.
type BinaryFn int

// The elementwise functions of two arguments.
const (
	Add BinaryFn = iota
	Sub
	Mul
	Div
)

var binaryNames = [...]string{"add", "sub", "mul", "div"}

func (f BinaryFn) String() string { return binaryNames[f] }

// Apply evaluates f at (a, b).
func (f BinaryFn) Apply(a, b float64) float64 {
	switch f {
	case Add:
		return a + b
	case Sub:
		return a - b
	case Mul:
		return a * b
	case Div:
		return a / b
	}
	return math.NaN()
}

// Binary applies Fn elementwise with NumPy broadcasting.
type Binary struct{ Fn BinaryFn }

func (o *Binary) Kind() string { return o.Fn.String() }
func (o *Binary) inferShape(in []Shape) (Shape, error) {
	return BroadcastShapes(in[0], in[1])
}

// Affine computes x*Scale + Shift elementwise (the scalar variants of mul and add).
type Affine struct{ Scale, Shift float32 }

func (o *Affine) Kind() string                         { return "affine" }
func (o *Affine) inferShape(in []Shape) (Shape, error) { return in[0].clone(), nil }

// ReduceFn selects a reduction.
type ReduceFn int

// The reductions.
const (
	Sum ReduceFn = iota
	Mean
	LogSumExp
	SumSquares
)

var reduceNames = [...]string{"sum", "mean", "logsumexp", "sumsquares"}

func (f ReduceFn) String() string { return reduceNames[f] }

// Reduce reduces over Axes (sorted, distinct, non-negative). KeepDims keeps them with size 1.
type Reduce struct {
	Fn       ReduceFn
	Axes     []int
	KeepDims bool
}

func (o *Reduce) Kind() string { return o.Fn.String() }
func (o *Reduce) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	for i, a := range o.Axes {
		if a < 0 || a >= len(x) || (i > 0 && a <= o.Axes[i-1]) {
			return nil, fmt.Errorf("axes %v invalid for shape %v", o.Axes, x)
		}
	}
	var out Shape
	for i, d := range x {
		if slices.Contains(o.Axes, i) {
			if o.KeepDims {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, d)
	}
	if out == nil {
		out = Shape{}
	}
	return out, nil
}

// Matmul multiplies the last two axes of its operands, op(A) @ op(B), where op transposes when
// TransA or TransB is set. Leading axes broadcast.
type Matmul struct{ TransA, TransB bool }

func (o *Matmul) Kind() string { return "matmul" }

// MatmulDims returns M, K of op(a) and K, N of op(b) for operands of the given shapes.
func (o *Matmul) MatmulDims(a, b Shape) (m, ka, kb, n int) {
	m, ka = a[len(a)-2], a[len(a)-1]
	if o.TransA {
		m, ka = ka, m
	}
	kb, n = b[len(b)-2], b[len(b)-1]
	if o.TransB {
		kb, n = n, kb
	}
	return
}

func (o *Matmul) inferShape(in []Shape) (Shape, error) {
	a, b := in[0], in[1]
	if len(a) < 2 || len(b) < 2 {
		return nil, fmt.Errorf("operands need rank >= 2, got %v and %v", a, b)
	}
	m, ka, kb, n := o.MatmulDims(a, b)
	if ka != kb {
		return nil, fmt.Errorf("inner dimensions differ: %v (transA=%v) and %v (transB=%v)", a, o.TransA, b, o.TransB)
	}
	batch, err := BroadcastShapes(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return nil, fmt.Errorf("batch axes: %w", err)
	}
	return append(batch, m, n), nil
}

// ConvGeom is the geometry shared by the convolution ops: square stride and symmetric zero padding.
type ConvGeom struct{ Stride, Pad int }

// OutSize is the output extent of a convolution over an input extent with kernel extent k.
func (c ConvGeom) OutSize(in, k int) int { return (in+2*c.Pad-k)/c.Stride + 1 }

func (c ConvGeom) check() error {
	if c.Stride < 1 || c.Pad < 0 {
		return fmt.Errorf("stride %d and padding %d: need stride >= 1, padding >= 0", c.Stride, c.Pad)
	}
	return nil
}

// Conv2D convolves x [N, Cin, H, W] with w [Cout, Cin, KH, KW] (cross-correlation, as in PyTorch).
type Conv2D struct{ ConvGeom }

func (o *Conv2D) Kind() string { return "conv2d" }
func (o *Conv2D) inferShape(in []Shape) (Shape, error) {
	x, w := in[0], in[1]
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(x) != 4 || len(w) != 4 {
		return nil, fmt.Errorf("need x [N C H W] and w [Cout Cin KH KW], got %v and %v", x, w)
	}
	if x[1] != w[1] {
		return nil, fmt.Errorf("x has %d channels, w expects %d (x %v, w %v)", x[1], w[1], x, w)
	}
	oh, ow := o.OutSize(x[2], w[2]), o.OutSize(x[3], w[3])
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("kernel %dx%d does not fit input %dx%d with padding %d", w[2], w[3], x[2], x[3], o.Pad)
	}
	return Shape{x[0], w[0], oh, ow}, nil
}

// ConvTranspose2D is the transpose (gradient) of Conv2D: x [N, Cin, H, W], w [Cin, Cout, KH, KW],
// output extent (H-1)*Stride - 2*Pad + KH + OutPad.
type ConvTranspose2D struct {
	ConvGeom
	OutPad int
}

func (o *ConvTranspose2D) Kind() string { return "convtranspose2d" }
func (o *ConvTranspose2D) inferShape(in []Shape) (Shape, error) {
	x, w := in[0], in[1]
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(x) != 4 || len(w) != 4 {
		return nil, fmt.Errorf("need x [N C H W] and w [Cin Cout KH KW], got %v and %v", x, w)
	}
	if x[1] != w[0] {
		return nil, fmt.Errorf("x has %d channels, w expects %d (x %v, w %v)", x[1], w[0], x, w)
	}
	if o.OutPad < 0 || o.OutPad >= o.Stride {
		return nil, fmt.Errorf("output padding %d must be in [0, stride %d)", o.OutPad, o.Stride)
	}
	oh := (x[2]-1)*o.Stride - 2*o.Pad + w[2] + o.OutPad
	ow := (x[3]-1)*o.Stride - 2*o.Pad + w[3] + o.OutPad
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("empty output %dx%d", oh, ow)
	}
	return Shape{x[0], w[1], oh, ow}, nil
}

// ConvWeightGrad is the weight gradient of Conv2D: from the layer input x [N, Cin, H, W] and the
// output gradient gy [N, Cout, OH, OW] it computes, for each group of GroupSize consecutive images,
// the sum of their weight gradients: [N/GroupSize, Cout, Cin, KH, KW]. GroupSize 1 gives per-sample
// gradients, GroupSize N the ordinary gradient.
type ConvWeightGrad struct {
	ConvGeom
	KH, KW, GroupSize int
}

func (o *ConvWeightGrad) Kind() string { return "convweightgrad" }
func (o *ConvWeightGrad) inferShape(in []Shape) (Shape, error) {
	x, gy := in[0], in[1]
	if err := o.checkGrad(x, gy); err != nil {
		return nil, err
	}
	return Shape{x[0] / o.GroupSize, gy[1], x[1], o.KH, o.KW}, nil
}

func (o *ConvWeightGrad) checkGrad(x, gy Shape) error {
	if err := o.check(); err != nil {
		return err
	}
	if len(x) != 4 || len(gy) != 4 || x[0] != gy[0] {
		return fmt.Errorf("need x [N Cin H W] and gy [N Cout OH OW], got %v and %v", x, gy)
	}
	if o.GroupSize < 1 || x[0]%o.GroupSize != 0 {
		return fmt.Errorf("group size %d does not divide batch %d", o.GroupSize, x[0])
	}
	if o.OutSize(x[2], o.KH) != gy[2] || o.OutSize(x[3], o.KW) != gy[3] {
		return fmt.Errorf("gy %v does not match a %dx%d convolution of x %v", gy, o.KH, o.KW, x)
	}
	return nil
}

// ConvWeightGradSqNorm is ||ConvWeightGrad||^2 per group, [N/GroupSize], computed without keeping
// the per-group gradients.
type ConvWeightGradSqNorm struct{ ConvWeightGrad }

func (o *ConvWeightGradSqNorm) Kind() string { return "convweightgradsqnorm" }
func (o *ConvWeightGradSqNorm) inferShape(in []Shape) (Shape, error) {
	if err := o.checkGrad(in[0], in[1]); err != nil {
		return nil, err
	}
	return Shape{in[0][0] / o.GroupSize}, nil
}

// Upsample repeats each pixel of x [N, C, H, W] Factor times in both directions (nearest).
type Upsample struct{ Factor int }

func (o *Upsample) Kind() string { return "upsample" }
func (o *Upsample) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	if len(x) != 4 || o.Factor < 1 {
		return nil, fmt.Errorf("need x [N C H W] and factor >= 1, got %v and %d", x, o.Factor)
	}
	return Shape{x[0], x[1], x[2] * o.Factor, x[3] * o.Factor}, nil
}

// AvgPool averages non-overlapping Size x Size windows of x [N, C, H, W]; H and W must divide.
type AvgPool struct{ Size int }

func (o *AvgPool) Kind() string { return "avgpool" }
func (o *AvgPool) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	if len(x) != 4 || o.Size < 1 || x[2]%o.Size != 0 || x[3]%o.Size != 0 {
		return nil, fmt.Errorf("need x [N C H W] with H and W divisible by %d, got %v", o.Size, x)
	}
	return Shape{x[0], x[1], x[2] / o.Size, x[3] / o.Size}, nil
}

// Reshape gives x a new shape of the same size. Executors may alias the input's storage.
type Reshape struct{ To Shape }

func (o *Reshape) Kind() string { return "reshape" }
func (o *Reshape) inferShape(in []Shape) (Shape, error) {
	if in[0].Size() != o.To.Size() {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in[0], in[0].Size(), o.To, o.To.Size())
	}
	return o.To.clone(), nil
}

// Permute reorders axes: output axis i is input axis Perm[i].
type Permute struct{ Perm []int }

func (o *Permute) Kind() string { return "permute" }
func (o *Permute) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	if len(o.Perm) != len(x) {
		return nil, fmt.Errorf("permutation %v for rank %d", o.Perm, len(x))
	}
	seen := make([]bool, len(x))
	out := make(Shape, len(x))
	for i, p := range o.Perm {
		if p < 0 || p >= len(x) || seen[p] {
			return nil, fmt.Errorf("%v is not a permutation of %d axes", o.Perm, len(x))
		}
		seen[p] = true
		out[i] = x[p]
	}
	return out, nil
}

// Pad pads with zeros: Lo[i] before and Hi[i] after axis i.
type Pad struct{ Lo, Hi []int }

func (o *Pad) Kind() string { return "pad" }
func (o *Pad) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	if len(o.Lo) != len(x) || len(o.Hi) != len(x) {
		return nil, fmt.Errorf("padding %v/%v for rank %d", o.Lo, o.Hi, len(x))
	}
	out := make(Shape, len(x))
	for i := range x {
		if o.Lo[i] < 0 || o.Hi[i] < 0 {
			return nil, fmt.Errorf("negative padding %v/%v", o.Lo, o.Hi)
		}
		out[i] = x[i] + o.Lo[i] + o.Hi[i]
	}
	return out, nil
}

// Slice keeps Start[i] <= index < End[i] along every axis i.
type Slice struct{ Start, End []int }

func (o *Slice) Kind() string { return "slice" }
func (o *Slice) inferShape(in []Shape) (Shape, error) {
	x := in[0]
	if len(o.Start) != len(x) || len(o.End) != len(x) {
		return nil, fmt.Errorf("slice bounds %v/%v for rank %d", o.Start, o.End, len(x))
	}
	out := make(Shape, len(x))
	for i := range x {
		if o.Start[i] < 0 || o.End[i] > x[i] || o.Start[i] >= o.End[i] {
			return nil, fmt.Errorf("slice [%d, %d) out of range for axis %d of %v", o.Start[i], o.End[i], i, x)
		}
		out[i] = o.End[i] - o.Start[i]
	}
	return out, nil
}

// Concat joins its operands along Axis; other axes must agree.
type Concat struct{ Axis int }

func (o *Concat) Kind() string { return "concat" }
func (o *Concat) inferShape(in []Shape) (Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	out := in[0].clone()
	if o.Axis < 0 || o.Axis >= len(out) {
		return nil, fmt.Errorf("axis %d for rank %d", o.Axis, len(out))
	}
	for _, s := range in[1:] {
		if len(s) != len(out) {
			return nil, fmt.Errorf("ranks differ: %v and %v", in[0], s)
		}
		for i := range s {
			if i != o.Axis && s[i] != out[i] {
				return nil, fmt.Errorf("shapes %v and %v differ outside axis %d", in[0], s, o.Axis)
			}
		}
		out[o.Axis] += s[o.Axis]
	}
	return out, nil
}

// SpaceToDepth moves Block x Block pixel blocks into channels (Glow's squeeze): x [N, C, H, W]
// becomes [N, C*Block*Block, H/Block, W/Block], output channel c*Block*Block + i*Block + j holding
// input pixel (Block*h + i, Block*w + j) of channel c.
type SpaceToDepth struct{ Block int }

func (o *SpaceToDepth) Kind() string { return "spacetodepth" }
func (o *SpaceToDepth) inferShape(in []Shape) (Shape, error) {
	x, b := in[0], o.Block
	if len(x) != 4 || b < 1 || x[2]%b != 0 || x[3]%b != 0 {
		return nil, fmt.Errorf("need x [N C H W] with H and W divisible by %d, got %v", b, x)
	}
	return Shape{x[0], x[1] * b * b, x[2] / b, x[3] / b}, nil
}

// DepthToSpace is the inverse of SpaceToDepth.
type DepthToSpace struct{ Block int }

func (o *DepthToSpace) Kind() string { return "depthtospace" }
func (o *DepthToSpace) inferShape(in []Shape) (Shape, error) {
	x, b := in[0], o.Block
	if len(x) != 4 || b < 1 || x[1]%(b*b) != 0 {
		return nil, fmt.Errorf("need x [N C H W] with C divisible by %d, got %v", b*b, x)
	}
	return Shape{x[0], x[1] / (b * b), x[2] * b, x[3] * b}, nil
}

// BroadcastTo expands x to shape To by NumPy broadcasting.
type BroadcastTo struct{ To Shape }

func (o *BroadcastTo) Kind() string { return "broadcast" }
func (o *BroadcastTo) inferShape(in []Shape) (Shape, error) {
	s, err := BroadcastShapes(in[0], o.To)
	if err != nil || !s.Equal(o.To) {
		return nil, fmt.Errorf("cannot broadcast %v to %v", in[0], o.To)
	}
	return o.To.clone(), nil
}

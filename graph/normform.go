package graph

// NormForm is how an executor forms the squared norm of a group's weight gradient,
// ||sum_t g_t a_t^T||^2, for a layer with T positions in the group (images times output pixels),
// inputs a_t of width dIn (Ci*KH*KW for a convolution) and output gradients g_t of width dOut.
type NormForm int

const (
	// NormDirect forms the gradient, dOut x dIn, in O(T dIn dOut), then sums its squares.
	NormDirect NormForm = iota
	// NormGram reads the norm from the positions' two Gram matrices,
	// sum_{t,t'} (a_t . a_t')(g_t . g_t'), in O(T^2 (dIn + dOut)), never forming the gradient.
	NormGram
)

func (f NormForm) String() string {
	if f == NormGram {
		return "gram"
	}
	return "direct"
}

// ChooseNormForm returns the cheaper form by multiply-add count: Gram where
// T (dIn + dOut) < dIn dOut, that is where the positions are few against the layer's widths.
func ChooseNormForm(positions, dIn, dOut int) NormForm {
	if positions*(dIn+dOut) < dIn*dOut {
		return NormGram
	}
	return NormDirect
}

// Form is the norm form of this op for input x [N Ci H W] and output gradient gy [N Co OH OW]:
// the planner's choice, which executors follow.
func (o *ConvWeightGradSqNorm) Form(x, gy Shape) NormForm {
	return ChooseNormForm(o.GroupSize*gy[2]*gy[3], x[1]*o.KH*o.KW, gy[1])
}

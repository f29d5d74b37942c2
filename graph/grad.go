package graph

import (
	"fmt"
	"slices"
)

// Grad appends the backward pass of loss (one element) to the graph and returns, for each of
// params, the node holding d loss / d param, shaped like the parameter. Parameters that do not
// influence loss get zeros.
func (g *Graph) Grad(loss *Node, params []*Node) ([]*Node, error) {
	b, err := g.newBackward(loss, params, 0)
	if err != nil {
		return nil, g.record(err)
	}
	if loss.shape.Size() != 1 {
		return nil, g.record(fmt.Errorf("graph: grad: loss must have one element, got %v", loss.shape))
	}
	if err := b.run(g.Const(Full(1, loss.shape...))); err != nil {
		return nil, g.record(err)
	}
	out := make([]*Node, len(params))
	for j, p := range params {
		out[j] = b.result[p]
	}
	return out, nil
}

// GradSqNorms appends the layer-wise squared gradient norms of the paper's features. perSample
// holds the log-likelihoods l_b of the batch, shape [B]. The B images are cut into B/groupSize
// groups of consecutive images, and the result, shape [B/groupSize, len(params)], holds at (k, j)
// the squared norm ||d/dparams[j] sum_{b in group k} l_b||^2. groupSize 1 gives per-sample features
// (B = 1 in the paper), groupSize B one feature row for the whole batch.
//
// It needs one backward pass: per-sample parameter gradients are formed where a batched value
// meets a parameter, kept only until their norm is taken, and not formed at all for convolution
// weights used once (their norm is fused into the weight-gradient kernel).
func (g *Graph) GradSqNorms(perSample *Node, params []*Node, groupSize int) (*Node, error) {
	if len(params) == 0 {
		return nil, g.record(fmt.Errorf("graph: gradsqnorms: no parameters"))
	}
	b, err := g.newBackward(perSample, params, groupSize)
	if err != nil {
		return nil, g.record(err)
	}
	s := perSample.shape
	if !perSample.batched || len(s) != 1 {
		return nil, g.record(fmt.Errorf("graph: gradsqnorms: per-sample loss must be a batched [B] value, got %v", perSample))
	}
	if groupSize < 1 || s[0]%groupSize != 0 {
		return nil, g.record(fmt.Errorf("graph: gradsqnorms: group size %d does not divide batch %d", groupSize, s[0]))
	}
	if err := b.run(g.Const(Full(1, s...))); err != nil {
		return nil, g.record(err)
	}
	cols := make([]*Node, len(params))
	for j, p := range params {
		cols[j] = g.Reshape(b.result[p], b.groups, 1)
	}
	out := g.Concat(1, cols...)
	return out, g.record(g.err)
}

func (g *Graph) record(err error) error {
	if err != nil && g.err == nil {
		g.err = err
	}
	return err
}

// backward holds the state of one reverse pass.
type backward struct {
	g         *Graph
	loss      *Node
	groupSize int // 0: ordinary gradients; else per-group squared norms
	groups    int
	wanted    map[*Node]bool // requested parameters
	needs     []bool         // node id -> lies on a path from a wanted parameter to loss
	uses      []int          // node id -> number of uses by ancestors of loss
	lastUse   []int          // node id -> smallest id of a consumer among ancestors of loss
	grads     map[*Node]*Node
	fused     map[*Node]*Node // parameter -> fused squared-norm node
	result    map[*Node]*Node // parameter -> gradient (ordinary) or [G] squared norms (grouped)
}

func (g *Graph) newBackward(loss *Node, params []*Node, groupSize int) (*backward, error) {
	if g.err != nil {
		return nil, g.err
	}
	if loss == nil || loss.g != g || loss.id < 0 {
		return nil, fmt.Errorf("graph: grad: loss is not a node of this graph")
	}
	b := &backward{g: g, loss: loss, groupSize: groupSize, wanted: map[*Node]bool{},
		grads: map[*Node]*Node{}, fused: map[*Node]*Node{}, result: map[*Node]*Node{}}
	if groupSize > 0 {
		b.groups = loss.shape[0] / groupSize
	}
	for _, p := range params {
		if p == nil || p.g != g {
			return nil, fmt.Errorf("graph: grad: parameter is nil or from another graph")
		}
		if _, ok := p.op.(*ParamOp); !ok {
			return nil, fmt.Errorf("graph: grad: %v is not a parameter", p)
		}
		if b.wanted[p] {
			return nil, fmt.Errorf("graph: grad: parameter %q requested twice", p.LeafName())
		}
		b.wanted[p] = true
	}
	n := loss.id + 1
	anc := make([]bool, n)
	anc[loss.id] = true
	b.uses = make([]int, n)
	b.lastUse = make([]int, n)
	for id := loss.id; id >= 0; id-- {
		if !anc[id] {
			continue
		}
		for _, in := range g.nodes[id].inputs {
			anc[in.id] = true
			b.uses[in.id]++
			b.lastUse[in.id] = id
		}
	}
	b.needs = make([]bool, n)
	for id := 0; id < n; id++ {
		nd := g.nodes[id]
		if !anc[id] {
			continue
		}
		b.needs[id] = b.wanted[nd]
		for _, in := range nd.inputs {
			b.needs[id] = b.needs[id] || b.needs[in.id]
		}
	}
	return b, nil
}

func (b *backward) run(seed *Node) error {
	g := b.g
	b.grads[b.loss] = seed
	if b.wanted[b.loss] {
		b.finish(b.loss)
	}
	for id := b.loss.id; id >= 0; id-- {
		n := g.nodes[id]
		gy := b.grads[n]
		if !b.needs[id] || gy == nil || n.IsLeaf() {
			continue
		}
		delete(b.grads, n) // the node's gradient is complete and consumed here
		if b.groupSize > 0 && n.batched {
			if err := b.checkSampleIndependence(n); err != nil {
				return err
			}
		}
		need := make([]bool, len(n.inputs))
		for i, in := range n.inputs {
			need[i] = b.needs[in.id]
		}
		gx, err := b.rule(n, gy, need)
		if err != nil {
			return fmt.Errorf("graph: backward of %v: %w", n, err)
		}
		if g.err != nil {
			return fmt.Errorf("backward of %v: %w", n, g.err)
		}
		for i, in := range n.inputs {
			if !need[i] || gx == nil || gx[i] == nil {
				continue
			}
			if prev := b.grads[in]; prev != nil {
				b.grads[in] = g.accumulate(prev, gx[i])
			} else {
				b.grads[in] = gx[i]
			}
		}
		for _, in := range n.inputs {
			if b.wanted[in] && b.lastUse[in.id] == id && b.result[in] == nil {
				b.finish(in)
			}
		}
	}
	for p := range b.wanted {
		if b.result[p] == nil {
			b.finish(p)
		}
	}
	return g.err
}

// finish turns the completed gradient of parameter p into its result.
func (b *backward) finish(p *Node) {
	g := b.g
	grad := b.grads[p]
	delete(b.grads, p)
	if b.groupSize == 0 {
		if grad == nil {
			grad = g.Const(Zeros(p.shape...))
		}
		b.result[p] = grad
		return
	}
	switch {
	case b.fused[p] != nil:
		b.result[p] = b.fused[p]
	case grad == nil:
		b.result[p] = g.Const(Zeros(b.groups))
	case len(grad.shape) == 1:
		b.result[p] = g.Square(grad)
	default:
		axes := make([]int, len(grad.shape)-1)
		for i := range axes {
			axes[i] = i + 1
		}
		b.result[p] = g.Reduce(SumSquares, grad, false, axes...)
	}
}

// checkSampleIndependence rejects ops that combine different samples of a batched value, for which
// per-sample gradients are undefined.
func (b *backward) checkSampleIndependence(n *Node) error {
	x := n.inputs[0]
	mixes := false
	switch o := n.op.(type) {
	case *Reduce:
		mixes = x.batched && slices.Contains(o.Axes, 0)
	case *Reshape:
		mixes = o.To[0] != x.shape[0]
	case *Permute:
		mixes = o.Perm[0] != 0
	case *Slice:
		mixes = o.Start[0] != 0 || o.End[0] != x.shape[0]
	case *Pad:
		mixes = o.Lo[0] != 0 || o.Hi[0] != 0
	case *Concat:
		mixes = o.Axis == 0
		for _, in := range n.inputs {
			if !in.batched {
				return fmt.Errorf("graph: per-sample gradients: %v joins batched and unbatched values", n)
			}
		}
	case *BroadcastTo:
		mixes = x.batched && o.To[0] != x.shape[0]
	case *Matmul:
		a, w := n.inputs[0], n.inputs[1]
		mixes = (a.batched && len(a.shape) == 2 && o.TransA) || (w.batched && len(w.shape) == 2)
	case *Conv2D, *ConvTranspose2D:
		if n.inputs[1].batched {
			return fmt.Errorf("graph: per-sample gradients: %v has a batched weight", n)
		}
	}
	if mixes {
		return fmt.Errorf("graph: per-sample gradients: %v mixes samples along the batch axis", n)
	}
	return nil
}

// boundary reports whether the gradient flowing from batched n into unbatched input in must be
// kept per group instead of summed over the batch.
func (b *backward) boundary(n, in *Node) bool {
	return b.groupSize > 0 && n.batched && !in.batched
}

// lead is the number of extra leading (group) axes that gy carries relative to node n.
func lead(gy, n *Node) int { return len(gy.shape) - len(n.shape) }

// reduceTo sums gradient gy of node n (of shape out) down to the gradient of its input in, which
// was broadcast to out.
func (b *backward) reduceTo(gy, in, n *Node) *Node {
	g := b.g
	out := n.shape
	pin := in.shape.padLeft(len(out))
	if b.boundary(n, in) {
		if pin[0] != 1 {
			return g.failf("per-sample gradients: unbatched %v has a batch-sized leading axis in %v", in, n)
		}
		var axes []int
		for i := 1; i < len(out); i++ {
			if pin[i] == 1 && gy.shape[i] != 1 {
				axes = append(axes, i)
			}
		}
		r := gy
		if len(axes) > 0 {
			r = g.Reduce(Sum, gy, true, axes...)
		}
		size := in.shape.Size()
		if b.groupSize > 1 {
			r = g.Reduce(Sum, g.Reshape(r, b.groups, b.groupSize, size), false, 1)
		}
		return g.Reshape(r, append([]int{b.groups}, in.shape...)...)
	}
	l := lead(gy, n)
	var axes []int
	for i := range pin {
		if pin[i] == 1 && gy.shape[l+i] != 1 {
			axes = append(axes, l+i)
		}
	}
	r := gy
	if len(axes) > 0 {
		r = g.Reduce(Sum, gy, true, axes...)
	}
	final := append(gy.shape[:l].clone(), in.shape...)
	if !r.shape.Equal(final) {
		r = g.Reshape(r, final...)
	}
	return r
}

// leadShape prefixes s with gy's leading group axes.
func leadShape(gy, n *Node, s Shape) []int {
	return append(gy.shape[:lead(gy, n)].clone(), s...)
}

func (b *backward) rule(n, gy *Node, need []bool) ([]*Node, error) {
	g := b.g
	l := lead(gy, n)
	x := n.inputs[0]
	switch o := n.op.(type) {
	case *Unary:
		return []*Node{b.unaryGrad(o.Fn, x, n, gy)}, nil
	case *Binary:
		return b.binaryGrad(o.Fn, n, gy, need), nil
	case *Affine:
		return []*Node{g.MulScalar(gy, o.Scale)}, nil
	case *Reduce:
		return []*Node{b.reduceGrad(o, x, n, gy)}, nil
	case *Matmul:
		return b.matmulGrad(o, n, gy, need)
	case *Conv2D:
		if l > 0 {
			return nil, fmt.Errorf("convolution of unbatched values has no per-sample gradient")
		}
		w := n.inputs[1]
		out := make([]*Node, 2)
		if need[0] {
			op, err := transposeOutPad(x.shape, gy.shape, w.shape, o.ConvGeom)
			if err != nil {
				return nil, err
			}
			out[0] = g.ConvTranspose2D(gy, w, o.Stride, o.Pad, op)
		}
		if need[1] {
			out[1] = b.weightGrad(n, w, x, gy, o.ConvGeom)
		}
		return out, nil
	case *ConvTranspose2D:
		if l > 0 {
			return nil, fmt.Errorf("convolution of unbatched values has no per-sample gradient")
		}
		w := n.inputs[1]
		out := make([]*Node, 2)
		if need[0] {
			out[0] = g.Conv2D(gy, w, o.Stride, o.Pad)
		}
		if need[1] {
			out[1] = b.weightGrad(n, w, gy, x, o.ConvGeom)
		}
		return out, nil
	case *Upsample:
		if l > 0 {
			return nil, fmt.Errorf("upsampling of unbatched values has no per-sample gradient")
		}
		f := float32(o.Factor)
		return []*Node{g.MulScalar(g.AvgPool(gy, o.Factor), f*f)}, nil
	case *AvgPool:
		if l > 0 {
			return nil, fmt.Errorf("pooling of unbatched values has no per-sample gradient")
		}
		k := float32(o.Size)
		return []*Node{g.MulScalar(g.Upsample(gy, o.Size), 1/(k*k))}, nil
	case *Reshape:
		return []*Node{g.Reshape(gy, leadShape(gy, n, x.shape)...)}, nil
	case *Permute:
		inv := make([]int, l+len(o.Perm))
		for i := 0; i < l; i++ {
			inv[i] = i
		}
		for i, p := range o.Perm {
			inv[l+p] = l + i
		}
		return []*Node{g.Permute(gy, inv...)}, nil
	case *Pad:
		start := make([]int, l, l+len(o.Lo))
		end := gy.shape[:l].clone()
		for i := range o.Lo {
			start = append(start, o.Lo[i])
			end = append(end, o.Lo[i]+x.shape[i])
		}
		return []*Node{g.Slice(gy, start, end)}, nil
	case *Slice:
		lo := make([]int, l, l+len(o.Start))
		hi := make([]int, l, l+len(o.Start))
		for i := range o.Start {
			lo = append(lo, o.Start[i])
			hi = append(hi, x.shape[i]-o.End[i])
		}
		return []*Node{g.Pad(gy, lo, hi)}, nil
	case *Concat:
		out := make([]*Node, len(n.inputs))
		off := 0
		for i, in := range n.inputs {
			size := in.shape[o.Axis]
			if need[i] {
				out[i] = g.SliceAxis(gy, l+o.Axis, off, off+size)
			}
			off += size
		}
		return out, nil
	case *SpaceToDepth:
		if l > 0 {
			return nil, fmt.Errorf("squeeze of unbatched values has no per-sample gradient")
		}
		return []*Node{g.DepthToSpace(gy, o.Block)}, nil
	case *DepthToSpace:
		if l > 0 {
			return nil, fmt.Errorf("unsqueeze of unbatched values has no per-sample gradient")
		}
		return []*Node{g.SpaceToDepth(gy, o.Block)}, nil
	case *BroadcastTo:
		return []*Node{b.reduceTo(gy, x, n)}, nil
	}
	return nil, fmt.Errorf("no gradient for %s (second-order gradients are not supported)", n.op.Kind())
}

func (b *backward) unaryGrad(fn UnaryFn, x, y, gy *Node) *Node {
	g := b.g
	switch fn {
	case Neg:
		return g.Neg(gy)
	case Exp:
		return g.Mul(gy, y)
	case Log:
		return g.Div(gy, x)
	case Sqrt:
		return g.Div(g.MulScalar(gy, 0.5), y)
	case Square:
		return g.Mul(gy, g.MulScalar(x, 2))
	case Abs:
		return g.Mul(gy, g.Unary(Sign, x))
	case Sigmoid:
		return g.Mul(gy, g.Sub(y, g.Square(y)))
	case Tanh:
		return g.Mul(gy, g.Affine(g.Square(y), -1, 1))
	case Relu:
		return g.Mul(gy, g.Unary(Step, x))
	case Silu:
		s := g.Sigmoid(x)
		return g.Mul(gy, g.Mul(s, g.AddScalar(g.Mul(x, g.Affine(s, -1, 1)), 1)))
	case Softplus:
		return g.Mul(gy, g.Sigmoid(x))
	case LogSigmoid:
		return g.Mul(gy, g.Sigmoid(g.Neg(x)))
	}
	return nil // Sign and Step: zero almost everywhere
}

func (b *backward) binaryGrad(fn BinaryFn, n, gy *Node, need []bool) []*Node {
	g := b.g
	a, c := n.inputs[0], n.inputs[1]
	out := make([]*Node, 2)
	switch fn {
	case Add, Sub:
		if need[0] {
			out[0] = b.reduceTo(gy, a, n)
		}
		if need[1] {
			gc := gy
			if fn == Sub {
				gc = g.Neg(gy)
			}
			out[1] = b.reduceTo(gc, c, n)
		}
	case Mul:
		if need[0] {
			out[0] = b.reduceTo(g.Mul(gy, c), a, n)
		}
		if need[1] {
			out[1] = b.reduceTo(g.Mul(gy, a), c, n)
		}
	case Div:
		if need[0] {
			out[0] = b.reduceTo(g.Div(gy, c), a, n)
		}
		if need[1] {
			out[1] = b.reduceTo(g.Neg(g.Div(g.Mul(gy, n), c)), c, n)
		}
	}
	return out
}

func (b *backward) reduceGrad(o *Reduce, x, y, gy *Node) *Node {
	g := b.g
	keep := x.shape.clone()
	count := 1
	for _, a := range o.Axes {
		count *= keep[a]
		keep[a] = 1
	}
	gk := gy
	if want := leadShape(gy, y, keep); !gy.shape.Equal(want) {
		gk = g.Reshape(gy, want...)
	}
	full := leadShape(gy, y, x.shape)
	switch o.Fn {
	case Sum:
		return g.BroadcastTo(gk, full...)
	case Mean:
		return g.MulScalar(g.BroadcastTo(gk, full...), 1/float32(count))
	case SumSquares:
		return g.Mul(gk, g.MulScalar(x, 2))
	case LogSumExp:
		yk := y
		if !y.shape.Equal(keep) {
			yk = g.Reshape(y, keep...)
		}
		return g.Mul(gk, g.Exp(g.Sub(x, yk)))
	}
	return g.failf("graph: no gradient for reduction %v", o.Fn)
}

func (b *backward) matmulGrad(o *Matmul, n, gy *Node, need []bool) ([]*Node, error) {
	g := b.g
	a, c := n.inputs[0], n.inputs[1]
	out := make([]*Node, 2)
	if need[0] {
		var ga *Node
		if o.TransA {
			ga = g.MatmulT(c, gy, o.TransB, true)
		} else {
			ga = g.MatmulT(gy, c, false, !o.TransB)
		}
		if b.boundary(n, a) && len(c.shape) == 2 {
			return nil, fmt.Errorf("per-sample gradient of a left matmul operand against a rank-2 batched right operand")
		}
		out[0] = b.reduceTo(ga, a, n)
	}
	if need[1] {
		if b.boundary(n, c) && len(c.shape) == 2 && !o.TransA {
			// Per-group weight gradient: fold samples, and everything between them and the rows,
			// into the contraction of one batched matmul.
			k := a.shape[len(a.shape)-1]
			ng := gy.shape[len(gy.shape)-1]
			ag := g.Reshape(a, b.groups, -1, k)
			gg := g.Reshape(gy, b.groups, -1, ng)
			if o.TransB {
				out[1] = g.MatmulT(gg, ag, true, false)
			} else {
				out[1] = g.MatmulT(ag, gg, true, false)
			}
			return out, nil
		}
		var gc *Node
		if o.TransB {
			gc = g.MatmulT(gy, a, true, o.TransA)
		} else {
			gc = g.MatmulT(a, gy, !o.TransA, false)
		}
		out[1] = b.reduceTo(gc, c, n)
	}
	return out, nil
}

// weightGrad is the gradient of a convolution weight w from the data-side operand x and the
// output-side operand gy (for a transposed convolution the roles are swapped by the caller).
func (b *backward) weightGrad(n, w, x, gy *Node, geom ConvGeom) *Node {
	g := b.g
	batch := x.shape[0]
	wg := ConvWeightGrad{ConvGeom: geom, KH: w.shape[2], KW: w.shape[3], GroupSize: batch}
	if !b.boundary(n, w) {
		return g.Reshape(g.add(&wg, x, gy), w.shape...)
	}
	wg.GroupSize = b.groupSize
	if b.wanted[w] && b.uses[w.id] == 1 {
		b.fused[w] = g.add(&ConvWeightGradSqNorm{wg}, x, gy)
		return nil
	}
	return g.Reshape(g.add(&wg, x, gy), append([]int{b.groups}, w.shape...)...)
}

// transposeOutPad is the output padding that makes the transposed convolution of gy reproduce
// the spatial size of x.
func transposeOutPad(x, gy, w Shape, c ConvGeom) (int, error) {
	oph := x[2] - ((gy[2]-1)*c.Stride - 2*c.Pad + w[2])
	opw := x[3] - ((gy[3]-1)*c.Stride - 2*c.Pad + w[3])
	if oph != opw {
		return 0, fmt.Errorf("input %v needs different output paddings in H and W", x)
	}
	return oph, nil
}

// accumulate returns the sum of two gradient contributions to one value. Two zero-padded pieces
// side by side along one axis (the gradients of the parts of a split) are joined instead: their
// concatenation, padded by what neither covers. The values are the same, without the zero fills
// and the addition.
func (g *Graph) accumulate(a, b *Node) *Node {
	if j := g.joinPads(a, b); j != nil {
		return j
	}
	if j := g.joinPads(b, a); j != nil {
		return j
	}
	return g.Add(a, b)
}

// joinPads joins a = Pad(x) and b = Pad(y) when they differ along one axis only and y starts
// where x ends there; otherwise it returns nil.
func (g *Graph) joinPads(a, b *Node) *Node {
	pa, okA := a.op.(*Pad)
	pb, okB := b.op.(*Pad)
	if !okA || !okB || !a.shape.Equal(b.shape) {
		return nil
	}
	axis := -1
	for i := range pa.Lo {
		if pa.Lo[i] == pb.Lo[i] && pa.Hi[i] == pb.Hi[i] {
			continue
		}
		if axis >= 0 {
			return nil
		}
		axis = i
	}
	x, y := a.inputs[0], b.inputs[0]
	if axis < 0 || pa.Lo[axis]+x.shape[axis] != pb.Lo[axis] {
		return nil
	}
	lo, hi := slices.Clone(pa.Lo), slices.Clone(pa.Hi)
	hi[axis] = pb.Hi[axis]
	joined := g.Concat(axis, x, y)
	if slices.ContainsFunc(lo, func(v int) bool { return v != 0 }) || slices.ContainsFunc(hi, func(v int) bool { return v != 0 }) {
		return g.Pad(joined, lo, hi)
	}
	return joined
}

package graph

// Composite layers built from the primitive ops, differentiated through them.

// GroupNorm normalizes x [N C H W] over each of groups channel groups per image, to zero mean and
// unit variance (biased, with eps added to the variance). It has no affine part: multiply and add
// per-channel parameters for that. Statistics are per image, so samples stay independent.
func (g *Graph) GroupNorm(x *Node, groups int, eps float32) *Node {
	if g.err != nil {
		return g.bad
	}
	s := x.shape
	if len(s) != 4 || groups < 1 || s[1]%groups != 0 {
		return g.failf("graph: groupnorm: need x [N C H W] with C divisible by %d, got %v", groups, s)
	}
	v := g.Reshape(x, s[0], groups, -1)
	mean := g.Reduce(Mean, v, true, 2)
	centred := g.Sub(v, mean)
	variance := g.Reduce(Mean, g.Square(centred), true, 2)
	y := g.Div(centred, g.Sqrt(g.AddScalar(variance, eps)))
	return g.Reshape(y, s...)
}

// Eye is the n x n identity as a constant.
func (g *Graph) Eye(n int) *Node {
	t := Zeros(n, n)
	for i := 0; i < n; i++ {
		t.Data[i*n+i] = 1
	}
	return g.Const(t)
}

// TriangularMask is an n x n constant with ones strictly below (upper=false) or strictly above
// (upper=true) the diagonal, as the L and U factors of the LU-parameterized 1x1 convolution need.
func (g *Graph) TriangularMask(n int, upper bool) *Node {
	t := Zeros(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if (upper && j > i) || (!upper && j < i) {
				t.Data[i*n+j] = 1
			}
		}
	}
	return g.Const(t)
}

// Diag extracts the diagonal of a square matrix x [n n] as [n].
func (g *Graph) Diag(x *Node) *Node {
	if g.err != nil {
		return g.bad
	}
	if len(x.shape) != 2 || x.shape[0] != x.shape[1] {
		return g.failf("graph: diag needs a square matrix, got %v", x.shape)
	}
	return g.Sum(g.Mul(x, g.Eye(x.shape[0])), 1)
}

// DiagMatrix places v [n] on the diagonal of an n x n matrix.
func (g *Graph) DiagMatrix(v *Node) *Node {
	if g.err != nil {
		return g.bad
	}
	if len(v.shape) != 1 {
		return g.failf("graph: diagmatrix needs a vector, got %v", v.shape)
	}
	n := v.shape[0]
	return g.Mul(g.Reshape(v, 1, n), g.Eye(n))
}

// LogAbs is log|x|.
func (g *Graph) LogAbs(x *Node) *Node { return g.Log(g.Abs(x)) }

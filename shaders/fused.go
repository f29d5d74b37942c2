package shaders

import (
	"fmt"
	"strings"
)

// Member kinds of a fused chain.
const (
	MemberUnary  = iota // Fn applied to one operand (graph.UnaryFn codes)
	MemberBinary        // Fn of two operands (graph.BinaryFn codes)
	MemberAffine        // operand*scale + shift, both read from the parameters (Params.affine)
)

// Operand is what a chain member reads: an input binding (read through its strides unless
// dense) or an earlier member's value.
type Operand struct {
	Input bool
	Index int // input index, or member index
}

// Member is one element-wise step of a chain.
type Member struct {
	Kind int
	Fn   uint32
	Args []Operand // one operand (unary, affine) or two (binary)
	// Store is the output binding the member's value is written to, or -1.
	Store int
}

// Chain describes an element-wise chain to compile to one kernel: its inputs, its members in
// order and, optionally, a final reduction of one member.
type Chain struct {
	// Dense says, per input, whether it is indexed like the domain (same shape, contiguous,
	// offset 0); the others are read through their views in the parameters (Params.views).
	Dense   []bool
	Members []Member
	// Outputs is the number of output bindings the members' Store fields name.
	Outputs int
	// Reduce, when true, makes member ReduceOf the argument of a final reduction with function
	// ReduceFn (graph.ReduceFn codes: 0 sum, 1 mean, 3 sum of squares) written to one more
	// binding.
	Reduce   bool
	ReduceOf int
	ReduceFn uint32
}

// Bindings is the number of storage buffers the kernel binds, the parameters included.
func (c Chain) Bindings() int {
	n := 1 + len(c.Dense) + c.Outputs
	if c.Reduce {
		n++
	}
	return n
}

// Fused returns the WGSL module of chain c: common.wgsl and fused.wgsl with the chain's bindings,
// the lengths of its Params arrays and its member expressions filled in. Entry points: fused (no
// reduction), fused_rows and fused_small (a final reduction). Its Params (fused.wgsl) holds a view
// per input that is not Dense, in input order, and a scale and shift per affine member, in member
// order.
func Fused(c Chain, opts Options) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	var bind strings.Builder
	for k := range c.Dense {
		fmt.Fprintf(&bind, "@group(0) @binding(%d) var<storage, read> in%d: array<f32>;\n", 1+k, k)
	}
	for k := 0; k < c.Outputs; k++ {
		fmt.Fprintf(&bind, "@group(0) @binding(%d) var<storage, read_write> out%d: array<f32>;\n", 1+len(c.Dense)+k, k)
	}
	fmt.Fprintf(&bind, "@group(0) @binding(%d) var<storage, read_write> reduced: array<f32>;\n", 1+len(c.Dense)+c.Outputs)
	fmt.Fprintf(&bind, "const REDUCE_FN: u32 = %du;", c.ReduceFn)

	var body strings.Builder
	strided := 0
	for k, dense := range c.Dense {
		if dense {
			fmt.Fprintf(&body, "    let x%d = in%d[i];\n", k, k)
			continue
		}
		fmt.Fprintf(&body, "    let x%d = in%d[view_offset(i, %du)];\n", k, k, strided)
		strided++
	}
	affine := 0
	for k, m := range c.Members {
		args := make([]string, len(m.Args))
		for a, op := range m.Args {
			if op.Input {
				args[a] = fmt.Sprintf("x%d", op.Index)
			} else {
				args[a] = fmt.Sprintf("m%d", op.Index)
			}
		}
		var expr string
		switch m.Kind {
		case MemberUnary:
			expr = fmt.Sprintf("unary_fn(%du, %s)", m.Fn, args[0])
		case MemberBinary:
			expr = fmt.Sprintf("binary_fn(%du, %s, %s)", m.Fn, args[0], args[1])
		case MemberAffine:
			expr = fmt.Sprintf("%s * prm.affine[%d].scale + prm.affine[%d].shift", args[0], affine, affine)
			affine++
		}
		fmt.Fprintf(&body, "    let m%d = %s;\n", k, expr)
		if m.Store >= 0 {
			fmt.Fprintf(&body, "    out%d[i] = m%d;\n", m.Store, k)
		}
	}
	last := len(c.Members) - 1
	if c.Reduce {
		last = c.ReduceOf
	}
	fmt.Fprintf(&body, "    return m%d;", last)

	var views, affines string
	if strided > 0 {
		views = fmt.Sprintf("    views: array<View, %d>,", strided)
	}
	if affine > 0 {
		affines = fmt.Sprintf("    affine: array<Affine, %d>,", affine)
	}
	src, err := Source("fused", opts)
	if err != nil {
		return "", err
	}
	for _, f := range []struct{ marker, text string }{
		{"    // @views", views}, {"    // @affine", affines}, {"// @bindings", bind.String()}, {"    // @values", body.String()},
	} {
		if src, err = fill(src, f.marker, f.text); err != nil {
			return "", err
		}
	}
	// An array of length 0 does not exist in WGSL: without strided inputs, Params has no views
	// and view_offset, which reads them, goes too.
	return section(src, "strided", strided > 0)
}

func (c Chain) validate() error {
	if len(c.Members) == 0 {
		return fmt.Errorf("shaders: fused chain without members")
	}
	stored := make([]bool, c.Outputs)
	for k, m := range c.Members {
		want := 1
		if m.Kind == MemberBinary {
			want = 2
		}
		if m.Kind < MemberUnary || m.Kind > MemberAffine || len(m.Args) != want {
			return fmt.Errorf("shaders: fused chain member %d: kind %d with %d operands", k, m.Kind, len(m.Args))
		}
		for _, a := range m.Args {
			if (a.Input && (a.Index < 0 || a.Index >= len(c.Dense))) || (!a.Input && (a.Index < 0 || a.Index >= k)) {
				return fmt.Errorf("shaders: fused chain member %d reads operand %+v that is not defined before it", k, a)
			}
		}
		if m.Store >= c.Outputs || m.Store < -1 || (m.Store >= 0 && stored[m.Store]) {
			return fmt.Errorf("shaders: fused chain member %d stores to output %d of %d (or one already used)", k, m.Store, c.Outputs)
		}
		if m.Store >= 0 {
			stored[m.Store] = true
		}
	}
	if c.Reduce && (c.ReduceOf < 0 || c.ReduceOf >= len(c.Members) || c.ReduceFn == 2 || c.ReduceFn > 3) {
		return fmt.Errorf("shaders: fused chain reduction of member %d with function %d", c.ReduceOf, c.ReduceFn)
	}
	return nil
}

package shaders

import (
	"fmt"
	"strings"
)

// Member kinds of a fused chain.
const (
	MemberUnary  = iota // Fn applied to one operand (graph.UnaryFn codes)
	MemberBinary        // Fn of two operands (graph.BinaryFn codes)
	MemberAffine        // operand*scale + shift, both read from the parameter words
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
	// offset 0); the others are read through strides in the parameter words.
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

// Layout of a chain's parameter words (see fused.wgsl).
const (
	fusedHeader  = 8 // n, rank, shape[6]
	fusedViewLen = 7 // offset, strides[6]
)

// StridedInputs is the number of inputs read through strides.
func (c Chain) StridedInputs() int {
	k := 0
	for _, d := range c.Dense {
		if !d {
			k++
		}
	}
	return k
}

// AffineBase is the parameter word where the first affine member's scale is; each affine member
// takes two words (scale, shift) in member order.
func (c Chain) AffineBase() int { return fusedHeader + fusedViewLen*c.StridedInputs() }

// ReduceBase is the parameter word where a final reduction's views start.
func (c Chain) ReduceBase() int {
	affine := 0
	for _, m := range c.Members {
		if m.Kind == MemberAffine {
			affine++
		}
	}
	return c.AffineBase() + 2*affine
}

// Bindings is the number of storage buffers the kernel binds, the parameter words included.
func (c Chain) Bindings() int {
	n := 1 + len(c.Dense) + c.Outputs
	if c.Reduce {
		n++
	}
	return n
}

// Fused returns the WGSL module of chain c: common.wgsl and fused.wgsl with the chain's bindings
// and member expressions filled in. Entry points: fused (no reduction), fused_rows and
// fused_small (a final reduction).
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
	fmt.Fprintf(&bind, "const RED: u32 = %du;\nconst REDUCE_FN: u32 = %du;", c.ReduceBase(), c.ReduceFn)

	var body strings.Builder
	strided := 0
	for k, dense := range c.Dense {
		if dense {
			fmt.Fprintf(&body, "    let x%d = in%d[i];\n", k, k)
			continue
		}
		fmt.Fprintf(&body, "    let x%d = in%d[view_offset(i, %du)];\n", k, k, fusedHeader+fusedViewLen*strided)
		strided++
	}
	affine := c.AffineBase()
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
			expr = fmt.Sprintf("%s * bitcast<f32>(prm[%du]) + bitcast<f32>(prm[%du])", args[0], affine, affine+1)
			affine += 2
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

	src, err := Source("fused", opts)
	if err != nil {
		return "", err
	}
	src, err = fill(src, "// @bindings", bind.String())
	if err != nil {
		return "", err
	}
	return fill(src, "    // @values", body.String())
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

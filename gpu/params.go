//go:build cgo || js

package gpu

import (
	"fmt"
	"math"
	"reflect"
)

// The kernels' parameters. Binding 0 of every kernel is its family's WGSL struct Params
// (shaders/*.wgsl); the structs below are those field for field, in the same order, with Go
// CamelCase names for the WGSL snake_case ones (TestParamsMatchWGSL checks names, order and
// types), and words encodes one as the buffer's 32-bit words. Fields are uint32 or float32 (u32
// and f32), arrays of uint32 (array<u32, n>), structs of such fields (a WGSL struct; an embedded
// one stands for its fields), and, in the generated fused kernels, slices of structs (a WGSL
// array whose length is the chain's).

// elementwiseParams is elementwise.wgsl's Params; each kernel reads its own fields.
type elementwiseParams struct {
	N            uint32  // elements of the output
	Op           uint32  // unary: graph.UnaryFn, binary: graph.BinaryFn
	Scale, Shift float32 // affine
	Rank         uint32  // binary: rank and shape of the view over the output, the operands' strides in it
	Shape        [maxRank]uint32
	AStrides     [maxRank]uint32
	BStrides     [maxRank]uint32
}

// reductionParams is common.wgsl's Reduction: a reduction's kept and reduced views, the number of
// elements it reduces, and where its outputs go (reductionOf).
type reductionParams struct {
	KeptRank       uint32
	KeptShape      [maxRank]uint32
	KeptStrides    [maxRank]uint32
	ReducedRank    uint32
	ReducedShape   [maxRank]uint32
	ReducedStrides [maxRank]uint32
	Count          uint32
	OutOffset      uint32
	OutStride      uint32
}

// reduceParams is reduce.wgsl's Params.
type reduceParams struct {
	N   uint32 // outputs
	Op  uint32 // graph.ReduceFn
	Red reductionParams
}

// layoutParams is layout.wgsl's Params: a strided copy.
type layoutParams struct {
	N          uint32
	Rank       uint32
	Shape      [maxRank]uint32
	SrcStrides [maxRank]uint32
	DstStrides [maxRank]uint32
	SrcOffset  uint32
	DstOffset  uint32
}

// matmulParams is matmul.wgsl's Params.
type matmulParams struct {
	M, N, K        uint32
	TransA, TransB uint32 // 0 or 1
	BatchRank      uint32
	BatchShape     [maxBatchRank]uint32
	AStrides       [maxBatchRank]uint32 // in whole matrices
	BStrides       [maxBatchRank]uint32
}

// convGeometry is a convolution's geometry, normgram.wgsl's Params and the first fields of
// conv.wgsl's.
type convGeometry struct {
	NB, CI, H, W, CO, KH, KW, OH, OW uint32
	Stride, Pad                      uint32
	Group                            uint32 // the weight gradient's group size
}

// convParams is conv.wgsl's Params.
type convParams struct {
	convGeometry
	Cols uint32 // columns of 4x4 blocks in a workgroup (convLayout)
}

// fusedParams is the Params of a generated fused kernel (fused.wgsl, shaders.Fused).
type fusedParams struct {
	N      uint32 // domain elements, or reduction outputs
	Rank   uint32
	Shape  [maxRank]uint32 // the domain
	Red    reductionParams // zero without a final reduction
	Views  []fusedView     // per strided input, in input order
	Affine []fusedAffine   // per affine member, in member order
}

// fusedView is fused.wgsl's View: a strided input's view over the domain.
type fusedView struct {
	Offset  uint32
	Strides [maxRank]uint32
}

// fusedAffine is fused.wgsl's Affine.
type fusedAffine struct {
	Scale, Shift float32
}

// maxBatchRank is the largest number of independent batch axes of a matmul.
const maxBatchRank = 4

// words encodes parameter struct p as the words of its WGSL struct: fields in order (an embedded
// struct's in its place), arrays and slices element by element, float32 as its bits.
func words(p any) []uint32 {
	var w []uint32
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Uint32:
			w = append(w, uint32(v.Uint()))
		case reflect.Float32:
			w = append(w, math.Float32bits(float32(v.Float())))
		case reflect.Array, reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		default:
			panic(fmt.Sprintf("gpu: kernel parameter of type %s", v.Type()))
		}
	}
	walk(reflect.ValueOf(p))
	return w
}

// pad6 is the first maxRank entries of a view's shape or strides, zero beyond its rank.
func pad6(v []int) (a [maxRank]uint32) {
	for i, x := range v {
		a[i] = uint32(x)
	}
	return a
}

// pad4 is pad6 for a matmul's batch axes.
func pad4(v []int) (a [maxBatchRank]uint32) {
	for i, x := range v {
		a[i] = uint32(x)
	}
	return a
}

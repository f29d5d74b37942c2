//go:build cgo || js

package gpu

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/oodgpu/oodgpu/shaders"
)

// familyParams gives each kernel family's parameter struct, "fused" the generated kernels'.
var familyParams = map[string]any{
	"elementwise": elementwiseParams{},
	"reduce":      reduceParams{},
	"layout":      layoutParams{},
	"matmul":      matmulParams{},
	"conv":        convParams{},
	"normgram":    convGeometry{},
	"fused":       fusedParams{},
}

// TestParamsMatchWGSL checks every family's Go parameter struct against the WGSL struct Params of
// its module, field by field: the same names (CamelCase for snake_case), in the same order, of
// the same types. The fused chain has a strided input and an affine member, so that its Params
// has every field.
func TestParamsMatchWGSL(t *testing.T) {
	sources := map[string]string{}
	for _, family := range shaders.Families {
		src, err := shaders.Source(family, shaders.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sources[family] = src
	}
	chain := shaders.Chain{Dense: []bool{true, false}, Outputs: 1, Reduce: true, ReduceOf: 1, ReduceFn: 3,
		Members: []shaders.Member{
			{Kind: shaders.MemberBinary, Args: []shaders.Operand{{Input: true}, {Input: true, Index: 1}}, Store: 0},
			{Kind: shaders.MemberAffine, Args: []shaders.Operand{{Index: 0}}, Store: -1},
		}}
	src, err := shaders.Fused(chain, shaders.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sources["fused"] = src
	for family, src := range sources {
		p, ok := familyParams[family]
		if !ok {
			t.Errorf("%s: no Go parameter struct in familyParams", family)
			continue
		}
		structs := wgslStructs(src)
		if _, ok := structs["Params"]; !ok {
			t.Errorf("%s: no struct Params", family)
			continue
		}
		if err := matchType(reflect.TypeOf(p), "Params", structs); err != nil {
			t.Errorf("%s: Go %T against WGSL Params: %v", family, p, err)
		}
	}
}

// wgslField is a field of a WGSL struct: its name and type as written.
type wgslField struct{ name, typ string }

var (
	wgslComment = regexp.MustCompile(`//[^\n]*`)
	wgslStruct  = regexp.MustCompile(`struct\s+(\w+)\s*\{([^}]*)\}`)
	wgslMember  = regexp.MustCompile(`(\w+)\s*:\s*(array<[^>]*>|\w+)`)
)

// wgslStructs returns the fields of each struct of WGSL source src, by struct name.
func wgslStructs(src string) map[string][]wgslField {
	structs := map[string][]wgslField{}
	for _, s := range wgslStruct.FindAllStringSubmatch(wgslComment.ReplaceAllString(src, ""), -1) {
		var fields []wgslField
		for _, m := range wgslMember.FindAllStringSubmatch(s[2], -1) {
			fields = append(fields, wgslField{m[1], strings.Join(strings.Fields(m[2]), " ")})
		}
		structs[s[1]] = fields
	}
	return structs
}

// goFields lists the fields of struct type st, those of an embedded struct in its place.
func goFields(st reflect.Type) []reflect.StructField {
	var fields []reflect.StructField
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous {
			fields = append(fields, goFields(f.Type)...)
			continue
		}
		fields = append(fields, f)
	}
	return fields
}

var wgslArray = regexp.MustCompile(`^array<(\w+)(?:, (\d+))?>$`)

// matchType checks Go type gt against WGSL type typ: uint32 is u32, float32 f32, [n]T is
// array<T, n>, a slice of T array<T, n> for any n (or array<T>), and a struct the WGSL struct of
// the same fields, named snake_case.
func matchType(gt reflect.Type, typ string, structs map[string][]wgslField) error {
	array := wgslArray.FindStringSubmatch(typ)
	switch k := gt.Kind(); {
	case k == reflect.Uint32 && typ == "u32", k == reflect.Float32 && typ == "f32":
		return nil
	case k == reflect.Array && array != nil && array[2] == fmt.Sprint(gt.Len()), k == reflect.Slice && array != nil:
		return matchType(gt.Elem(), array[1], structs)
	case k == reflect.Struct && structs[typ] != nil:
		wf, gf := structs[typ], goFields(gt)
		var wn, gn []string
		for _, f := range wf {
			wn = append(wn, f.name)
		}
		for _, f := range gf {
			gn = append(gn, snake(f.Name))
		}
		if !slices.Equal(gn, wn) {
			return fmt.Errorf("fields %v, WGSL struct %s has %v", gn, typ, wn)
		}
		for i, f := range gf {
			if err := matchType(f.Type, wf[i].typ, structs); err != nil {
				return fmt.Errorf("%s.%s: %w", typ, wf[i].name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("Go type %s is not WGSL %s", gt, typ)
}

// snake is Go field name s in WGSL's snake_case: AStrides is a_strides, KeptShape kept_shape, NB nb.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// TestWords checks the encoding of parameter structs: fields in order, embedded structs in
// place, arrays and slices element by element, floats as their bits.
func TestWords(t *testing.T) {
	got := words(fusedParams{N: 1, Rank: 2, Shape: [maxRank]uint32{3, 4}, Red: reductionParams{OutStride: 5},
		Views: []fusedView{{Offset: 6, Strides: [maxRank]uint32{7}}}, Affine: []fusedAffine{{Scale: 0.5, Shift: -1}}})
	want := []uint32{1, 2, 3, 4, 0, 0, 0, 0}
	want = append(want, make([]uint32, 28)...)
	want = append(want, 5, 6, 7, 0, 0, 0, 0, 0, math.Float32bits(0.5), math.Float32bits(-1))
	if !slices.Equal(got, want) {
		t.Errorf("fused parameters: words\n%v, want\n%v", got, want)
	}
	if got, want := words(convParams{convGeometry: convGeometry{NB: 1, Group: 12}, Cols: 13}),
		[]uint32{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13}; !slices.Equal(got, want) {
		t.Errorf("conv parameters: words %v, want %v", got, want)
	}
}

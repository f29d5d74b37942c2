package weights

import (
	"fmt"
	"math"
)

// maxHalf is the largest finite IEEE 754 half-precision value.
const maxHalf = 65504

// beyondHalf reports whether v is finite but too large for half precision, where narrowing
// would turn it into an infinity.
func beyondHalf(v float32) bool {
	a := math.Abs(float64(v))
	return a > maxHalf && !math.IsInf(a, 1)
}

// halfToFloat32 widens an IEEE 754 half-precision value (exactly: every half is a float32).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0: // zero
		return math.Float32frombits(sign)
	}
	// Subnormal: frac * 2^-24.
	v := float32(frac) / (1 << 24)
	if sign != 0 {
		v = -v
	}
	return v
}

// float32ToHalf rounds v to the nearest half-precision value, ties to even. Finite values beyond
// the half range become infinities; callers check the range first.
func float32ToHalf(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127
	frac := b & 0x7fffff
	switch {
	case exp == 128: // Inf or NaN (keeping the top of a NaN's payload, so halves round-trip)
		if frac>>13 != 0 {
			return sign | 0x7c00 | uint16(frac>>13)
		}
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 15:
		return sign | 0x7c00
	case exp >= -14: // normal half: keep 10 fraction bits, round the other 13 to nearest even
		h := uint32(exp+15)<<10 | frac>>13
		rest := frac & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, which is the correct rounding (up to Inf)
		}
		return sign | uint16(h)
	case exp >= -25: // subnormal half: the value in units of 2^-24, rounded to nearest even
		m := frac | 0x800000      // 24 significant bits, value m * 2^(exp-23)
		shift := uint32(-exp - 1) // units of 2^-24: m * 2^(exp-23+24) = m >> (-exp-1)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign // underflows to zero
}

// RoundToHalf rounds every tensor of f to half precision in place and marks f to be written with
// F16 tensors, halving its size on disk. Computing with f after this gives exactly what a reader
// of the written file computes. It fails, changing nothing, if a value is not finite or beyond
// the half range (±65504).
func (f *File) RoundToHalf() error {
	for _, name := range f.Names() {
		for i, v := range f.Tensors[name].Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || beyondHalf(v) {
				return fmt.Errorf("weights: tensor %q value %d is %g, outside the half-precision range", name, i, v)
			}
		}
	}
	for _, t := range f.Tensors {
		for i, v := range t.Data {
			t.Data[i] = halfToFloat32(float32ToHalf(v))
		}
	}
	f.Half = true
	return nil
}

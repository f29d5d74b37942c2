package weights

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// TestHalfRoundTrip widens every one of the 65536 half-precision bit patterns and narrows it
// back: each comes back unchanged (NaNs as NaNs with their payload).
func TestHalfRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		v := halfToFloat32(uint16(h))
		if got := float32ToHalf(v); got != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, v, got)
		}
	}
}

func TestFloat32ToHalf(t *testing.T) {
	for _, c := range []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},
		{65519, 0x7bff},        // below the midpoint to 65536: rounds down
		{65520, 0x7c00},        // the midpoint, ties to even: overflows to Inf
		{1 + 1.0/2048, 0x3c00}, // halfway between 1 and the next half, ties to even (down)
		{1 + 3.0/2048, 0x3c02}, // halfway between two halves, ties to even (up)
		{1.0 / 3, 0x3555},
		{6.103515625e-05, 0x0400},        // smallest normal
		{5.960464477539063e-08, 0x0001},  // smallest subnormal
		{2.9802322387695312e-08, 0x0000}, // half of it: ties to even (zero)
		{4.470348358154297e-08, 0x0001},  // three quarters of it: rounds up
		{1e-10, 0x0000},
		{float32(math.Inf(-1)), 0xfc00},
	} {
		if got := float32ToHalf(c.in); got != c.want {
			t.Errorf("float32ToHalf(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if h := float32ToHalf(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN became %#04x", h)
	}
}

// TestHalfFile rounds a file to half precision, writes it with F16 tensors at half the data
// size, and reads back exactly the rounded values, still marked Half.
func TestHalfFile(t *testing.T) {
	f := &File{Tensors: map[string]*graph.Tensor{
		"a": {Shape: graph.Shape{2, 2}, Data: []float32{1, -0.1, 3.14159, 1e-6}},
		"b": {Shape: graph.Shape{1}, Data: []float32{-65504}},
	}, Metadata: map[string]string{"k": "v"}}
	full, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RoundToHalf(); err != nil {
		t.Fatal(err)
	}
	if f.Tensors["a"].Data[1] == -0.1 || math.Abs(float64(f.Tensors["a"].Data[1])+0.1) > 1e-4 {
		t.Errorf("-0.1 rounded to %g", f.Tensors["a"].Data[1])
	}
	half, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(half, []byte(`"dtype":"F16"`)) || bytes.Contains(half, []byte(`"F32"`)) || len(half) >= len(full) {
		t.Fatalf("half file of %d bytes (full %d): %s", len(half), len(full), half[8:])
	}
	back, err := Decode(half)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Half || back.Metadata["k"] != "v" {
		t.Errorf("read back Half=%v metadata %v", back.Half, back.Metadata)
	}
	for name, want := range f.Tensors {
		for i, v := range back.Tensors[name].Data {
			if v != want.Data[i] {
				t.Errorf("%s[%d] = %g, want %g", name, i, v, want.Data[i])
			}
		}
	}
	again, err := Encode(back)
	if err != nil || !bytes.Equal(again, half) {
		t.Errorf("rewriting the half file changed it (%v)", err)
	}
}

func TestRoundToHalfErrors(t *testing.T) {
	for _, v := range []float32{70000, float32(math.Inf(1)), float32(math.NaN())} {
		f := &File{Tensors: map[string]*graph.Tensor{
			"a": {Shape: graph.Shape{2}, Data: []float32{0.1, v}},
		}}
		err := f.RoundToHalf()
		if err == nil || !strings.Contains(err.Error(), `tensor "a" value 1`) {
			t.Errorf("%g: %v", v, err)
		}
		if f.Half || f.Tensors["a"].Data[0] != 0.1 {
			t.Errorf("%g: a failed rounding changed the file", v)
		}
	}
	f := &File{Half: true, Tensors: map[string]*graph.Tensor{"a": {Shape: graph.Shape{1}, Data: []float32{1e6}}}}
	if _, err := Encode(f); err == nil || !strings.Contains(err.Error(), "beyond the half-precision range") {
		t.Errorf("encoding 1e6 as F16: %v", err)
	}
}

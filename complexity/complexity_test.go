package complexity

import (
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/internal/datatest"
)

// synthetic is a set of a flat grey image, a pattern (products of coordinates) and uniform
// noise, 28x28 (or colour).
func synthetic(c int) *data.Set {
	sh := data.Shape{H: 28, W: 28, C: c}
	n := sh.Size()
	s := &data.Set{N: 3, Shape: sh, Pix: make([]uint8, 3*n)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		s.Pix[i] = 128
		px := i / c
		s.Pix[n+i] = uint8(px % 28 * (px / 28) % 251)
		s.Pix[2*n+i] = uint8(r.IntN(256))
	}
	return s
}

// TestOrder checks, for each compressor, grey and colour, that flat < pattern < noise and that
// noise costs about 8 bits a value (no lossless compressor does much better on it).
func TestOrder(t *testing.T) {
	for _, c := range Compressors {
		for _, ch := range []int{1, 3} {
			bits, err := All(c, synthetic(ch))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v, %d channels: flat %.3f, pattern %.3f, noise %.3f bits/dim", c, ch, bits[0], bits[1], bits[2])
			if !(bits[0] < bits[1] && bits[1] < bits[2]) || bits[2] < 7.5 || bits[2] > 9.5 {
				t.Errorf("%v, %d channels: flat %.3f, pattern %.3f, noise %.3f bits/dim", c, ch, bits[0], bits[1], bits[2])
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	s := synthetic(1)
	for _, c := range []struct {
		name string
		set  *data.Set
		i    int
		comp Compressor
	}{
		{"nil set", nil, 0, PNG},
		{"index past the end", s, 3, PNG},
		{"negative index", s, -1, Brotli},
		{"short pixels", &data.Set{N: 2, Shape: s.Shape, Pix: s.Pix[:100]}, 1, Brotli},
		{"two channels", &data.Set{N: 1, Shape: data.Shape{H: 2, W: 2, C: 2}, Pix: make([]uint8, 8)}, 0, PNG},
		{"unknown compressor", s, 0, Compressor(9)},
	} {
		if _, err := Bits(c.comp, c.set, c.i); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestRealImages compares the compressors on FashionMNIST and MNIST test images: brotli is
// shorter than PNG on both, and MNIST's digits are simpler than FashionMNIST's clothes, the
// S-score's premise.
func TestRealImages(t *testing.T) {
	dir := datatest.FashionMNIST(t)
	mean := map[string]map[Compressor]float64{}
	for _, spec := range []string{"fashionmnist:test[:200]", "mnist:test[:200]"} {
		sp, err := data.ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		set, err := data.Load(sp, data.Options{FashionMNISTDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		mean[spec] = map[Compressor]float64{}
		for _, c := range Compressors {
			bits, err := All(c, set)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bits {
				mean[spec][c] += b / float64(len(bits))
			}
		}
		t.Logf("%s: png %.3f, brotli %.3f bits/dim", spec, mean[spec][PNG], mean[spec][Brotli])
		if mean[spec][Brotli] >= mean[spec][PNG] {
			t.Errorf("%s: brotli %.3f bits/dim, not below PNG's %.3f", spec, mean[spec][Brotli], mean[spec][PNG])
		}
	}
	for _, c := range Compressors {
		if mean["mnist:test[:200]"][c] >= mean["fashionmnist:test[:200]"][c] {
			t.Errorf("%v: MNIST %.3f bits/dim, not below FashionMNIST's %.3f", c, mean["mnist:test[:200]"][c], mean["fashionmnist:test[:200]"][c])
		}
	}
}

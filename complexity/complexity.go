// Package complexity measures images' input complexity, the L(x) of the S-score of Serra et al.
// (2020, "Input complexity and out-of-distribution detection with likelihood-based generative
// models"): the length of a lossless compression of the image, in bits per dimension. With the
// model's negative log-likelihood in the same unit, S(x) = NLL(x) - L(x) is an OOD score: an image
// that is likely only because it is simple (MNIST under a FashionMNIST model) loses the advantage.
package complexity

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/andybalholm/brotli"

	"github.com/oodgpu/oodgpu/data"
)

// Compressor is a lossless image compressor.
type Compressor int

const (
	// PNG is Go's image/png at its best compression: the whole file, header and all.
	PNG Compressor = iota
	// Brotli is brotli at quality 11 (github.com/andybalholm/brotli) over the raw pixels, row by
	// row, channels interleaved: a general-purpose compressor that beats PNG on small images.
	Brotli
)

// Compressors lists the compressors, in the order reports use.
var Compressors = []Compressor{PNG, Brotli}

func (c Compressor) String() string {
	switch c {
	case PNG:
		return "png"
	case Brotli:
		return "brotli"
	}
	return fmt.Sprintf("compressor(%d)", int(c))
}

// Parse returns the compressor whose String is name.
func Parse(name string) (Compressor, error) {
	for _, c := range Compressors {
		if c.String() == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("complexity: unknown compressor %.40q: want png or brotli", name)
}

// Bits returns the compressed length of image i of set in bits per dimension (H*W*C values).
func Bits(c Compressor, set *data.Set, i int) (float64, error) {
	if set == nil || i < 0 || i >= set.N {
		return 0, fmt.Errorf("complexity: image %d of a set of %d", i, setLen(set))
	}
	sh := set.Shape
	size := sh.Size()
	if size == 0 || len(set.Pix) < (i+1)*size {
		return 0, fmt.Errorf("complexity: image %d: %d pixels for shape %v", i, len(set.Pix), sh)
	}
	pix := set.Pix[i*size : (i+1)*size]
	var buf bytes.Buffer
	switch c {
	case PNG:
		img, err := asImage(pix, sh)
		if err != nil {
			return 0, err
		}
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			return 0, fmt.Errorf("complexity: png: %w", err)
		}
	case Brotli:
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: window(size)})
		if _, err := w.Write(pix); err != nil {
			return 0, fmt.Errorf("complexity: brotli: %w", err)
		}
		if err := w.Close(); err != nil {
			return 0, fmt.Errorf("complexity: brotli: %w", err)
		}
	default:
		return 0, fmt.Errorf("complexity: unknown compressor %v", c)
	}
	return 8 * float64(buf.Len()) / float64(size), nil
}

// All returns Bits of every image of set.
func All(c Compressor, set *data.Set) ([]float64, error) {
	out := make([]float64, setLen(set))
	for i := range out {
		b, err := Bits(c, set, i)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// window is brotli's window (log2 bytes) for n bytes: the smallest that holds them, within the
// format's 10 to 24; a larger one only costs time and memory.
func window(n int) int {
	w := 10
	for w < 24 && 1<<w < n {
		w++
	}
	return w
}

// asImage wraps one image's pixels (H, W, C interleaved) as a grey or an opaque colour image.
func asImage(pix []uint8, sh data.Shape) (image.Image, error) {
	r := image.Rect(0, 0, sh.W, sh.H)
	switch sh.C {
	case 1:
		return &image.Gray{Pix: pix, Stride: sh.W, Rect: r}, nil
	case 3:
		img := image.NewNRGBA(r)
		for p := 0; p < sh.H*sh.W; p++ {
			copy(img.Pix[4*p:4*p+3], pix[3*p:3*p+3])
			img.Pix[4*p+3] = 255
		}
		return img, nil
	}
	return nil, fmt.Errorf("complexity: %d channels: want 1 (grey) or 3 (colour)", sh.C)
}

func setLen(s *data.Set) int {
	if s == nil {
		return 0
	}
	return s.N
}

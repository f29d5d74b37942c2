package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// Shape is the size of one image: height, width and channels (1 grey, 3 RGB). A zero field means
// "as the source has it" where a Shape is a target.
type Shape struct {
	H, W, C int
}

// Size is the number of bytes (or floats) of one image: H*W*C.
func (s Shape) Size() int { return s.H * s.W * s.C }

// String formats s as HxWxC.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.H, s.W, s.C) }

// validate checks that s is a complete image shape with 1 or 3 channels and a sane size.
func (s Shape) validate() error {
	if s.C != 1 && s.C != 3 {
		return fmt.Errorf("shape %v: channels must be 1 or 3", s)
	}
	if _, err := checkedProduct(s.H, s.W, s.C); err != nil {
		return fmt.Errorf("shape %v: %w", s, err)
	}
	return nil
}

// Set is a set of N images of one Shape, stored as the files store them: uint8 pixels, each image
// H x W x C row-major (HWC), images one after another in Pix.
type Set struct {
	// Name says where the images came from (a spec such as "mnist:test[:2000]").
	Name string
	// N is the number of images.
	N int
	// Shape is the size of every image.
	Shape Shape
	// Pix holds N*H*W*C pixels.
	Pix []uint8
	// Labels holds N class labels, or is nil when the source has none.
	Labels []uint8
	// Files holds N file names (relative to the folder) for a set read from a folder of image
	// files, or is nil.
	Files []string
}

// Validate checks that the shape is sane and that Pix and Labels have the sizes N and Shape imply.
func (s *Set) Validate() error {
	if s == nil {
		return errors.New("data: nil set")
	}
	if err := s.validate(); err != nil {
		return fmt.Errorf("data: set %q: %w", s.Name, err)
	}
	return nil
}

func (s *Set) validate() error {
	if err := s.Shape.validate(); err != nil {
		return err
	}
	if s.N < 0 || (s.N > 0 && s.N > MaxBytes/s.Shape.Size()) {
		return fmt.Errorf("%d images of %v: bad count", s.N, s.Shape)
	}
	if len(s.Pix) != s.N*s.Shape.Size() {
		return fmt.Errorf("%d pixels for %d images of %v", len(s.Pix), s.N, s.Shape)
	}
	if s.Labels != nil && len(s.Labels) != s.N {
		return fmt.Errorf("%d labels for %d images", len(s.Labels), s.N)
	}
	if s.Files != nil && len(s.Files) != s.N {
		return fmt.Errorf("%d file names for %d images", len(s.Files), s.N)
	}
	return nil
}

// Image returns the HWC pixels of image i, sharing memory with s.
func (s *Set) Image(i int) ([]uint8, error) {
	if i < 0 || i >= s.N {
		return nil, fmt.Errorf("data: set %q: image %d out of range [0, %d)", s.Name, i, s.N)
	}
	n := s.Shape.Size()
	return s.Pix[i*n : (i+1)*n : (i+1)*n], nil
}

// ContentKey is a 64-bit FNV-1a hash of image i's shape and pixels: equal images get equal keys
// wherever they stand, which is what per-image noise streams are keyed by.
func (s *Set) ContentKey(i int) (uint64, error) {
	pix, err := s.Image(i)
	if err != nil {
		return 0, err
	}
	h := fnv.New64a()
	var dims [12]byte
	binary.LittleEndian.PutUint32(dims[0:], uint32(s.Shape.H))
	binary.LittleEndian.PutUint32(dims[4:], uint32(s.Shape.W))
	binary.LittleEndian.PutUint32(dims[8:], uint32(s.Shape.C))
	h.Write(dims[:])
	h.Write(pix)
	return h.Sum64(), nil
}

// Float32CHW writes image i into dst as float32 in [0, 1] (pixel/255), channels first (CHW).
// dst must hold exactly H*W*C values.
func (s *Set) Float32CHW(i int, dst []float32) error {
	img, err := s.Image(i)
	if err != nil {
		return err
	}
	if len(dst) != len(img) {
		return fmt.Errorf("data: set %q: dst holds %d values, image %v needs %d", s.Name, len(dst), s.Shape, len(img))
	}
	hw, c := s.Shape.H*s.Shape.W, s.Shape.C
	for p := range hw {
		for k := range c {
			dst[k*hw+p] = float32(img[p*c+k]) / 255
		}
	}
	return nil
}

// Slice returns images [start, end) as a new Set sharing memory with s.
func (s *Set) Slice(start, end int) (*Set, error) {
	if start < 0 || end < start || end > s.N {
		return nil, fmt.Errorf("data: set %q: range [%d:%d] outside [0:%d]", s.Name, start, end, s.N)
	}
	n := s.Shape.Size()
	out := &Set{
		Name:  s.Name,
		N:     end - start,
		Shape: s.Shape,
		Pix:   s.Pix[start*n : end*n : end*n],
	}
	if s.Labels != nil {
		out.Labels = s.Labels[start:end:end]
	}
	if s.Files != nil {
		out.Files = s.Files[start:end:end]
	}
	return out, nil
}

// NCHW converts the images idx of s into one float32 tensor [len(idx), C, H, W] in [0, 1] of the
// target shape to, reusing dst when it has the capacity.
//
// A zero field of to keeps the set's value. A larger H or W pads with zeros, centred (28x28 into
// 32x32 adds 2 pixels on each side; an odd difference puts the extra pixel at the bottom or right);
// a smaller one is an error (resize when loading instead). C converts grey to RGB by replicating
// the grey value, and RGB to grey by the ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B, rounded
// to the nearest uint8.
func (s *Set) NCHW(idx []int, to Shape, dst []float32) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	to = fill(to, s.Shape)
	if err := to.validate(); err != nil {
		return nil, fmt.Errorf("data: set %q: target: %w", s.Name, err)
	}
	if to.H < s.Shape.H || to.W < s.Shape.W {
		return nil, fmt.Errorf("data: set %q: cannot shrink %v to %v by padding", s.Name, s.Shape, to)
	}
	if len(idx) > 0 && len(idx) > MaxBytes/to.Size() {
		return nil, fmt.Errorf("data: set %q: batch of %d images of %v is too large", s.Name, len(idx), to)
	}
	size := len(idx) * to.Size()
	if cap(dst) < size {
		dst = make([]float32, size)
	}
	dst = dst[:size]
	clear(dst)
	top, left := (to.H-s.Shape.H)/2, (to.W-s.Shape.W)/2
	plane := to.H * to.W
	var px [3]uint8
	for b, i := range idx {
		img, err := s.Image(i)
		if err != nil {
			return nil, err
		}
		out := dst[b*to.Size() : (b+1)*to.Size()]
		for y := range s.Shape.H {
			for x := range s.Shape.W {
				p := (y*s.Shape.W + x) * s.Shape.C
				convertPixel(px[:to.C], img[p:p+s.Shape.C])
				q := (y+top)*to.W + x + left
				for k := range to.C {
					out[k*plane+q] = float32(px[k]) / 255
				}
			}
		}
	}
	return dst, nil
}

// fill replaces the zero fields of to by those of from.
func fill(to, from Shape) Shape {
	if to.H == 0 {
		to.H = from.H
	}
	if to.W == 0 {
		to.W = from.W
	}
	if to.C == 0 {
		to.C = from.C
	}
	return to
}

// convertPixel writes the pixel src (1 or 3 channels) into dst (1 or 3 channels): grey to RGB by
// replication, RGB to grey by luma.
func convertPixel(dst, src []uint8) {
	switch {
	case len(dst) == len(src):
		copy(dst, src)
	case len(src) == 1:
		for k := range dst {
			dst[k] = src[0]
		}
	default:
		dst[0] = luma(src[0], src[1], src[2])
	}
}

// luma is the ITU-R BT.601 luma of an RGB pixel, rounded half up in exact integer arithmetic.
func luma(r, g, b uint8) uint8 {
	return uint8((299*uint32(r) + 587*uint32(g) + 114*uint32(b) + 500) / 1000)
}

package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // register the GIF decoder
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// Limits on image files, checked before their pixels are decoded.
const (
	// MaxImageSide is the largest width or height DecodeImage accepts.
	MaxImageSide = 8192
	// MaxImageFileBytes is the largest image file LoadImageFile and LoadImageDir read.
	MaxImageFileBytes = 50 << 20
)

// imageExts are the file extensions (lower case) LoadImageDir loads.
var imageExts = []string{".gif", ".jpeg", ".jpg", ".png"}

// DecodeImage decodes a PNG, JPEG or GIF image (the first frame of a GIF) into HWC uint8 pixels of
// shape to and returns them with that shape. The image's size is read first and one wider or
// taller than MaxImageSide is refused before its pixels are decoded.
//
// A zero field of to keeps the image's value: its width and height, and C = 1 for grey images, 3
// for all others. A different size is reached by Catmull-Rom scaling of the whole image (aspect
// ratio not kept); colour becomes grey by the BT.601 luma (as in Set.NCHW) and grey becomes RGB by
// replication. Transparent pixels come out black (alpha is premultiplied and then dropped).
func DecodeImage(b []byte, to Shape) ([]uint8, Shape, error) {
	pix, shape, err := decodeImage(b, to)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("data: image: %w", err)
	}
	return pix, shape, nil
}

func decodeImage(b []byte, to Shape) ([]uint8, Shape, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, Shape{}, fmt.Errorf("not a PNG, JPEG or GIF image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("%s of %dx%d pixels: outside 1..%d on a side", format, cfg.Width, cfg.Height, MaxImageSide)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, Shape{}, fmt.Errorf("corrupt %s: %w", format, err)
	}
	src := img.Bounds()
	if src.Empty() || src.Dx() > MaxImageSide || src.Dy() > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("%s decoded to %v: outside 1..%d on a side", format, src, MaxImageSide)
	}
	native := Shape{H: src.Dy(), W: src.Dx(), C: 3}
	if m := img.ColorModel(); m == color.GrayModel || m == color.Gray16Model {
		native.C = 1
	}
	to = fill(to, native)
	if err := to.validate(); err != nil {
		return nil, Shape{}, fmt.Errorf("target: %w", err)
	}
	if to.H > MaxImageSide || to.W > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("target %v: more than %d on a side", to, MaxImageSide)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, to.W, to.H))
	if to.H == native.H && to.W == native.W {
		draw.Draw(rgba, rgba.Bounds(), img, src.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(rgba, rgba.Bounds(), img, src, draw.Src, nil)
	}
	pix := make([]uint8, to.Size())
	for p := range to.H * to.W {
		convertPixel(pix[p*to.C:(p+1)*to.C], rgba.Pix[4*p:4*p+3])
	}
	return pix, to, nil
}

// LoadImageFile loads one image file into a Set of one image of shape to (see DecodeImage).
func LoadImageFile(path string, to Shape) (*Set, error) {
	pix, shape, err := readImageFile(path, to)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return &Set{Name: "file:" + path, N: 1, Shape: shape, Pix: pix}, nil
}

// LoadImageDir loads every .png, .jpg, .jpeg and .gif file (any case) of dir, sorted by name,
// into a Set; subfolders and other files are ignored. A zero field of to takes its value from the
// first image (see DecodeImage); every image is brought to that shape. A file that cannot be read
// or decoded is an error naming it.
func LoadImageDir(dir string, to Shape) (*Set, error) {
	s, err := loadImageDir(dir, to)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

func loadImageDir(dir string, to Shape) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("image folder %s: no %s files", dir, strings.Join(imageExts, " "))
	}
	slices.Sort(names)
	s := &Set{Name: "dir:" + dir}
	for _, name := range names {
		pix, shape, err := readImageFile(filepath.Join(dir, name), to)
		if err != nil {
			return nil, err
		}
		if s.N > 0 && len(s.Pix) > MaxBytes-len(pix) {
			return nil, fmt.Errorf("image folder %s: more than %d bytes of pixels", dir, MaxBytes)
		}
		to, s.Shape = shape, shape
		s.Pix = append(s.Pix, pix...)
		s.N++
	}
	return s, nil
}

// readImageFile reads and decodes the image file at path, refusing files over MaxImageFileBytes.
func readImageFile(path string, to Shape) ([]uint8, Shape, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxImageFileBytes {
		return nil, Shape{}, fmt.Errorf("image %s: %d bytes, larger than %d", path, fi.Size(), MaxImageFileBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxImageFileBytes+1))
	if err != nil {
		return nil, Shape{}, fmt.Errorf("image %s: %w", path, err)
	}
	if len(b) > MaxImageFileBytes {
		return nil, Shape{}, fmt.Errorf("image %s: larger than %d bytes", path, MaxImageFileBytes)
	}
	pix, shape, err := decodeImage(b, to)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("image %s: %w", path, err)
	}
	return pix, shape, nil
}

package data

import (
	"bytes"
	"context"
	"errors"
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
// shape to and returns them with that shape, within the default DecodeLimits: the image's
// structure is read first and an image over the limits is refused before its pixels are decoded.
//
// A zero field of to keeps the image's value: its width and height, and C = 1 for grey images, 3
// for all others. A different size is reached by Catmull-Rom scaling of the whole image (aspect
// ratio not kept); colour becomes grey by the BT.601 luma (as in Set.NCHW) and grey becomes RGB by
// replication. Transparent pixels come out black (alpha is premultiplied and then dropped).
func DecodeImage(b []byte, to Shape) ([]uint8, Shape, error) {
	return DecodeLimits{}.DecodeImage(b, to)
}

// DecodeImage is the package's DecodeImage within the limits l.
func (l DecodeLimits) DecodeImage(b []byte, to Shape) ([]uint8, Shape, error) {
	pix, shape, err := l.decode(b, to)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("data: image: %w", err)
	}
	return pix, shape, nil
}

// decode checks b's size and cost against the limits, then decodes it (see DecodeImage).
func (l DecodeLimits) decode(b []byte, to Shape) ([]uint8, Shape, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, Shape{}, fmt.Errorf("not a PNG, JPEG or GIF image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("%s of %dx%d pixels: outside 1..%d on a side", format, cfg.Width, cfg.Height, MaxImageSide)
	}
	cost, err := walkImage(format, b)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("corrupt %s: %w", format, err)
	}
	target := fill(to, Shape{H: cost.height, W: cost.width, C: 3})
	if err := target.validate(); err != nil {
		return nil, Shape{}, fmt.Errorf("target: %w", err)
	}
	if target.H > MaxImageSide || target.W > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("target %v: more than %d on a side", target, MaxImageSide)
	}
	if err := l.check(cost, target); err != nil {
		return nil, Shape{}, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, Shape{}, fmt.Errorf("corrupt %s: %w", format, err)
	}
	return convertImage(img, format, to)
}

// convertImage brings the decoded img to shape to (see DecodeImage).
func convertImage(img image.Image, format string, to Shape) ([]uint8, Shape, error) {
	src := img.Bounds()
	if src.Empty() || src.Dx() > MaxImageSide || src.Dy() > MaxImageSide {
		return nil, Shape{}, fmt.Errorf("%s decoded to %v: outside 1..%d on a side", format, src, MaxImageSide)
	}
	native := Shape{H: src.Dy(), W: src.Dx(), C: 3}
	if m := img.ColorModel(); m == color.GrayModel || m == color.Gray16Model {
		native.C = 1
	}
	to = fill(to, native)
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

// LoadImageFile loads one image file into a Set of one image of shape to (see DecodeImage),
// within the default DecodeLimits. Only regular files are read: a named pipe, device or socket is
// refused without being opened.
func LoadImageFile(path string, to Shape) (*Set, error) {
	return DecodeLimits{}.LoadImageFile(path, to)
}

// LoadImageFile is the package's LoadImageFile within the limits l.
func (l DecodeLimits) LoadImageFile(path string, to Shape) (*Set, error) {
	pix, shape, err := l.readImageFile(path, to)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return &Set{Name: "file:" + path, N: 1, Shape: shape, Pix: pix}, nil
}

// LoadImageDir loads every .png, .jpg, .jpeg and .gif file (any case) of dir, sorted by name,
// into a Set (with their names in Files), within the default DecodeLimits; subfolders and other
// files (links, pipes) are ignored. A zero field of to takes its value from the first image (see
// DecodeImage); every image is brought to that shape. A file that cannot be read or decoded is an
// error naming it.
func LoadImageDir(dir string, to Shape) (*Set, error) {
	return DecodeLimits{}.LoadImageDir(context.Background(), dir, to)
}

// LoadImageDir is the package's LoadImageDir within the limits l. It stops between images once
// ctx is done (a client gone away) and returns ctx's error.
func (l DecodeLimits) LoadImageDir(ctx context.Context, dir string, to Shape) (*Set, error) {
	s, err := l.loadImageDir(ctx, dir, to)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

func (l DecodeLimits) loadImageDir(ctx context.Context, dir string, to Shape) (*Set, error) {
	names, err := listImageDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: "dir:" + dir}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("image folder %s: stopped after %d of %d images: %w", dir, s.N, len(names), err)
		}
		pix, shape, err := l.readImageFile(filepath.Join(dir, name), to)
		if err != nil {
			return nil, err
		}
		if s.N > 0 && len(s.Pix) > MaxBytes-len(pix) {
			return nil, fmt.Errorf("image folder %s: more than %d bytes of pixels", dir, MaxBytes)
		}
		to, s.Shape = shape, shape
		s.Pix = append(s.Pix, pix...)
		s.Files = append(s.Files, name)
		s.N++
	}
	return s, nil
}

// ListImageDir returns the names of the image files LoadImageDir would load from dir, sorted,
// without reading them: every regular .png, .jpg, .jpeg and .gif file (any case). A folder with
// none is an error. The folder is read in batches, so that a folder of millions of files costs
// the names and no more.
func ListImageDir(dir string) ([]string, error) {
	names, err := listImageDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return names, nil
}

func listImageDir(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	defer f.Close()
	var names []string
	for {
		entries, err := f.ReadDir(4096)
		for _, e := range entries {
			if e.Type().IsRegular() && slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
				names = append(names, e.Name())
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("image folder %s: no %s files", dir, strings.Join(imageExts, " "))
	}
	slices.Sort(names)
	return names, nil
}

// readImageFile reads and decodes the image file at path, refusing anything but a regular file
// (before opening it: opening a named pipe blocks until a writer comes) and files over
// MaxImageFileBytes.
func (l DecodeLimits) readImageFile(path string, to Shape) ([]uint8, Shape, error) {
	b, err := readRegularFile(path, MaxImageFileBytes)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("image %s: %w", path, err)
	}
	pix, shape, err := l.decode(b, to)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("image %s: %w", path, err)
	}
	return pix, shape, nil
}

// readRegularFile reads the file at path, of at most limit bytes. It stats path first and refuses
// anything but a regular file without opening it, then checks that the file it opened is the one
// it stated, so that a file swapped for a pipe in between is refused too (and a pipe swapped in
// before the open still blocks it: a writer to the folder can do that, a client sending paths
// cannot).
func readRegularFile(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, larger than %d", fi.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, errors.New("changed while being opened")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// fileKind names the kind of a file that is not regular.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.Type().String()
}

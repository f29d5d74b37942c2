package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pngBytes encodes img as PNG.
func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uniformRGBA is a w x h image of one colour.
func uniformRGBA(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < len(img.Pix); p += 4 {
		img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// pngHeaderOnly is a PNG signature and IHDR chunk declaring w x h 8-bit RGB, with no pixel data.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := append([]byte("IHDR"), ihdr...)
	b := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestDecodeImage(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(grey.Pix, []uint8{0, 50, 100, 150, 200, 250})
	var jpg, gifb bytes.Buffer
	if err := jpeg.Encode(&jpg, uniformRGBA(16, 16, color.RGBA{200, 100, 50, 255}), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.RGBA{0, 255, 0, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = 1
	}
	if err := gif.Encode(&gifb, pal, nil); err != nil {
		t.Fatal(err)
	}
	red := pngBytes(t, uniformRGBA(5, 7, color.RGBA{255, 0, 0, 255}))
	tests := []struct {
		name  string
		in    []byte
		to    Shape
		shape Shape
		pix   []uint8 // checked when not nil: exact, or every pixel equal to pix for a one-pixel pix
		tol   int
		err   string
	}{
		{"grey png native", pngBytes(t, grey), Shape{}, Shape{2, 3, 1}, []uint8{0, 50, 100, 150, 200, 250}, 0, ""},
		{"grey png to rgb", pngBytes(t, grey), Shape{C: 3}, Shape{2, 3, 3}, []uint8{0, 0, 0, 50, 50, 50, 100, 100, 100, 150, 150, 150, 200, 200, 200, 250, 250, 250}, 0, ""},
		{"rgb png native", red, Shape{}, Shape{7, 5, 3}, []uint8{255, 0, 0}, 0, ""},
		{"rgb png to grey", red, Shape{C: 1}, Shape{7, 5, 1}, []uint8{76}, 0, ""},
		{"rgb png resized", red, Shape{H: 32, W: 32, C: 3}, Shape{32, 32, 3}, []uint8{255, 0, 0}, 0, ""},
		{"jpeg", jpg.Bytes(), Shape{H: 8, W: 8}, Shape{8, 8, 3}, []uint8{200, 100, 50}, 3, ""},
		{"gif", gifb.Bytes(), Shape{}, Shape{4, 4, 3}, []uint8{0, 255, 0}, 0, ""},
		{"too large", pngHeaderOnly(MaxImageSide+1, 10), Shape{}, Shape{}, nil, 0, "outside 1..8192"},
		{"zero size", pngHeaderOnly(0, 10), Shape{}, Shape{}, nil, 0, "not a PNG"},
		{"header only", pngHeaderOnly(10, 10), Shape{}, Shape{}, nil, 0, "corrupt png"},
		{"truncated png", red[:len(red)-20], Shape{}, Shape{}, nil, 0, "corrupt png"},
		{"garbage", []byte("hello, world"), Shape{}, Shape{}, nil, 0, "not a PNG, JPEG or GIF"},
		{"bad target", red, Shape{C: 4}, Shape{}, nil, 0, "channels must be 1 or 3"},
		{"huge target", red, Shape{H: MaxImageSide + 1}, Shape{}, nil, 0, "more than 8192"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pix, shape, err := DecodeImage(tt.in, tt.to)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if shape != tt.shape || len(pix) != shape.Size() {
				t.Fatalf("shape %v with %d bytes, want %v", shape, len(pix), tt.shape)
			}
			want := tt.pix
			if len(want) == shape.C {
				want = bytes.Repeat(want, shape.H*shape.W)
			}
			for i := range pix {
				if d := int(pix[i]) - int(want[i]); d > tt.tol || d < -tt.tol {
					t.Fatalf("pixel byte %d = %d, want %d (tolerance %d)", i, pix[i], want[i], tt.tol)
				}
			}
		})
	}
}

func TestLoadImageDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.png", pngBytes(t, uniformRGBA(4, 4, color.RGBA{0, 0, 255, 255})))
	writeFile(t, dir, "a.PNG", pngBytes(t, uniformRGBA(2, 2, color.RGBA{255, 0, 0, 255})))
	writeFile(t, dir, "notes.txt", []byte("not an image"))
	if err := os.Mkdir(filepath.Join(dir, "sub.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		to    Shape
		shape Shape
		first []uint8
	}{
		{"first image sets the shape", Shape{}, Shape{2, 2, 3}, []uint8{255, 0, 0}},
		{"target shape", Shape{H: 3, W: 3, C: 1}, Shape{3, 3, 1}, []uint8{76}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadImageDir(dir, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.N != 2 || s.Shape != tt.shape || !bytes.Equal(s.Pix[:len(tt.first)], tt.first) {
				t.Fatalf("%d images of %v, first pixel %v", s.N, s.Shape, s.Pix[:tt.shape.C])
			}
			second, _ := s.Image(1)
			if tt.shape.C == 3 && (second[0] != 0 || second[2] != 255) {
				t.Fatalf("second image (b.png, blue) starts %v", second[:3])
			}
		})
	}

	if names, err := ListImageDir(dir); err != nil || !slices.Equal(names, []string{"a.PNG", "b.png"}) {
		t.Errorf("ListImageDir: %q, %v; want a.PNG and b.png", names, err)
	}

	bad := t.TempDir()
	writeFile(t, bad, "good.png", pngBytes(t, uniformRGBA(2, 2, color.RGBA{1, 2, 3, 255})))
	writeFile(t, bad, "broken.jpg", []byte("\xff\xd8\xff garbage"))
	if _, err := LoadImageDir(bad, Shape{}); err == nil || !strings.Contains(err.Error(), "broken.jpg") {
		t.Errorf("corrupt file: err = %v, want it named", err)
	}
	if _, err := LoadImageDir(filepath.Join(dir, "sub.png"), Shape{}); err == nil || !strings.Contains(err.Error(), "no .gif .jpeg .jpg .png files") {
		t.Errorf("empty folder: err = %v", err)
	}
	if _, err := LoadImageDir(filepath.Join(dir, "absent"), Shape{}); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestLoadImageFile(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "x.png", pngBytes(t, uniformRGBA(3, 3, color.RGBA{9, 9, 9, 255})))
	s, err := LoadImageFile(path, Shape{C: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 1 || s.Shape != (Shape{3, 3, 1}) || s.Pix[0] != 9 || s.Name != "file:"+path {
		t.Fatalf("set %+v", s)
	}
	big := filepath.Join(dir, "big.png")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxImageFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := LoadImageFile(big, Shape{}); err == nil || !strings.Contains(err.Error(), "big.png") || !strings.Contains(err.Error(), "larger than 52428800") {
		t.Errorf("big file: err = %v", err)
	}
}

// FuzzDecodeImage checks that DecodeImage never panics, returns pixels of the shape it reports,
// and keeps within a small pixel budget: whatever it does with an input, accepted or not, it
// allocates no more than the budget and the decoders' small fixed buffers. The seeds reach every
// path of the header walkers: tiny images of each format, their truncated headers, and small
// versions of the decompression bombs (a progressive JPEG with too many scans, a baseline one
// scanned twice, an interlaced PNG, animated and interlaced GIFs).
func FuzzDecodeImage(f *testing.F) {
	var jpg, gifb bytes.Buffer
	if err := jpeg.Encode(&jpg, uniformRGBA(9, 9, color.RGBA{1, 2, 3, 255}), nil); err != nil {
		f.Fatal(err)
	}
	if err := gif.Encode(&gifb, uniformRGBA(2, 3, color.RGBA{1, 2, 3, 255}), nil); err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{
		pngBytes(f, uniformRGBA(3, 2, color.RGBA{10, 20, 30, 255})),
		pngBytes(f, image.NewGray16(image.Rect(0, 0, 2, 2))),
		jpg.Bytes(),
		gifb.Bytes(),
		pngHeaderOnly(MaxImageSide+1, 1),
		[]byte("GIF89a"),
		jpegScans(jpegSOF2, 16, 1, 2),
		jpegScans(jpegSOF2, 16, 3, 12),
		jpegScans(jpegSOF0, 16, 3, 2),
		jpegHeader(jpegSOF0, 16, 16, 0x22, 0x11, 0x11),
		pngFile(f, 5, 5, 8, 2, 1),
		pngFile(f, 4, 4, 16, 0, 0, pngChunk("tRNS", []byte{0, 0})),
		gifFrames(8, 8, 3, false),
		gifFrames(8, 8, 2, true),
	}
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:min(len(s), 30)])
	}
	const budget, slack = 4 << 20, 1 << 20
	limits := DecodeLimits{MaxPixelBytes: budget}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, to := range []Shape{{}, {H: 8, W: 8, C: 1}, {H: 3, W: 5, C: 3}} {
			var (
				pix   []uint8
				shape Shape
				err   error
			)
			n := allocated(func() { pix, shape, err = limits.DecodeImage(b, to) })
			if n > budget+slack {
				t.Fatalf("target %v: allocated %d bytes over a budget of %d (err %v)", to, n, budget, err)
			}
			if err != nil {
				continue
			}
			if len(pix) != shape.Size() || (to.H != 0 && (shape.H != to.H || shape.W != to.W || shape.C != to.C)) {
				t.Fatalf("target %v: got %v with %d bytes", to, shape, len(pix))
			}
		}
	})
}

// TestJPEGRoundTrip checks that the round trip changes pixels a little, as JPEG at quality 75
// does, and blurs colour detail (4:2:0 chroma subsampling) more than brightness detail.
func TestJPEGRoundTrip(t *testing.T) {
	const side = 16
	s := &Set{N: 2, Shape: Shape{H: side, W: side, C: 3}, Pix: make([]uint8, 2*side*side*3)}
	for i := 0; i < 2*side*side; i++ {
		x, y := i%side, (i/side)%side
		s.Pix[3*i], s.Pix[3*i+1], s.Pix[3*i+2] = uint8(8*x+40), uint8(8*y+40), 128
		if i >= side*side && (x+y)%2 == 0 { // image 1: a red/blue checkerboard of equal brightness
			s.Pix[3*i], s.Pix[3*i+1], s.Pix[3*i+2] = 200, 60, 60
		} else if i >= side*side {
			s.Pix[3*i], s.Pix[3*i+1], s.Pix[3*i+2] = 60, 60, 200
		}
	}
	orig := append([]uint8(nil), s.Pix...)
	if err := JPEGRoundTrip(s, JPEGQuality); err != nil {
		t.Fatal(err)
	}
	meanAbs := func(img int) float64 {
		var d float64
		n := side * side * 3
		for k := img * n; k < (img+1)*n; k++ {
			d += math.Abs(float64(s.Pix[k]) - float64(orig[k]))
		}
		return d / float64(n)
	}
	smooth, checker := meanAbs(0), meanAbs(1)
	if smooth == 0 || smooth > 4 {
		t.Errorf("smooth image: mean absolute change %.2f, want small but non-zero", smooth)
	}
	if checker < 3*smooth {
		t.Errorf("colour checkerboard changed by %.2f, smooth image by %.2f: chroma was not subsampled", checker, smooth)
	}
}

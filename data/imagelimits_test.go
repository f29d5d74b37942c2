package data

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"
)

// allocated is the bytes f allocates (runtime.MemStats.TotalAlloc, so tests using it must not run
// in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// jpegSegment is the marker segment m with payload p.
func jpegSegment(m byte, p []byte) []byte {
	b := binary.BigEndian.AppendUint16([]byte{0xff, m}, uint16(len(p)+2))
	return append(b, p...)
}

// jpegEOBRuns is entropy-coded data of 33 end-of-band runs of 32767 blocks each (code "0" of the
// one-code AC table that jpegScans defines, for EOBRUN symbol 0xe0, then 14 one bits): enough to
// finish a progressive AC scan of up to 8192x8192 pixels in 140 bytes.
func jpegEOBRuns() []byte {
	var bits []byte
	for range 33 {
		bits = append(bits, '0')
		bits = append(bits, bytes.Repeat([]byte{'1'}, 14)...)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, '1')
	}
	var d []byte
	for i := 0; i < len(bits); i += 8 {
		var v byte
		for _, c := range bits[i : i+8] {
			v = v<<1 | (c - '0')
		}
		d = append(d, v)
		if v == 0xff {
			d = append(d, 0) // byte stuffing
		}
	}
	return d
}

// jpegScans is a JPEG (frame marker sof) of side x side pixels and comps 1x1-sampled components
// with scansPerComp AC scans (band 1..63) of each component, every scan one run of empty blocks:
// the Go port of the decompression bombs of the hardening issue (progressive, 3 components and
// 1 scan each: 1 GB for 417 bytes; 1 component and 2000 scans: most of a minute).
func jpegScans(sof byte, side, comps, scansPerComp int) []byte {
	o := []byte{0xff, jpegSOI}
	o = append(o, jpegSegment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))...)
	f := binary.BigEndian.AppendUint16([]byte{8}, uint16(side))
	f = binary.BigEndian.AppendUint16(f, uint16(side))
	f = append(f, byte(comps))
	for c := 1; c <= comps; c++ {
		f = append(f, byte(c), 0x11, 0)
	}
	o = append(o, jpegSegment(sof, f)...)
	o = append(o, jpegSegment(0xc4, append([]byte{0x10, 1}, append(make([]byte, 15), 0xe0)...))...)
	data := jpegEOBRuns()
	for range scansPerComp {
		for c := 1; c <= comps; c++ {
			o = append(o, jpegSegment(jpegSOS, []byte{1, byte(c), 0, 1, 63, 0})...)
			o = append(o, data...)
		}
	}
	return append(o, 0xff, jpegEOI)
}

// jpegHeader is a JPEG with just a frame header (marker sof, w x h, components with the given
// sampling bytes) and one scan: enough for the walker, not for the decoder.
func jpegHeader(sof byte, w, h int, sampling ...byte) []byte {
	f := binary.BigEndian.AppendUint16([]byte{8}, uint16(h))
	f = binary.BigEndian.AppendUint16(f, uint16(w))
	f = append(f, byte(len(sampling)))
	for i, hv := range sampling {
		f = append(f, byte(i+1), hv, 0)
	}
	o := append([]byte{0xff, jpegSOI}, jpegSegment(sof, f)...)
	o = append(o, jpegSegment(jpegSOS, []byte{1, 1, 0, 0, 63, 0})...)
	return append(o, 0xff, jpegEOI)
}

// pngChunk is a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	body := append([]byte(typ), data...)
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(body))
}

// pngFile is a PNG of w x h pixels of the given bit depth, colour type and interlace method, with
// the chunks extra before IDAT and an IDAT of a zlib stream of 1 KB of zeros (far too little
// pixel data: the decoder allocates the whole image before it finds out).
func pngFile(t testing.TB, w, h uint32, depth, colour, interlace byte, extra ...[]byte) []byte {
	t.Helper()
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colour, 0, 0, interlace)
	b := append([]byte(pngSignature), pngChunk("IHDR", ihdr)...)
	for _, c := range extra {
		b = append(b, c...)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b = append(b, pngChunk("IDAT", z.Bytes())...)
	return append(b, pngChunk("IEND", nil)...)
}

// gifFrames is a GIF with a w x h logical screen and frames frames covering it (interlaced when
// asked), each with a few bytes of LZW data only.
func gifFrames(w, h uint16, frames int, interlaced bool) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0x80, 0, 0, 0, 0, 0, 255, 255, 255) // global colour table of 2 colours
	b = append(b, gifExtension, gifComment, 3, 'h', 'i', '!', 0)
	b = append(b, gifExtension, gifControl, 4, 0, 10, 0, 0, 0)
	b = append(b, gifExtension, gifAppExt, 11)
	b = append(b, "NETSCAPE2.0"...)
	b = append(b, 3, 1, 0, 0, 0)
	flags := byte(0)
	if interlaced {
		flags = 0x40
	}
	for range frames {
		b = append(b, gifImage, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint16(b, w)
		b = binary.LittleEndian.AppendUint16(b, h)
		b = append(b, flags, 2, 2, 0x4c, 0x01, 0)
	}
	return append(b, 0x3b)
}

// TestDecodeBombs checks that each decompression bomb is refused, with a clear message, before
// its pixels are allocated.
func TestDecodeBombs(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		limits DecodeLimits
		err    string
	}{
		{"progressive jpeg 3x8192^2", jpegScans(jpegSOF2, 8192, 3, 1), DecodeLimits{}, "8192x8192 JPEG needs 969 MB to decode, over the 256 MB limit (--max-image-mb)"},
		{"progressive jpeg 2000 scans", jpegScans(jpegSOF2, 8192, 1, 2000), DecodeLimits{}, "8192x8192 JPEG needs 329 MB to decode"},
		{"2000 scans, larger budget", jpegScans(jpegSOF2, 8192, 1, 2000), DecodeLimits{MaxPixelBytes: 1 << 30}, "8192x8192 JPEG with 2000 scans, more than the 32 any encoder writes"},
		{"33 scans, small image", jpegScans(jpegSOF2, 256, 1, 33), DecodeLimits{}, "256x256 JPEG with 33 scans"},
		{"baseline scanned twice", jpegScans(jpegSOF0, 4096, 3, 2), DecodeLimits{}, "4096x4096 JPEG codes its 3 components in 6 component scans"},
		{"png 16-bit rgba 8192^2", pngFile(t, 8192, 8192, 16, 6, 0), DecodeLimits{}, "8192x8192 PNG needs 521 MB to decode"},
		{"png 8-bit rgba, small budget", pngFile(t, 8192, 8192, 8, 6, 0), DecodeLimits{MaxPixelBytes: 200 << 20}, "8192x8192 PNG needs 265 MB to decode, over the 200 MB limit"},
		{"png interlaced", pngFile(t, 6000, 6000, 8, 2, 1), DecodeLimits{}, "6000x6000 PNG needs 281 MB"},
		{"png grey tRNS", pngFile(t, 8192, 8192, 16, 0, 0, pngChunk("tRNS", []byte{0, 0})), DecodeLimits{}, "8192x8192 PNG needs 521 MB"},
		{"gif 20 frames", gifFrames(4096, 4096, 20, false), DecodeLimits{}, "4096x4096 GIF needs 325 MB to decode"},
		{"gif interlaced frames", gifFrames(4096, 4096, 9, true), DecodeLimits{}, "4096x4096 GIF needs 293 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, _, err = tt.limits.DecodeImage(tt.in, Shape{H: 32, W: 32, C: 3}) })
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if n > 2<<20 {
				t.Errorf("refusing it allocated %d bytes, want under 2 MB", n)
			}
		})
	}
}

// TestDecodeLimitsAdmit checks that the default budget admits a 24-megapixel photo (6000x4000) as
// camera JPEGs and an 8-bit RGBA PNG decoded at full size, and a progressive 4:2:0 JPEG scaled to
// a model's shape, and refuses what needs more. Only the header check runs (the files have no
// pixel data), to keep the test fast.
func TestDecodeLimitsAdmit(t *testing.T) {
	native, model := Shape{}, Shape{H: 32, W: 32, C: 3}
	tests := []struct {
		name string
		in   []byte
		to   Shape
		err  string
	}{
		{"baseline 4:2:0", jpegHeader(jpegSOF0, 6000, 4000, 0x22, 0x11, 0x11), native, ""},
		{"baseline 4:4:4", jpegHeader(jpegSOF0, 6000, 4000, 0x11, 0x11, 0x11), native, ""},
		{"baseline grey", jpegHeader(jpegSOF0, 6000, 4000, 0x11), native, ""},
		{"progressive 4:2:0 to a model", jpegHeader(jpegSOF2, 6000, 4000, 0x22, 0x11, 0x11), model, ""},
		{"progressive 4:2:0 native", jpegHeader(jpegSOF2, 6000, 4000, 0x22, 0x11, 0x11), native, "needs 332 MB"},
		{"cmyk 8192^2", jpegHeader(jpegSOF0, 8192, 8192, 0x11, 0x11, 0x11, 0x11), model, "needs 521 MB"},
		{"png rgba", pngFile(t, 6000, 4000, 8, 6, 0), native, ""},
		{"png rgb 16-bit to a model", pngFile(t, 6000, 4000, 16, 2, 0), model, ""},
		{"png paletted 8192^2", pngFile(t, 8192, 8192, 8, 3, 0, pngChunk("PLTE", []byte{0, 0, 0})), model, ""},
		{"gif 8192^2", gifFrames(8192, 8192, 1, false), model, ""},
		{"upscaling tiny to 8192^2", pngFile(t, 1, 8192, 8, 0, 0), Shape{H: 8192, W: 8192, C: 1}, "needs 2369 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			c, err := walkImage(format, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.width != cfg.Width || c.height != cfg.Height {
				t.Fatalf("walker read %dx%d, DecodeConfig %dx%d", c.width, c.height, cfg.Width, cfg.Height)
			}
			err = DecodeLimits{}.check(c, fill(tt.to, Shape{H: c.height, W: c.width, C: 3}))
			if tt.err == "" && err != nil {
				t.Fatal(err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestWalkerMatchesDecoder checks the walker's pixel bytes against what the standard decoders
// really allocate for real images: never less (beyond the decoders' small fixed buffers), and
// not far more.
func TestWalkerMatchesDecoder(t *testing.T) {
	const w, h = 1024, 768
	rgba := uniformRGBA(w, h, color.RGBA{200, 100, 50, 255})
	grey := image.NewGray(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	encJPEG := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var gifb bytes.Buffer
	if err := gif.Encode(&gifb, pal, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"png rgba", pngBytes(t, rgba)},
		{"png grey", pngBytes(t, grey)},
		{"png rgba64", pngBytes(t, rgba64)},
		{"png paletted", pngBytes(t, pal)},
		{"jpeg 4:2:0", encJPEG(rgba)},
		{"jpeg grey", encJPEG(grey)},
		{"jpeg progressive", jpegScans(jpegSOF2, w, 1, 3)},
		{"gif", gifb.Bytes()},
	}
	const slack = 256 << 10 // zlib and bufio windows, Huffman tables, palettes
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, format, err := image.DecodeConfig(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			c, err := walkImage(format, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			n := allocated(func() { _, _, err = image.Decode(bytes.NewReader(tt.in)) })
			if err != nil {
				t.Fatal(err)
			}
			if int64(n) > c.pixelBytes+slack || c.pixelBytes > int64(n)+int64(n)/8 {
				t.Errorf("walker counts %d bytes, the decoder allocated %d", c.pixelBytes, n)
			}
		})
	}
}

// TestWalkJPEGMarkers checks the JPEG walker's scan count on marker oddities the decoder
// accepts: fill bytes, stuffed bytes and restart markers in entropy-coded data, junk between
// segments, and data after EOI.
func TestWalkJPEGMarkers(t *testing.T) {
	base := jpegHeader(jpegSOF2, 64, 64, 0x11)
	body := base[:len(base)-2] // without EOI
	sos := jpegSegment(jpegSOS, []byte{1, 1, 0, 1, 63, 0})
	tests := []struct {
		name  string
		tail  []byte
		scans int
	}{
		{"plain", nil, 1},
		{"fill bytes", append([]byte{0xff, 0xff, 0xff}, sos[1:]...), 2},
		{"stuffed and restart", append([]byte{1, 0xff, 0x00, 2, 0xff, 0xd3, 7, 0xff, 0x00, 0xda}, sos...), 2},
		{"junk", append([]byte("junk"), sos...), 2},
		{"after EOI", append([]byte{0xff, jpegEOI}, sos...), 1},
		{"segment past the end ends the walk", []byte{0xff, jpegSOS, 0, 64, 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append(append(append([]byte(nil), body...), tt.tail...), 0xff, jpegEOI)
			c, err := walkJPEG(b)
			if err != nil {
				t.Fatal(err)
			}
			if c.scans != tt.scans {
				t.Errorf("%d scans, want %d", c.scans, tt.scans)
			}
		})
	}
	if _, err := walkJPEG([]byte{0xff, jpegSOI, 0xff, jpegEOI}); err == nil {
		t.Error("JPEG without a frame header: no error")
	}
}

// TestLoadImageDirContext checks that a cancelled context stops LoadImageDir before the next image.
func TestLoadImageDirContext(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.png", pngBytes(t, uniformRGBA(2, 2, color.RGBA{1, 2, 3, 255})))
	writeFile(t, dir, "b.png", pngBytes(t, uniformRGBA(2, 2, color.RGBA{4, 5, 6, 255})))
	s, err := DecodeLimits{}.LoadImageDir(context.Background(), dir, Shape{})
	if err != nil || s.N != 2 || len(s.Files) != 2 || s.Files[1] != "b.png" {
		t.Fatalf("set %+v, err %v", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = DecodeLimits{}.LoadImageDir(ctx, dir, Shape{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped after 0 of 2 images") {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := (DecodeLimits{MaxPixelBytes: 10}).LoadImageDir(context.Background(), dir, Shape{}); err == nil || !strings.Contains(err.Error(), "a.png") {
		t.Errorf("tiny budget: err = %v, want a.png refused", err)
	}
}

package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// imageCost is what decoding one image with the standard library's decoders will take, read from
// the image's structure (headers, chunks, markers, block sizes) before any pixel is decoded.
type imageCost struct {
	// format is the decoder's name for the format: "png", "jpeg" or "gif".
	format string
	// width and height are the size of the decoded image (for a GIF, its first frame).
	width, height int
	// pixelBytes is the bytes of pixel buffers the decoder allocates (see DecodeLimits).
	pixelBytes int64
	// scans is a JPEG's number of start-of-scan segments; scanComponents sums their component
	// counts, and components is the frame's; progressive says the frame is SOF2.
	scans, scanComponents, components int
	progressive                       bool
}

// walkImage reads the cost of decoding b, whose format image.DecodeConfig named.
func walkImage(format string, b []byte) (imageCost, error) {
	var (
		c   imageCost
		err error
	)
	switch format {
	case "png":
		c, err = walkPNG(b)
	case "jpeg":
		c, err = walkJPEG(b)
	case "gif":
		c, err = walkGIF(b)
	default:
		return imageCost{}, fmt.Errorf("not a PNG, JPEG or GIF image (%s)", format)
	}
	c.format = format
	return c, err
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// walkPNG reads IHDR and the chunks before the first IDAT (a tRNS chunk turns grey into NRGBA).
// Its chunk walk stops at the first IDAT or at a truncated chunk, as the decoder allocates the
// image when it reaches IDAT.
func walkPNG(b []byte) (imageCost, error) {
	if !bytes.HasPrefix(b, []byte(pngSignature)) {
		return imageCost{}, errors.New("no PNG signature")
	}
	var ihdr []byte
	trns := false
	for p := len(pngSignature); p+8 <= len(b); {
		n := int64(binary.BigEndian.Uint32(b[p:]))
		if n > int64(len(b)-p-12) {
			break
		}
		typ, data := string(b[p+4:p+8]), b[p+8:p+8+int(n)]
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		if typ == "IHDR" && ihdr == nil {
			ihdr = data
		}
		trns = trns || typ == "tRNS"
		p += 12 + int(n)
	}
	if len(ihdr) < 13 {
		return imageCost{}, errors.New("no PNG header chunk")
	}
	w, h := int(binary.BigEndian.Uint32(ihdr)), int(binary.BigEndian.Uint32(ihdr[4:]))
	px := int64(w) * int64(h) * pngBytesPerPixel(ihdr[8], ihdr[9], trns)
	if ihdr[12] != 0 {
		px *= 2 // Adam7: each pass is decoded into an image of its own, then merged
	}
	return imageCost{width: w, height: h, pixelBytes: px}, nil
}

// pngBytesPerPixel is the bytes per pixel of the image image/png decodes a PNG of the given bit
// depth and colour type into: Paletted 1, Gray 1 and Gray16 2 (NRGBA 4 and NRGBA64 8 with tRNS),
// and 4 (8 bits) or 8 (16 bits) for the RGB(A), NRGBA(64) of every other colour type.
func pngBytesPerPixel(depth, colourType byte, trns bool) int64 {
	var per int64 = 4
	if depth == 16 {
		per = 8
	}
	switch {
	case colourType == 3:
		return 1
	case colourType == 0 && !trns:
		return per / 4
	}
	return per
}

// JPEG markers the walker acts on.
const (
	jpegSOF0  = 0xc0 // baseline
	jpegSOF1  = 0xc1 // extended sequential
	jpegSOF2  = 0xc2 // progressive
	jpegRST0  = 0xd0
	jpegRST7  = 0xd7
	jpegSOI   = 0xd8
	jpegEOI   = 0xd9
	jpegSOS   = 0xda
	jpegAPP14 = 0xee
)

// jpegComponent is one component of a JPEG frame: its identifier and sampling factors.
type jpegComponent struct {
	id   byte
	h, v int
}

// jpegWalk collects what the marker walk of a JPEG finds.
type jpegWalk struct {
	width, height int
	comps         []jpegComponent // nil until the (first) SOF0, SOF1 or SOF2
	progressive   bool
	adobeRGB      bool // an Adobe APP14 segment with transform 0 (RGB or CMYK)
	scans         int
	scanComps     int
}

// walkJPEG walks a JPEG's marker segments the way image/jpeg's decoder finds them: marker by
// marker up to EOI, skipping each segment by its length and scanning entropy-coded data (and any
// other bytes between segments) for the next 0xFF that starts a marker, so that it sees every SOS
// the decoder acts on.
func walkJPEG(b []byte) (imageCost, error) {
	if len(b) < 2 || b[0] != 0xff || b[1] != jpegSOI {
		return imageCost{}, errors.New("no JPEG start marker")
	}
	var w jpegWalk
	for p := 2; ; {
		m, q, ok := nextJPEGMarker(b, p)
		if !ok || m == jpegEOI {
			break
		}
		if jpegRST0 <= m && m <= jpegRST7 {
			p = q
			continue
		}
		if q+2 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[q:]))
		if n < 2 || q+n > len(b) {
			break
		}
		w.segment(m, b[q+2:q+n])
		p = q + n
	}
	if w.comps == nil {
		return imageCost{}, errors.New("no JPEG frame header")
	}
	return w.cost(), nil
}

// nextJPEGMarker finds the first marker at or after p: 0xFF, any fill bytes 0xFF, and a code other
// than 0 (0xFF 0x00 is a stuffed 0xFF byte of entropy-coded data). It returns the code and the
// position after it, or false at the end of b.
func nextJPEGMarker(b []byte, p int) (byte, int, bool) {
	for {
		i := bytes.IndexByte(b[p:], 0xff)
		if i < 0 {
			return 0, 0, false
		}
		p += i + 1
		for p < len(b) && b[p] == 0xff {
			p++
		}
		if p >= len(b) {
			return 0, 0, false
		}
		if m := b[p]; m != 0 {
			return m, p + 1, true
		}
		p++
	}
}

// segment records the marker segment m with payload seg.
func (w *jpegWalk) segment(m byte, seg []byte) {
	switch m {
	case jpegSOF0, jpegSOF1, jpegSOF2:
		if w.comps == nil { // the decoder refuses a second SOF
			w.frame(seg, m == jpegSOF2)
		}
	case jpegSOS:
		w.scans++
		if len(seg) > 0 {
			w.scanComps += int(seg[0])
		}
	case jpegAPP14:
		// As image/jpeg reads it: "Adobe" at the start of at least 12 bytes, transform at byte 11.
		if len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")) && seg[11] == 0 {
			w.adobeRGB = true
		}
	}
}

// frame reads a frame header (SOF payload): precision, height, width, and the components.
func (w *jpegWalk) frame(seg []byte, progressive bool) {
	if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) || seg[5] == 0 {
		return
	}
	w.height, w.width = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	w.progressive = progressive
	w.comps = make([]jpegComponent, seg[5])
	for i := range w.comps {
		c := seg[6+3*i:]
		w.comps[i] = jpegComponent{id: c[0], h: max(1, int(c[1]>>4)), v: max(1, int(c[1]&0x0f))}
	}
}

// cost is what image/jpeg allocates for the frame: one byte per sample of each component's
// 8x8 blocks, padded to whole MCUs as the decoder pads them (the exact chroma subsampling from
// the sampling factors), 256 more bytes per block (64 int32 coefficients) for a progressive
// frame, and 4 bytes per pixel for the RGBA or CMYK image it converts RGB and 4-component frames
// into.
func (w *jpegWalk) cost() imageCost {
	h0, v0 := 1, 1
	if len(w.comps) > 1 {
		h0, v0 = w.comps[0].h, w.comps[0].v
	}
	mxx := int64((w.width + 8*h0 - 1) / (8 * h0))
	myy := int64((w.height + 8*v0 - 1) / (8 * v0))
	var blocks int64
	for _, c := range w.comps {
		if len(w.comps) == 1 {
			c.h, c.v = 1, 1 // a grey frame is not interleaved: its MCU is one block
		}
		blocks += mxx * myy * int64(c.h*c.v)
	}
	var perBlock int64 = 64
	if w.progressive {
		perBlock += 64 * 4
	}
	px := blocks * perBlock
	if len(w.comps) == 4 || len(w.comps) == 3 && (w.adobeRGB || w.isRGB()) {
		px += 4 * int64(w.width) * int64(w.height)
	}
	return imageCost{
		width: w.width, height: w.height, pixelBytes: px,
		scans: w.scans, scanComponents: w.scanComps, components: len(w.comps), progressive: w.progressive,
	}
}

// isRGB says the components are named R, G and B, which image/jpeg decodes as RGB.
func (w *jpegWalk) isRGB() bool {
	return len(w.comps) == 3 && w.comps[0].id == 'R' && w.comps[1].id == 'G' && w.comps[2].id == 'B'
}

// GIF block introducers and extension labels.
const (
	gifExtension  = 0x21
	gifImage      = 0x2c
	gifText       = 0x01
	gifControl    = 0xf9
	gifComment    = 0xfe
	gifAppExt     = 0xff
	gifHeaderSize = 13
)

// walkGIF reads the logical screen and every frame's image descriptor, skipping colour tables,
// extensions and image data sub-blocks the way image/gif reads them. The pixel bytes are the sum
// over all frames of their rectangles (twice for an interlaced frame, which the decoder copies
// to de-interlace), and at least the logical screen, which bounds every frame. image/gif's
// Decode only decodes the first frame, so the sum is conservative for animations; the walk stops
// quietly at a truncated or unknown block, where the decoder stops too.
func walkGIF(b []byte) (imageCost, error) {
	if len(b) < gifHeaderSize || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return imageCost{}, errors.New("no GIF header")
	}
	c := imageCost{width: int(binary.LittleEndian.Uint16(b[6:])), height: int(binary.LittleEndian.Uint16(b[8:]))}
	screen := int64(c.width) * int64(c.height)
	var frames int64
	first := true
	for p := gifHeaderSize + gifColourTable(b[10]); p < len(b); {
		switch b[p] {
		case gifExtension:
			p = skipGIFExtension(b, p+1)
		case gifImage:
			if p+10 > len(b) {
				p = len(b)
				continue
			}
			fw, fh := int(binary.LittleEndian.Uint16(b[p+5:])), int(binary.LittleEndian.Uint16(b[p+7:]))
			flags := b[p+9]
			if first && fw > 0 && fh > 0 {
				c.width, c.height = fw, fh
			}
			first = false
			px := int64(fw) * int64(fh)
			if flags&0x40 != 0 {
				px *= 2
			}
			frames += px
			p = skipGIFSubBlocks(b, p+10+gifColourTable(flags)+1) // +1: the LZW minimum code size
		default: // the trailer, or a block the decoder refuses
			p = len(b)
		}
	}
	c.pixelBytes = max(frames, screen)
	return c, nil
}

// gifColourTable is the size in bytes of the colour table that the flags byte of a logical screen
// or image descriptor announces.
func gifColourTable(flags byte) int {
	if flags&0x80 == 0 {
		return 0
	}
	return 3 << (1 + flags&0x07)
}

// skipGIFExtension skips the extension whose label is at b[p] and returns the position after it,
// reading each kind as image/gif does (len(b) for a label it refuses).
func skipGIFExtension(b []byte, p int) int {
	if p >= len(b) {
		return len(b)
	}
	switch b[p] {
	case gifControl:
		return p + 1 + 6 // block size 4, four bytes, terminator
	case gifText:
		return skipGIFSubBlocks(b, p+1+13)
	case gifComment:
		return skipGIFSubBlocks(b, p+1)
	case gifAppExt:
		if p+1 >= len(b) {
			return len(b)
		}
		return skipGIFSubBlocks(b, p+2+int(b[p+1]))
	}
	return len(b)
}

// skipGIFSubBlocks skips data sub-blocks (a length byte and that many bytes, up to a zero length)
// from p and returns the position after the terminator, or len(b) when they run past the end.
func skipGIFSubBlocks(b []byte, p int) int {
	for p < len(b) {
		n := int(b[p])
		p++
		if n == 0 {
			return p
		}
		p += n
	}
	return len(b)
}

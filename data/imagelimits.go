package data

import (
	"fmt"
	"strings"
)

// Image decoding limits (see DecodeLimits).
const (
	// DefaultMaxPixelBytes is the pixel budget of one image when DecodeLimits leaves it unset.
	DefaultMaxPixelBytes = 256 << 20
	// MaxJPEGScans is the most scans a progressive JPEG may have.
	MaxJPEGScans = 32
)

// megabyte is the unit of the limits' messages and of the command line's --max-image-mb.
const megabyte = 1 << 20

// DecodeLimits bounds the memory and work of decoding an image, checked from its headers before
// any pixel is decoded (see "Image decoding limits" in the package documentation). The zero value applies the defaults.
type DecodeLimits struct {
	// MaxPixelBytes is the most bytes of pixel buffers decoding one image may allocate, counting
	// the decoder's buffers and those of the target shape; zero or less means
	// DefaultMaxPixelBytes.
	MaxPixelBytes int64
}

// maxPixelBytes is the pixel budget in force.
func (l DecodeLimits) maxPixelBytes() int64 {
	if l.MaxPixelBytes <= 0 {
		return DefaultMaxPixelBytes
	}
	return l.MaxPixelBytes
}

// check refuses an image whose decoding into target t (a complete shape) would go over the limits.
func (l DecodeLimits) check(c imageCost, t Shape) error {
	name := fmt.Sprintf("%dx%d %s", c.width, c.height, strings.ToUpper(c.format))
	if need, limit := c.pixelBytes+targetBytes(c, t), l.maxPixelBytes(); need > limit {
		return fmt.Errorf("%s needs %d MB to decode, over the %d MB limit (--max-image-mb)", name, ceilMB(need), ceilMB(limit))
	}
	if c.progressive && c.scans > MaxJPEGScans {
		return fmt.Errorf("%s with %d scans, more than the %d any encoder writes", name, c.scans, MaxJPEGScans)
	}
	if !c.progressive && c.scanComponents > c.components {
		return fmt.Errorf("%s codes its %d components in %d component scans; a baseline JPEG codes each once", name, c.components, c.scanComponents)
	}
	return nil
}

// targetBytes is what decodeImage allocates for target t: an RGBA image and the C-channel pixels,
// and the [4]float64 rows of x/image/draw's scaler (one per target column and source row) when
// the size changes.
func targetBytes(c imageCost, t Shape) int64 {
	n := int64(t.H) * int64(t.W) * int64(4+t.C)
	if t.H != c.height || t.W != c.width {
		n += 32 * int64(t.W) * int64(c.height)
	}
	return n
}

// ceilMB is n bytes in MB, rounded up.
func ceilMB(n int64) int64 { return (n + megabyte - 1) / megabyte }

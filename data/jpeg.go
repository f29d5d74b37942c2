package data

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// JPEGQuality is the quality of the JPEG round trip applied to colour sets that are not already
// JPEG-compressed (GTSRB), matching the CIFAR-10 sets' quality 75 with 4:2:0 chroma subsampling
// (what Go's image/jpeg writes), so that compression artefacts do not tell the sets apart.
const JPEGQuality = 75

// JPEGRoundTrip passes every image of s through a JPEG encode at quality and a decode, in place.
func JPEGRoundTrip(s *Set, quality int) error {
	if s.Shape.C != 3 && s.Shape.C != 1 {
		return fmt.Errorf("data: JPEG round trip of %d-channel images", s.Shape.C)
	}
	h, w, c := s.Shape.H, s.Shape.W, s.Shape.C
	per := h * w * c
	var buf bytes.Buffer
	for i := 0; i < s.N; i++ {
		pix := s.Pix[i*per : (i+1)*per]
		var img image.Image
		if c == 1 {
			img = &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
		} else {
			rgba := image.NewRGBA(image.Rect(0, 0, w, h))
			for p := 0; p < h*w; p++ {
				copy(rgba.Pix[4*p:4*p+3], pix[3*p:3*p+3])
				rgba.Pix[4*p+3] = 255
			}
			img = rgba
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return fmt.Errorf("data: JPEG round trip, image %d: %w", i, err)
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			return fmt.Errorf("data: JPEG round trip, image %d: %w", i, err)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, b, _ := dec.At(x, y).RGBA()
				o := (y*w + x) * c
				if c == 1 {
					pix[o] = uint8(r >> 8)
					continue
				}
				pix[o], pix[o+1], pix[o+2] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
			}
		}
	}
	return nil
}

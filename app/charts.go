package app

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// zBars draws per-layer z-scores as an SVG bar chart: one bar per layer, up for positive and
// down for negative, red beyond |z| = 3, clipped at |z| = 10. Each bar's title names its layer.
func zBars(z []float64, layers []string) string {
	const (
		barW, height, clip = 2.0, 60.0, 10.0
	)
	if len(z) == 0 {
		return `<svg class="zbars" width="0" height="0"></svg>`
	}
	w := barW * float64(len(z))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="zbars" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="per-layer z-scores">`,
		w, height, w, height)
	mid := height / 2
	fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#999" stroke-width="0.5"/>`, mid, w, mid)
	for i, v := range z {
		if math.IsNaN(v) {
			continue
		}
		c := math.Max(-clip, math.Min(clip, v))
		h := math.Abs(c) / clip * mid
		y := mid - h
		if c < 0 {
			y = mid
		}
		fill := "#4a78b5"
		if math.Abs(v) > 3 {
			fill = "#c0392b"
		}
		name := fmt.Sprintf("layer %d", i)
		if i < len(layers) {
			name = layers[i]
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.2f" width="%.1f" height="%.2f" fill="%s"><title>%s: z = %.2f</title></rect>`,
			float64(i)*barW, y, barW*0.8, math.Max(h, 0.5), fill, html.EscapeString(name), v)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// greyImage wraps w x h grey pixels as an image.
func greyImage(pix []uint8, w, h int) image.Image {
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// heatMap colours values (row-major, w x h) from blue (lowest) through white to red (highest).
func heatMap(v []float64, w, h int) image.Image {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, x := range v {
		t := 0.5
		if hi > lo {
			t = (x - lo) / (hi - lo)
		}
		var c color.RGBA
		if t < 0.5 {
			s := uint8(255 * t * 2)
			c = color.RGBA{s, s, 255, 255}
		} else {
			s := uint8(255 * (1 - t) * 2)
			c = color.RGBA{255, s, s, 255}
		}
		img.Set(i%w, i/w, c)
	}
	return img
}

// pngDataURL encodes img as a data: URL for an <img>.
func pngDataURL(img image.Image) string {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// rgbImage wraps w x h RGB pixels (channels last) as an image.
func rgbImage(pix []uint8, w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
	}
	return img
}

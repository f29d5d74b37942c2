package app

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"sort"
	"strings"
)

// zClip is where the per-layer chart clips |z|; zFlag is the |z| drawn red.
const (
	zClip = 10.0
	zFlag = 3.0
)

// zSummary is the per-layer chart's accessible name and caption: how many layers lie beyond
// |z| > 3 (a NaN z is not counted; the row's verdict names unusable features).
func zSummary(z []float64) string {
	n := 0
	for _, v := range z {
		if math.Abs(v) > zFlag {
			n++
		}
	}
	return fmt.Sprintf("%d of %d layers with |z| > 3", n, len(z))
}

// zLargest names the k layers with the largest |z|, largest first, as "name (z = 4.2)".
func zLargest(z []float64, layers []string, k int) []string {
	idx := make([]int, 0, len(z))
	for i, v := range z {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(z[idx[a]]) > math.Abs(z[idx[b]]) })
	out := make([]string, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, fmt.Sprintf("%s (z = %.1f)", layerName(layers, i), z[i]))
	}
	return out
}

func layerName(layers []string, i int) string {
	if i < len(layers) {
		return layers[i]
	}
	return fmt.Sprintf("layer %d", i)
}

// zBars draws per-layer z-scores as an SVG bar chart that fills its container's width: one bar
// per layer, up for positive and down for negative, red beyond |z| = 3, clipped at |z| = 10,
// with a zero line and dashed guides at +/-3. Its bars are two paths, one per colour, so that the
// page's thread parses a chart of hundreds of layers in a few nodes; the layers' names are
// zTargets, which the enlarged view (wideBars) adds. The svg's CSS class is zbars.
func zBars(z []float64) string {
	j := max(len(z), 1)
	y := func(v float64) float64 { return zHeight/2 - math.Max(-zClip, math.Min(zClip, v))/zClip*zHeight/2 }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="zbars" viewBox="0 0 %d %.0f" preserveAspectRatio="none" role="img" aria-label="%s">`,
		j, zHeight, zSummary(z))
	line := func(v float64, dash string) {
		fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%d" y2="%.1f" stroke="#666" stroke-width="1" vector-effect="non-scaling-stroke"%s/>`,
			y(v), j, y(v), dash)
	}
	line(0, "")
	line(zFlag, ` stroke-dasharray="4 3"`)
	line(-zFlag, ` stroke-dasharray="4 3"`)
	var red, blue strings.Builder
	for i, v := range z {
		if math.IsNaN(v) {
			continue
		}
		top, bottom := math.Min(y(v), y(0)), math.Max(y(v), y(0))
		bars := &blue
		if math.Abs(v) > zFlag {
			bars = &red
		}
		fmt.Fprintf(bars, "M%d.1 %.2fh0.8v%.2fh-0.8z", i, top, math.Max(bottom-top, 0.8))
	}
	for _, p := range []struct{ d, fill string }{{blue.String(), "#3d6fb0"}, {red.String(), "#c0392b"}} {
		if p.d != "" {
			fmt.Fprintf(&b, `<path d="%s" fill="%s"/>`, p.d, p.fill)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// zHeight is the height of zBars's viewBox; the chart is stretched to its CSS size.
const zHeight = 100.0

// zTargets are the hit targets of a zBars chart of z: each layer's whole column, with its name
// and z as a tooltip. Three nodes a layer, so only the enlarged view has them (wideBars).
func zTargets(z []float64, layers []string) string {
	var b strings.Builder
	for i, v := range z {
		fmt.Fprintf(&b, `<rect x="%d" y="0" width="1" height="%.0f" fill="transparent"><title>%s: z = %.2f</title></rect>`,
			i, zHeight, html.EscapeString(layerName(layers, i)), v)
	}
	return b.String()
}

// wideBars is the enlarged view of a zBars chart: of CSS class "zbars wide", with the hit
// targets (zTargets) on top of its bars.
func wideBars(chart, targets string) string {
	wide := strings.Replace(chart, `<svg class="zbars"`, `<svg class="zbars wide"`, 1)
	return strings.TrimSuffix(wide, `</svg>`) + targets + `</svg>`
}

// greyImage wraps w x h grey pixels as an image.
func greyImage(pix []uint8, w, h int) image.Image {
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
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

package app

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// percentile is the q-quantile (q in [0, 1]) of v, interpolated linearly between the sorted
// values; NaN for an empty v.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// viridisStops are nine evenly spaced colours of the viridis colour map (dark blue to yellow),
// readable in grey and by colour-blind viewers.
var viridisStops = [...]color.RGBA{
	{68, 1, 84, 255}, {71, 45, 123, 255}, {59, 82, 139, 255}, {44, 114, 142, 255}, {33, 145, 140, 255},
	{40, 174, 128, 255}, {94, 201, 98, 255}, {173, 220, 48, 255}, {253, 231, 37, 255},
}

// viridis maps t in [0, 1] (clamped) to the colour map.
func viridis(t float64) color.RGBA {
	if !(t > 0) { // NaN too
		return viridisStops[0]
	}
	if t >= 1 {
		return viridisStops[len(viridisStops)-1]
	}
	pos := t * float64(len(viridisStops)-1)
	i := int(pos)
	f := pos - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// clippedHeatMap draws the w x h values v (row by row) with the viridis colour map from lo
// (dark) to hi (yellow); values outside [lo, hi] take the colour of the nearer end.
func clippedHeatMap(v []float64, w, h int, lo, hi float64) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, x := range v[:min(len(v), w*h)] {
		t := 0.5
		if hi > lo {
			t = (x - lo) / (hi - lo)
		}
		img.SetRGBA(i%w, i/w, viridis(t))
	}
	return img
}

// colourBar is the colour map as a 256 x 1 image, lo on the left.
func colourBar() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for x := range 256 {
		img.SetRGBA(x, 0, viridis(float64(x)/255))
	}
	return img
}

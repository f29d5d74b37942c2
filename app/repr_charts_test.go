package app

import (
	"image/color"
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3} // sorted: 1 2 3 4 5
	for _, c := range []struct{ q, want float64 }{
		{0, 1}, {1, 5}, {0.5, 3}, {0.25, 2}, {0.1, 1.4}, {0.98, 4.92},
	} {
		if got := percentile(v, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("percentile %g: %g, want %g", c.q, got, c.want)
		}
	}
	if v[0] != 5 {
		t.Error("percentile sorted its argument")
	}
	if !math.IsNaN(percentile(nil, 0.5)) {
		t.Error("percentile of nothing is a number")
	}
}

// TestClippedHeatMap checks that one extreme value no longer decides the colours: with the
// 2nd to 98th percentiles as the ends, the ordinary values spread over the colour map and the
// outlier takes the end colour.
func TestClippedHeatMap(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(i % 10)
	}
	v[0] = 1e6
	lo, hi := percentile(v, 0.02), percentile(v, 0.98)
	if lo != 0 || hi != 9 {
		t.Fatalf("clip range %g to %g, want 0 to 9", lo, hi)
	}
	img := clippedHeatMap(v, 10, 10, lo, hi)
	at := func(i int) color.RGBA { return img.At(i%10, i/10).(color.RGBA) }
	if at(0) != viridis(1) || at(9) != viridis(1) {
		t.Errorf("outlier %v and largest ordinary value %v should both take the top colour %v", at(0), at(9), viridis(1))
	}
	if at(10) != viridis(0) || at(15) == at(14) || at(15) == at(16) {
		t.Errorf("ordinary values not spread: %v %v %v %v", at(10), at(14), at(15), at(16))
	}
	if flat := clippedHeatMap([]float64{2, 2}, 2, 1, 2, 2); flat.At(0, 0) != viridis(0.5) {
		t.Errorf("a constant map is %v, want the middle colour", flat.At(0, 0))
	}
}

func TestViridis(t *testing.T) {
	if viridis(0) != viridisStops[0] || viridis(1) != viridisStops[8] || viridis(-3) != viridisStops[0] ||
		viridis(7) != viridisStops[8] || viridis(math.NaN()) != viridisStops[0] || viridis(0.5) != viridisStops[4] {
		t.Error("the colour map's ends or middle moved")
	}
	// Lightness rises along the map, so it reads in grey too.
	prev := -1.0
	for i := range 11 {
		c := viridis(float64(i) / 10)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l <= prev {
			t.Fatalf("luminance falls at %d: %g after %g", i, l, prev)
		}
		prev = l
	}
	if b := colourBar().Bounds(); b.Dx() != 256 || b.Dy() != 1 {
		t.Errorf("colour bar %v", b)
	}
}

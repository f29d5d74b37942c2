package ood

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestHSVRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		rr, gg, bb := r.Float64(), r.Float64(), r.Float64()
		h, s, v := RGBToHSV(rr, gg, bb)
		if h < 0 || h >= 1 || s < 0 || s > 1 || v < 0 || v > 1 {
			t.Fatalf("hsv %g %g %g out of range", h, s, v)
		}
		r2, g2, b2 := HSVToRGB(h, s, v)
		if math.Abs(r2-rr)+math.Abs(g2-gg)+math.Abs(b2-bb) > 1e-12 {
			t.Fatalf("(%g %g %g) -> (%g %g %g) -> (%g %g %g)", rr, gg, bb, h, s, v, r2, g2, b2)
		}
	}
}

// TestLogDetMatchesFiniteDifferences checks the analytic log|det| against a central-difference
// Jacobian at random pixels of every channel order.
func TestLogDetMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	const h = 1e-6
	for i := 0; i < 2000; i++ {
		x := []float64{0.05 + 0.9*r.Float64(), 0.05 + 0.9*r.Float64(), 0.05 + 0.9*r.Float64()}
		// Stay away from the seams where the maximum or minimum channel changes.
		if math.Abs(x[0]-x[1]) < 0.02 || math.Abs(x[1]-x[2]) < 0.02 || math.Abs(x[0]-x[2]) < 0.02 {
			continue
		}
		jac := mat.NewDense(3, 3, nil)
		for j := 0; j < 3; j++ {
			up, down := append([]float64(nil), x...), append([]float64(nil), x...)
			up[j] += h
			down[j] -= h
			hu, su, vu := RGBToHSV(up[0], up[1], up[2])
			hd, sd, vd := RGBToHSV(down[0], down[1], down[2])
			dh := hu - hd
			if dh > 0.5 { // hue wraps around at red
				dh--
			} else if dh < -0.5 {
				dh++
			}
			jac.Set(0, j, dh/(2*h))
			jac.Set(1, j, (su-sd)/(2*h))
			jac.Set(2, j, (vu-vd)/(2*h))
		}
		want := math.Log(math.Abs(mat.Det(jac)))
		if got := LogAbsDetRGBToHSV(x[0], x[1], x[2]); math.Abs(got-want) > 1e-5 {
			t.Fatalf("pixel %v: analytic %g, finite differences %g", x, got, want)
		}
	}
	if !math.IsInf(LogAbsDetRGBToHSV(0.5, 0.5, 0.5), 1) {
		t.Fatal("grey pixel should have an infinite log-det")
	}
}

func TestHSVShift(t *testing.T) {
	if _, err := HSVShift(make([]uint8, 10), 1, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrNotColour) {
		t.Fatalf("grey image: %v", err)
	}
	// A saturated, bright image: C = V = 1 everywhere, so the shift is -log2(6)/3 bits per dim.
	pix := make([]uint8, 3*64)
	for i := 0; i < len(pix); i += 3 {
		pix[i] = 255
	}
	got, err := HSVShift(pix, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil || math.Abs(got+math.Log2(6)/3) > 0.01 {
		t.Fatalf("shift %g (%v), want about %g", got, err, -math.Log2(6)/3)
	}
}

package ood

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
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
	if _, err := HSVShift(make([]uint8, 3*16), 3, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrGrey) {
		t.Fatalf("black RGB image: %v", err)
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

func TestCheckColour(t *testing.T) {
	for _, c := range []struct {
		name     string
		pix      []uint8
		channels int
		want     error
	}{
		{"colour", []uint8{10, 10, 10, 200, 30, 40}, 3, nil},
		{"one colour pixel among grey", []uint8{0, 0, 0, 5, 5, 6, 9, 9, 9}, 3, nil},
		{"grey channels", []uint8{1, 2, 3}, 1, ErrNotColour},
		{"empty", nil, 3, ErrNotColour},
		{"ragged", []uint8{1, 2, 3, 4}, 3, ErrNotColour},
		{"every pixel grey", []uint8{7, 7, 7, 255, 255, 255, 0, 0, 0}, 3, ErrGrey},
	} {
		if err := CheckColour(c.pix, c.channels); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestHSVToRGBGraph runs the graph's inverse change of representation on pixels of every hue
// sextant, at the seams between them and near the red wrap-around, and compares it with
// HSVToRGB and the log-determinant with LogAbsDetRGBToHSV.
func TestHSVToRGBGraph(t *testing.T) {
	const n = 4 * 25 // B = 4 images of 5x5 pixels
	r := rand.New(rand.NewPCG(3, 3))
	hsv := make([][3]float64, n)
	for i := range hsv {
		h := r.Float64()
		switch i % 5 {
		case 1: // a seam between two sextants
			h = float64(r.IntN(6)) / 6
		case 2: // just below the wrap-around at red
			h = 1 - 1e-6*r.Float64()
		}
		hsv[i] = [3]float64{h, 0.01 + 0.99*r.Float64(), 0.01 + 0.99*r.Float64()}
	}
	g := graph.New()
	y := g.Input("y", 4, 3, 5, 5)
	rgb, logDet, err := HSVToRGBGraph(g, y)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(g, rgb, logDet)
	if err != nil {
		t.Fatal(err)
	}
	in := graph.Zeros(4, 3, 5, 5)
	for i, px := range hsv {
		b, pix := i/25, i%25
		for c := range 3 {
			in.Data[(b*3+c)*25+pix] = float32(px[c])
		}
	}
	out, err := cpu.New().Run(context.Background(), p, graph.Feeds{"y": in})
	if err != nil {
		t.Fatal(err)
	}
	wantDet := make([]float64, 4)
	for i, px := range hsv {
		b, pix := i/25, i%25
		r, g, bl := HSVToRGB(px[0], px[1], px[2])
		for c, want := range []float64{r, g, bl} {
			if got := float64(out[0].Data[(b*3+c)*25+pix]); math.Abs(got-want) > 1e-6 {
				t.Fatalf("pixel %v channel %d: graph %g, HSVToRGB %g", px, c, got, want)
			}
		}
		wantDet[b] -= LogAbsDetRGBToHSV(r, g, bl)
	}
	for b, want := range wantDet {
		if got := float64(out[1].Data[b]); math.Abs(got-want) > 1e-4*math.Abs(want)+1e-4 {
			t.Fatalf("image %d: log-det %g, want %g", b, got, want)
		}
	}

	if _, _, err := HSVToRGBGraph(graph.New(), graph.New().Input("y", 1, 1, 5, 5)); err == nil {
		t.Fatal("a one-channel input was accepted")
	}
}

func TestMaxRelDiff(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b []float64
		want float64
		at   int
	}{
		{"equal", []float64{1, 2}, []float64{1, 2}, 0, 0},
		{"second larger", []float64{1, 10}, []float64{1.1, 12}, 0.2, 1},
		{"zero reference", []float64{0, 1}, []float64{1e-40, 1}, 1e-10, 0},
		{"NaN", []float64{1, 1}, []float64{1, math.NaN()}, math.Inf(1), 1},
		{"empty", nil, nil, 0, -1},
	} {
		d, at, err := MaxRelDiff(c.a, c.b)
		if err != nil || at != c.at || math.Abs(d-c.want) > 1e-12*math.Max(1, c.want) && d != c.want {
			t.Errorf("%s: %g at %d (%v), want %g at %d", c.name, d, at, err, c.want, c.at)
		}
	}
	if _, _, err := MaxRelDiff([]float64{1}, nil); err == nil {
		t.Error("vectors of different lengths were compared")
	}
}

//go:build ignore

// Command genexamples draws the app's generated example images into static/examples (or the
// folder -out names): uniform noise (28x28 grey) and a colour picture (32x32: a sun over hills
// under a blue sky), both from fixed seeds so that every run writes the same files. Run it with
// `go generate ./app`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", filepath.Join("static", "examples"), "folder to write the images into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genexamples:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	for name, img := range map[string]image.Image{"noise.png": noise(), "colour.png": colour()} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noise is 28x28 uniform grey noise (seed 1).
func noise() image.Image {
	r := rand.New(rand.NewPCG(1, 0))
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

// colour is a 32x32 picture: a blue sky darkening upwards, an orange sun, green hills, with a
// little noise (seed 2) as a camera would add.
func colour() image.Image {
	r := rand.New(rand.NewPCG(2, 0))
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			fx, fy := float64(x), float64(y)
			c := [3]float64{40 + 4*fy, 90 + 4*fy, 200 + 1.5*fy} // sky
			if d := math.Hypot(fx-22, fy-10); d < 6 {
				c = [3]float64{250, 170 - 8*d, 40} // sun
			}
			if fy > 22+3*math.Sin(fx/5) {
				c = [3]float64{40 + 2*fx, 140 - 2*(fy-22), 50} // hills
			}
			var px [3]uint8
			for k := range c {
				px[k] = uint8(max(0, min(255, c[k]+r.NormFloat64()*6)))
			}
			img.Set(x, y, color.RGBA{px[0], px[1], px[2], 255})
		}
	}
	return img
}

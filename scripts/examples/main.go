// Command examples writes the README's example images into examples/: two FashionMNIST and two
// MNIST test images (registry data: Debian's dataset-fashion-mnist and the GoMNIST module) and one
// generated image (seeded uniform noise). Run from the repository root: go run ./scripts/examples
package main

import (
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/oodgpu/oodgpu/data"
)

func main() {
	if err := run("examples"); err != nil {
		fmt.Fprintln(os.Stderr, "examples:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, src := range []struct {
		spec string
		idx  []int
		name string
	}{{"fashionmnist:test", []int{0, 1}, "fashionmnist-test"}, {"mnist:test", []int{0, 1}, "mnist-test"}} {
		sp, err := data.ParseSpec(src.spec)
		if err != nil {
			return err
		}
		set, err := data.Load(sp, data.Options{})
		if err != nil {
			return err
		}
		for _, i := range src.idx {
			pix, err := set.Image(i)
			if err != nil {
				return err
			}
			if err := writeGrey(filepath.Join(dir, fmt.Sprintf("%s-%d.png", src.name, i)), pix, set.Shape.W, set.Shape.H); err != nil {
				return err
			}
		}
	}
	r := rand.New(rand.NewPCG(2026, 11))
	noise := make([]uint8, 28*28)
	for i := range noise {
		noise[i] = uint8(r.IntN(256))
	}
	return writeGrey(filepath.Join(dir, "noise-generated.png"), noise, 28, 28)
}

func writeGrey(path string, pix []uint8, w, h int) error {
	img := image.NewGray(image.Rect(0, 0, w, h))
	copy(img.Pix, pix)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

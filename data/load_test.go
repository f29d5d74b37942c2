package data

import (
	"bytes"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadNoise(t *testing.T) {
	opts := Options{N: 5, Shape: Shape{3, 4, 3}, Seed: 1}
	a, err := Load(Spec{Kind: "noise", Variant: "uniform"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load(Spec{Kind: "noise", Variant: "uniform"}, opts)
	opts.Seed = 2
	c, _ := Load(Spec{Kind: "noise", Variant: "uniform"}, opts)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.N != 5 || a.Labels != nil || !bytes.Equal(a.Pix, b.Pix) || bytes.Equal(a.Pix, c.Pix) {
		t.Fatalf("noise: same seed must repeat, another must differ")
	}
	var sum int
	for _, p := range a.Pix {
		sum += int(p)
	}
	if mean := float64(sum) / float64(len(a.Pix)); mean < 100 || mean > 155 {
		t.Errorf("mean pixel %.1f, want about 127.5", mean)
	}
}

func TestLoad(t *testing.T) {
	dataDir := t.TempDir()
	writeRawSet(t, dataDir, "omniglot_bg_small_28x28", Shape{1, 2, 1}, []byte{255, 250, 0, 10, 20, 30}, []byte{0, 1, 2}, nil)
	imgDir := t.TempDir()
	for _, name := range []string{"1.png", "2.png", "3.png"} {
		writeFile(t, imgDir, name, pngBytes(t, uniformRGBA(2, 2, color.RGBA{name[0], 0, 0, 255})))
	}
	mnistDir := t.TempDir()
	writeFile(t, mnistDir, "t10k-images-idx3-ubyte.gz", gzipBytes(t, idxBytes(IDXImagesMagic, []uint32{1, 1, 1}, []byte{0})))
	writeFile(t, mnistDir, "t10k-labels-idx1-ubyte.gz", gzipBytes(t, idxBytes(IDXLabelsMagic, []uint32{1}, []byte{0})))
	opts := Options{DataDir: dataDir, MNISTDir: mnistDir, FashionMNISTDir: t.TempDir(), N: 10, Shape: Shape{1, 1, 3}}
	tests := []struct {
		spec string
		n    int
		pix  []uint8
		err  string
	}{
		{spec: "omniglot", n: 3, pix: []byte{255, 250, 0, 10, 20, 30}},
		{spec: "omniglot:inverted[1:]", n: 2, pix: []byte{255, 245, 235, 225}},
		{spec: "omniglot[1:2]", n: 1, pix: []byte{0, 10}},
		{spec: "omniglot[3:]", n: 0, pix: []byte{}},
		{spec: "dir:" + imgDir + "[1:]", n: 2, pix: []byte{50, 0, 0, 51, 0, 0}},
		{spec: "file:" + filepath.Join(imgDir, "3.png"), n: 1, pix: []byte{51, 0, 0}},
		{spec: "noise:uniform[:4]", n: 4},
		{spec: "omniglot[:4]", err: "range [0:4] outside the 3 images"},
		{spec: "omniglot[4:]", err: "range [4:3] outside"},
		{spec: "cifar10:test", err: "cifar10_test_jpegq75_10000.json"},
		{spec: "mnist:test", err: "sha256 of the decompressed bytes"},
		{spec: "fashionmnist:train", err: "train-images-idx3-ubyte.gz"},
		{spec: "file:" + filepath.Join(imgDir, "4.png"), err: "4.png"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			sp, err := ParseSpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load(sp, opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "data: load ") {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.N != tt.n || s.Name != tt.spec || (tt.pix != nil && !bytes.Equal(s.Pix, tt.pix)) {
				t.Fatalf("%s: %d images, pixels %v; want %d, %v", s.Name, s.N, s.Pix, tt.n, tt.pix)
			}
		})
	}
}

func TestLoadNeedsOptions(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		opts Options
		err  string
	}{
		{"noise without shape", Spec{Kind: "noise", Variant: "uniform"}, Options{N: 1}, "noise needs Options.Shape"},
		{"noise without N", Spec{Kind: "noise", Variant: "uniform"}, Options{Shape: Shape{1, 1, 1}}, "noise needs Options.N"},
		{"raw set without data dir", Spec{Kind: "gtsrb", Variant: "test"}, Options{}, "set OODGPU_DATA"},
		{"unparsed spec", Spec{Kind: "svhn"}, Options{}, "unknown data set"},
	}
	t.Setenv(DataEnv, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(tt.spec, tt.opts); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

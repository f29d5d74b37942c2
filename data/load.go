package data

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// rawSets maps the specs of the raw u8 sets to their file names in the data directory.
var rawSets = map[string]string{
	"cifar10:train":     "cifar10_train_jpegq75_20000",
	"cifar10:test":      "cifar10_test_jpegq75_10000",
	"cifar10:lossless":  "cifar10_train_lossless_4000",
	"gtsrb:train":       "gtsrb_train_32x32_20000",
	"gtsrb:test":        "gtsrb_test_32x32_5000",
	"gtsrb:train-raw":   "gtsrb_train_32x32_20000",
	"gtsrb:test-raw":    "gtsrb_test_32x32_5000",
	"omniglot":          "omniglot_bg_small_28x28",
	"omniglot:inverted": "omniglot_bg_small_28x28",
}

// Options say where Load finds the data and what shape generated or image-file sets take.
type Options struct {
	// DataDir is the folder of the raw u8 sets (cifar10, gtsrb, omniglot); empty means DataDir().
	DataDir string
	// MNISTDir is the folder of the MNIST idx files; empty means MNISTDir().
	MNISTDir string
	// FashionMNISTDir is the folder of the FashionMNIST idx files; empty means FashionMNISTDir().
	FashionMNISTDir string
	// N is the number of images of noise:uniform.
	N int
	// Shape is the image shape of noise:uniform (all fields required) and the target shape of
	// dir: and file: images (zero fields: from the first image, see DecodeImage).
	Shape Shape
	// Seed seeds noise:uniform: the same seed gives the same pixels.
	Seed uint64
	// Limits bound the decoding of dir: and file: images (zero: the defaults).
	Limits DecodeLimits
}

// Load loads the data set sp names, then selects its range. The Set's Name is sp.String().
func Load(sp Spec, opts Options) (*Set, error) {
	s, err := load(sp, opts)
	if err != nil {
		return nil, fmt.Errorf("data: load %s: %w", sp, err)
	}
	if sp.Ranged {
		end := sp.End
		if end < 0 {
			end = s.N
		}
		sub, err := s.Slice(sp.Start, end)
		if err != nil {
			return nil, fmt.Errorf("data: load %s: range [%d:%d] outside the %d images", sp, sp.Start, end, s.N)
		}
		s = sub
	}
	s.Name = sp.String()
	return s, nil
}

// load loads the whole set sp names.
func load(sp Spec, opts Options) (*Set, error) {
	key := sp.Kind
	if sp.Variant != "" {
		key += ":" + sp.Variant
	}
	switch sp.Kind {
	case "mnist":
		return loadMNIST(opts.MNISTDir, sp.Variant)
	case "fashionmnist":
		return loadFashionMNIST(opts.FashionMNISTDir, sp.Variant)
	case "dir":
		return opts.Limits.loadImageDir(context.Background(), sp.Path, opts.Shape)
	case "file":
		pix, shape, err := opts.Limits.readImageFile(sp.Path, opts.Shape)
		if err != nil {
			return nil, err
		}
		return &Set{N: 1, Shape: shape, Pix: pix}, nil
	case "noise":
		return uniformNoise(opts.N, opts.Shape, opts.Seed)
	}
	name, ok := rawSets[key]
	if !ok {
		return nil, fmt.Errorf("unknown data set %q", key)
	}
	dir := opts.DataDir
	if dir == "" {
		d, err := DataDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	s, err := loadRaw(dir, name)
	if err != nil {
		return nil, err
	}
	switch {
	case sp.Variant == "inverted":
		for i, p := range s.Pix {
			s.Pix[i] = 255 - p
		}
	case sp.Kind == "gtsrb" && (sp.Variant == "train" || sp.Variant == "test"):
		// GTSRB is stored losslessly; CIFAR-10 went through JPEG. Give GTSRB the same round trip
		// so that compression is no cue (gtsrb:train-raw and gtsrb:test-raw skip it).
		if err := JPEGRoundTrip(s, JPEGQuality); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// uniformNoise returns n images of shape with independent uniform pixels in 0..255 from a PCG
// generator seeded with seed.
func uniformNoise(n int, shape Shape, seed uint64) (*Set, error) {
	if err := shape.validate(); err != nil {
		return nil, fmt.Errorf("noise needs Options.Shape with H, W > 0 and C 1 or 3: %w", err)
	}
	size, err := checkedProduct(n, shape.Size())
	if err != nil {
		return nil, fmt.Errorf("noise needs Options.N > 0: %w", err)
	}
	r := rand.New(rand.NewPCG(seed, 0x6f6f64677075)) // the second word spells "oodgpu"
	pix := make([]uint8, size)
	for i := 0; i < size; i += 8 {
		v := r.Uint64()
		for k := i; k < min(i+8, size); k++ {
			pix[k] = uint8(v)
			v >>= 8
		}
	}
	return &Set{N: n, Shape: shape, Pix: pix}, nil
}

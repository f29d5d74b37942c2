// Package datatest finds the data sets tests read (FashionMNIST, and the shared Omniglot,
// CIFAR-10 and GTSRB), with one policy for when they are absent: the test skips with a printed
// reason, or fails under OODGPU_REQUIRE_DATA=1, as in CI.
package datatest

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The data package's names, repeated because that package's own tests use this one.
const (
	// env is data.DataEnv.
	env = "OODGPU_DATA"
	// fashionEnv is data.FashionMNISTDirEnv.
	fashionEnv = "OODGPU_FASHIONMNIST_DIR"
	// fashionDebianDir is data.FashionMNISTDebianDir.
	fashionDebianDir = "/usr/share/datasets/fashion-mnist"
)

// fashionFiles are the idx files of both FashionMNIST splits.
var fashionFiles = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// Missing skips t because real data is absent, or fails it when OODGPU_REQUIRE_DATA=1.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("OODGPU_REQUIRE_DATA") == "1" {
		t.Fatalf("required data missing (OODGPU_REQUIRE_DATA=1): %s", reason)
	}
	t.Skipf("data missing: %s (set OODGPU_REQUIRE_DATA=1 to make this a failure)", reason)
}

// Dir returns $OODGPU_DATA, else ../shared/data beside the module root (the folder of go.mod
// found by walking up from the working directory), or calls Missing when it does not exist or
// lacks one of the raw u8 sets named (by file stem, e.g. "cifar10_test_jpegq75_10000": its
// .json and .u8.gz files).
func Dir(t testing.TB, sets ...string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			Missing(t, err.Error())
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		Missing(t, "no raw u8 sets at "+dir+" (set "+env+")")
	}
	for _, set := range sets {
		for _, f := range []string{set + ".json", set + ".u8.gz"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
				Missing(t, "no "+f+" in "+dir+" (set "+env+" to the folder of the raw u8 sets)")
			}
		}
	}
	return dir
}

// Subset returns a temporary folder holding, for each raw u8 set named (found as Dir finds it),
// a raw u8 set of the same name with its first n images and labels, checksums and all. Only
// those images are decompressed, so that a test scoring a few colour images through the loader
// does not decompress and hash a whole set each time (under the race detector, a few seconds a
// set). A set with fewer than n images is an error.
func Subset(t testing.TB, n int, sets ...string) string {
	t.Helper()
	src := Dir(t, sets...)
	dst := t.TempDir()
	for _, set := range sets {
		if err := writeSubset(src, dst, set, n); err != nil {
			t.Fatalf("datatest: the first %d images of %s: %v", n, set, err)
		}
	}
	return dst
}

// rawMeta is the part of a raw set's NAME.json that Subset reads and writes (data.RawMeta).
type rawMeta struct {
	Name              string `json:"name"`
	File              string `json:"file"`
	N                 int    `json:"N"`
	H                 int    `json:"H"`
	W                 int    `json:"W"`
	C                 int    `json:"C"`
	DecompressedBytes int    `json:"decompressed_bytes"`
	SHA256            string `json:"sha256_decompressed"`
	LabelsPresent     bool   `json:"labels_present"`
	LabelsFile        string `json:"labels_file,omitempty"`
	LabelsSHA256      string `json:"labels_sha256_decompressed,omitempty"`
}

// writeSubset writes set's first n images (and labels) from src into dst.
func writeSubset(src, dst, set string, n int) error {
	b, err := os.ReadFile(filepath.Join(src, set+".json"))
	if err != nil {
		return err
	}
	var m rawMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s.json: %w", set, err)
	}
	if n > m.N {
		return fmt.Errorf("the set has %d images", m.N)
	}
	if m.File == "" {
		m.File = set + ".u8.gz"
	}
	m.Name, m.N, m.DecompressedBytes = set, n, n*m.H*m.W*m.C
	if m.SHA256, err = copyPrefix(filepath.Join(src, m.File), filepath.Join(dst, m.File), m.DecompressedBytes); err != nil {
		return err
	}
	if m.LabelsPresent {
		if m.LabelsSHA256, err = copyPrefix(filepath.Join(src, m.LabelsFile), filepath.Join(dst, m.LabelsFile), n); err != nil {
			return err
		}
	}
	if b, err = json.MarshalIndent(m, "", " "); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, set+".json"), b, 0o644)
}

// copyPrefix gzips the first n decompressed bytes of the gzip file from into to and returns
// their sha256 in hex.
func copyPrefix(from, to string, n int) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	prefix := make([]byte, n)
	if _, err := io.ReadFull(zr, prefix); err != nil {
		return "", fmt.Errorf("%s: the first %d bytes: %w", from, n, err)
	}
	out, err := os.Create(to)
	if err != nil {
		return "", err
	}
	zw := gzip.NewWriter(out)
	_, werr := zw.Write(prefix)
	if err := zw.Close(); werr == nil {
		werr = err
	}
	if err := out.Close(); werr == nil {
		werr = err
	}
	sum := sha256.Sum256(prefix)
	return hex.EncodeToString(sum[:]), werr
}

// FashionMNIST returns the folder of the FashionMNIST idx files, $OODGPU_FASHIONMNIST_DIR when
// set, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist), the folder the
// data package loads "fashionmnist:" specs from; it calls Missing when a file is not there.
func FashionMNIST(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(fashionEnv)
	if dir == "" {
		dir = fashionDebianDir
	}
	for _, f := range fashionFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			Missing(t, "no FashionMNIST "+f+" in "+dir+"; install Debian's dataset-fashion-mnist or set "+
				fashionEnv+" to a folder filled by `oodgpu data fetch --dir DIR fashionmnist`")
		}
	}
	return dir
}

// moduleRoot walks up from the working directory to the folder holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

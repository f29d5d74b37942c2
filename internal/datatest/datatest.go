// Package datatest finds the data sets tests read (FashionMNIST, and the shared Omniglot,
// CIFAR-10 and GTSRB), with one policy for when they are absent: the test skips with a printed
// reason, or fails under OODGPU_REQUIRE_DATA=1, as in CI.
package datatest

import (
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

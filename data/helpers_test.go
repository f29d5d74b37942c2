package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// gzipBytes returns b gzipped.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxBytes builds an idx file with the given magic, dimensions and data.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// ramp returns n bytes 0, 1, 2, ... (mod 256).
func ramp(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// writeFile writes b to dir/name.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// missingData skips t because real data is absent, or fails it when OODGPU_REQUIRE_DATA=1.
func missingData(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("OODGPU_REQUIRE_DATA") == "1" {
		t.Fatalf("required data missing (OODGPU_REQUIRE_DATA=1): %s", reason)
	}
	t.Skipf("data missing: %s (set OODGPU_REQUIRE_DATA=1 to make this a failure)", reason)
}

// sharedDataDir returns $OODGPU_DATA, else ../shared/data beside the module root (the folder of
// go.mod found by walking up from the working directory), or skips t when it does not exist.
func sharedDataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(DataEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			missingData(t, err.Error())
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	if !isDir(dir) {
		missingData(t, "no raw u8 sets at "+dir+" (set "+DataEnv+")")
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

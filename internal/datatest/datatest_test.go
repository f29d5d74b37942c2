package datatest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/data"
)

// recorder is a testing.TB that records a skip or a failure instead of reporting it; like the
// real ones, Skipf and Fatalf end the calling goroutine.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record calls find with a recorder on its own goroutine, so that a skip or failure ends only
// that goroutine, and returns what find returned and the recorder.
func record(find func(testing.TB) string) (string, *recorder) {
	r := &recorder{}
	var dir string
	done := make(chan struct{})
	go func() {
		defer close(done)
		dir = find(r)
	}()
	<-done
	return dir, r
}

// writeFiles creates each named file under dir.
func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("idx"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sharedSet finds the shared data folder holding the raw set "set_a".
func sharedSet(t testing.TB) string { return Dir(t, "set_a") }

func TestFinders(t *testing.T) {
	cases := []struct {
		name    string
		find    func(testing.TB) string
		env     string                    // the finder's environment variable
		setup   func(t *testing.T) string // returns the folder env names
		require bool                      // OODGPU_REQUIRE_DATA=1
		want    string                    // "found", "skip" or "fail"
		msg     string                    // in the skip or failure message
	}{
		{"fashionmnist complete", FashionMNIST, fashionEnv, func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, fashionFiles...)
			return d
		}, false, "found", ""},
		{"fashionmnist empty folder", FashionMNIST, fashionEnv, func(t *testing.T) string { return t.TempDir() },
			false, "skip", "train-images-idx3-ubyte.gz"},
		{"fashionmnist without test labels", FashionMNIST, fashionEnv, func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, fashionFiles[:3]...)
			return d
		}, false, "skip", "t10k-labels-idx1-ubyte.gz"},
		{"fashionmnist folder for a file", FashionMNIST, fashionEnv, func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, fashionFiles[1:]...)
			if err := os.Mkdir(filepath.Join(d, fashionFiles[0]), 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}, false, "skip", fashionFiles[0]},
		{"fashionmnist required", FashionMNIST, fashionEnv, func(t *testing.T) string { return t.TempDir() },
			true, "fail", "OODGPU_REQUIRE_DATA=1"},
		{"shared data present", sharedSet, env, func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, "set_a.json", "set_a.u8.gz")
			return d
		}, false, "found", ""},
		{"shared data empty folder", sharedSet, env, func(t *testing.T) string { return t.TempDir() },
			false, "skip", "set_a.json"},
		{"shared data without pixels", sharedSet, env, func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, "set_a.json")
			return d
		}, false, "skip", "set_a.u8.gz"},
		{"shared data absent", sharedSet, env, func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") },
			false, "skip", "none"},
		{"shared data required", sharedSet, env, func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") },
			true, "fail", "OODGPU_REQUIRE_DATA=1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.setup(t)
			t.Setenv(c.env, dir)
			t.Setenv("OODGPU_REQUIRE_DATA", "")
			if c.require {
				t.Setenv("OODGPU_REQUIRE_DATA", "1")
			}
			got, r := record(c.find)
			outcome := "found"
			switch {
			case r.skipped:
				outcome = "skip"
			case r.failed:
				outcome = "fail"
			}
			if outcome != c.want || !strings.Contains(r.msg, c.msg) {
				t.Fatalf("%s, message %q; want %s with one mentioning %q", outcome, r.msg, c.want, c.msg)
			}
			if outcome == "found" && got != dir {
				t.Errorf("returned %q, want %q", got, dir)
			}
		})
	}
}

// writeRaw writes a raw u8 set name of n images of 2x2x3 pixels pix, with labels, into dir.
func writeRaw(t *testing.T, dir, name string, n int, pix, labels []byte) {
	t.Helper()
	gz := func(file string, b []byte) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	m := data.RawMeta{Name: name, File: name + ".u8.gz", N: n, H: 2, W: 2, C: 3, DecompressedBytes: len(pix),
		LabelsPresent: true, LabelsFile: name + ".labels.uint8.gz"}
	m.SHA256, m.LabelsSHA256 = gz(m.File, pix), gz(m.LabelsFile, labels)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSubset: the first images and labels of a raw set, with checksums the data package
// accepts, and a failure when the set has fewer images than asked for.
func TestSubset(t *testing.T) {
	src := t.TempDir()
	pix := make([]byte, 5*2*2*3)
	for i := range pix {
		pix[i] = byte(7 * i)
	}
	labels := []byte{4, 3, 2, 1, 0}
	writeRaw(t, src, "set_a", 5, pix, labels)
	t.Setenv(env, src)

	s, err := data.LoadRaw(Subset(t, 2, "set_a"), "set_a")
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || !bytes.Equal(s.Pix, pix[:2*12]) || !bytes.Equal(s.Labels, labels[:2]) {
		t.Errorf("subset of %d images, pixels %v, labels %v; want 2, %v, %v", s.N, s.Pix, s.Labels, pix[:24], labels[:2])
	}

	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Subset(r, 6, "set_a")
	}()
	<-done
	if !r.failed || !strings.Contains(r.msg, "the set has 5 images") {
		t.Errorf("6 images of a set of 5: failed %v, %q; want a failure saying the set has 5", r.failed, r.msg)
	}
}

package datatest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
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

package main

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/gpu"
)

func TestExecutorSelection(t *testing.T) {
	cases := []struct {
		flags      deviceFlags
		wantName   string // prefix of the executor's name; "" means an error
		wantNotice bool
	}{
		{deviceFlags{device: "cpu"}, "cpu", false},
		{deviceFlags{device: "auto", adapter: "no such adapter"}, "cpu", true},
		{deviceFlags{device: "gpu", adapter: "no such adapter"}, "", false},
		{deviceFlags{device: "tpu"}, "", false},
	}
	// Auto mode uses a hardware adapter, or the CPU with a notice.
	var notice strings.Builder
	e, err := (&deviceFlags{device: "auto"}).executor(&notice)
	if err != nil || strings.HasPrefix(e.Name(), "cpu") != strings.Contains(notice.String(), "using the CPU executor") {
		t.Errorf("auto: %v, %v, notice %q", e, err, notice.String())
	}
	for _, c := range cases {
		var stderr strings.Builder
		e, err := c.flags.executor(&stderr)
		switch {
		case c.wantName == "" && err == nil:
			t.Errorf("%+v: got %s, want an error", c.flags, e.Name())
		case c.wantName != "" && (err != nil || !strings.HasPrefix(e.Name(), c.wantName)):
			t.Errorf("%+v: got %v, %v; want %s", c.flags, e, err, c.wantName)
		}
		if notice := strings.Contains(stderr.String(), "using the CPU executor"); notice != c.wantNotice {
			t.Errorf("%+v: notice %q", c.flags, stderr.String())
		}
	}
}

func TestDevicesListsAdapters(t *testing.T) {
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"devices"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "a run would use adapter") && !strings.Contains(s, "runs use the CPU executor") {
		t.Fatalf("devices printed %q", s)
	}
	if os.Getenv("OODGPU_REQUIRE_GPU") == "1" && strings.Contains(s, "no usable WebGPU adapter") {
		t.Fatalf("OODGPU_REQUIRE_GPU=1 but devices found none: %q", s)
	}
}

// TestVersion checks that `oodgpu version` names every field a bug report needs, with this
// build's OS/arch and GPU support.
func TestVersion(t *testing.T) {
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok || v == "" {
			t.Fatalf("line %q is not KEY: VALUE", line)
		}
		got[k] = v
	}
	for _, k := range []string{"oodgpu", "commit", "go", "os/arch", "cgo", "gpu"} {
		if got[k] == "" {
			t.Errorf("no %s line in %q", k, out.String())
		}
	}
	if want := runtime.GOOS + "/" + runtime.GOARCH; got["os/arch"] != want {
		t.Errorf("os/arch %q, want %q", got["os/arch"], want)
	}
	if got["go"] != runtime.Version() {
		t.Errorf("go %q, want %q", got["go"], runtime.Version())
	}
	if got["gpu"] != gpu.BuildSupport() {
		t.Errorf("gpu %q, want %q", got["gpu"], gpu.BuildSupport())
	}
}

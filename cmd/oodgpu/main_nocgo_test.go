//go:build !cgo && !js

package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// noSupport is what a binary built without cgo says about the GPU.
const noSupport = "built without GPU support (CGO_ENABLED=0)"

// TestWithoutGPUSupport checks the three places a binary built without cgo says so: the auto
// device's one-line notice (then the CPU executor), --device gpu's error, and oodgpu devices.
func TestWithoutGPUSupport(t *testing.T) {
	if os.Getenv("OODGPU_REQUIRE_GPU") == "1" {
		t.Fatalf("OODGPU_REQUIRE_GPU=1 but this oodgpu was %s", noSupport)
	}
	var notice strings.Builder
	e, err := (&deviceFlags{device: "auto"}).executor(&notice)
	if err != nil || !strings.HasPrefix(e.Name(), "cpu") {
		t.Errorf("auto: %v, %v; want the CPU executor", e, err)
	}
	if n := notice.String(); !strings.Contains(n, noSupport) || !strings.Contains(n, "using the CPU executor") ||
		strings.Count(n, "\n") != 1 {
		t.Errorf("auto notice %q, want one line saying the binary has no GPU support", n)
	}
	if _, err := (&deviceFlags{device: "gpu"}).executor(io.Discard); err == nil || !strings.Contains(err.Error(), noSupport) {
		t.Errorf("--device gpu: %v, want an error saying the binary has no GPU support", err)
	}
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"devices"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, noSupport) || !strings.Contains(s, "runs use the CPU executor") {
		t.Errorf("devices printed %q", s)
	}
}

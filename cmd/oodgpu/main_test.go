package main

import (
	"os"
	"strings"
	"testing"
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

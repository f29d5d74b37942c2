//go:build arm64 && !purego

package sgemm

import "testing"

// TestNEONRegistered checks that arm64 builds list the NEON kernel, so that the table-driven
// tests run it, and that Gemm uses it.
func TestNEONRegistered(t *testing.T) {
	cases := []struct {
		name string
		got  string
	}{
		{"Kernel()", Kernel()},
		{"best", best.name},
		{"last of kernels", kernels[len(kernels)-1].name},
	}
	for _, c := range cases {
		if c.got != "neon" {
			t.Errorf("%s = %q, want %q", c.name, c.got, "neon")
		}
	}
	if kernels[0] != generic {
		t.Errorf("kernels[0] = %q, want the generic reference kernel first", kernels[0].name)
	}
}

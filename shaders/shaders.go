// Package shaders holds oodgpu's WGSL compute kernels, one file per kernel family, each with a
// twin in graph/cpu. Every family is compiled together with common.wgsl, which defines the shared
// workgroup geometry, the GEMM tile step and careful scalar functions.
package shaders

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.wgsl
var files embed.FS

// Families lists the kernel families, by file name without extension.
var Families = []string{"elementwise", "reduce", "layout", "matmul", "conv", "normgram"}

// Options tune the kernels to an adapter.
type Options struct {
	// KStep is how many K values the GEMM tiles stage through workgroup memory at a time (TK):
	// 16 (the default, 8 KiB of workgroup storage) or 32 (16 KiB).
	KStep int
}

// KStepFor picks the GEMM K step for an adapter with the given workgroup storage limit in bytes:
// 32 when the tiles (16 KiB) and the reductions' scratch fit with room to spare, else 16.
func KStepFor(workgroupStorage uint32) int {
	if workgroupStorage >= 32<<10 {
		return 32
	}
	return 16
}

// Source returns the complete WGSL module of a kernel family: common.wgsl followed by the
// family's file, with the tile constants of opts.
func Source(family string, opts Options) (string, error) {
	common, err := files.ReadFile("common.wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: %w", err)
	}
	body, err := files.ReadFile(family + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: no kernel family %q", family)
	}
	src := string(common)
	switch opts.KStep {
	case 0, 16:
	case 32:
		if src, err = fill(src, "const TK: u32 = 16u;", "const TK: u32 = 32u;"); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("shaders: K step %d: want 16 or 32", opts.KStep)
	}
	return src + "\n" + string(body), nil
}

// fill replaces the one line of src that is marker with text, or fails when src has no such line
// or more than one: a template edit that loses a marker must not go unnoticed.
func fill(src, marker, text string) (string, error) {
	if n := strings.Count(src, marker+"\n"); n != 1 {
		return "", fmt.Errorf("shaders: template line %q found %d times, want once", strings.TrimSpace(marker), n)
	}
	return strings.Replace(src, marker+"\n", text+"\n", 1), nil
}

// Package shaders holds oodgpu's WGSL compute kernels, one file per kernel family, each with a
// twin in graph/cpu. Every family is compiled together with common.wgsl, which defines the shared
// workgroup geometry, the GEMM tile step and careful scalar functions.
package shaders

import (
	"embed"
	"fmt"
)

//go:embed *.wgsl
var files embed.FS

// Families lists the kernel families, by file name without extension.
var Families = []string{"elementwise", "reduce", "layout", "matmul", "conv"}

// Source returns the complete WGSL module of a kernel family: common.wgsl followed by the
// family's file.
func Source(family string) (string, error) {
	common, err := files.ReadFile("common.wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: %w", err)
	}
	body, err := files.ReadFile(family + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: no kernel family %q", family)
	}
	return string(common) + "\n" + string(body), nil
}

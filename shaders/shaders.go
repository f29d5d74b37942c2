// Package shaders holds oodgpu's WGSL compute kernels, one file per kernel family, each with a
// twin in graph/cpu. Every family is compiled together with common.wgsl, which defines the shared
// workgroup geometry, workgroup sums, the reduction parameters and careful scalar functions; the
// GEMM families (matmul, conv) also with gemm.wgsl, the tiled GEMM they share. Binding 0 of every
// kernel is its family's struct Params, which package gpu writes from a Go struct of the same
// fields.
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

// gemmFamilies are the families built on gemm.wgsl.
var gemmFamilies = map[string]bool{"matmul": true, "conv": true}

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

// Source returns the complete WGSL module of a kernel family: common.wgsl, gemm.wgsl with the K
// step of opts for the GEMM families, and the family's file.
func Source(family string, opts Options) (string, error) {
	if opts.KStep != 0 && opts.KStep != 16 && opts.KStep != 32 {
		return "", fmt.Errorf("shaders: K step %d: want 16 or 32", opts.KStep)
	}
	common, err := files.ReadFile("common.wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: %w", err)
	}
	body, err := files.ReadFile(family + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: no kernel family %q", family)
	}
	src := string(common) + "\n"
	if gemmFamilies[family] {
		gemm, err := files.ReadFile("gemm.wgsl")
		if err != nil {
			return "", fmt.Errorf("shaders: %w", err)
		}
		tiles := string(gemm)
		if opts.KStep == 32 {
			if tiles, err = fill(tiles, "const TK: u32 = 16u;", "const TK: u32 = 32u;"); err != nil {
				return "", err
			}
		}
		src += tiles + "\n"
	}
	return src + string(body), nil
}

// fill replaces the one line of src that is marker with text (removes it where text is empty), or
// fails when src has no such line or more than one: a template edit that loses a marker must not
// go unnoticed.
func fill(src, marker, text string) (string, error) {
	if n := strings.Count(src, marker+"\n"); n != 1 {
		return "", fmt.Errorf("shaders: template line %q found %d times, want once", strings.TrimSpace(marker), n)
	}
	if text != "" {
		text += "\n"
	}
	return strings.Replace(src, marker+"\n", text, 1), nil
}

// section keeps or removes the lines of src between the marker lines "// @begin name" and
// "// @end name", which go in either case; it fails unless src has each marker once, in order.
func section(src, name string, keep bool) (string, error) {
	begin, end := "// @begin "+name+"\n", "// @end "+name+"\n"
	i, j := strings.Index(src, begin), strings.Index(src, end)
	if strings.Count(src, begin) != 1 || strings.Count(src, end) != 1 || j < i {
		return "", fmt.Errorf("shaders: template section %q not found once", name)
	}
	body := src[i+len(begin) : j]
	if !keep {
		body = ""
	}
	return src[:i] + body + src[j+len(end):], nil
}

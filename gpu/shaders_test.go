//go:build cgo

package gpu

import (
	"regexp"
	"slices"
	"testing"

	"github.com/oliverbestmann/webgpu/wgpu"

	"github.com/oodgpu/oodgpu/shaders"
)

// entryPoints lists every kernel of every family; TestShadersCompile validates them natively,
// since browsers report invalid WGSL only as a console warning.
var entryPoints = map[string][]string{
	"elementwise": {"unary", "affine", "binary"},
	"reduce":      {"reduce_rows", "reduce_rows_lse", "reduce_small"},
	"layout":      {"copy"},
	"matmul":      {"matmul"},
	"conv": {"conv_forward", "conv_backward_data", "conv_weight_grad", "conv_weight_grad_sqnorm",
		"conv_forward_direct", "conv_backward_data_direct", "conv_weight_grad_direct", "conv_weight_grad_sqnorm_direct"},
	"normgram": {"gram_sqnorm"},
}

// TestShadersCompile compiles every entry point with both GEMM K steps (the adapter here picks
// one; real GPUs may pick the other).
func TestShadersCompile(t *testing.T) {
	e := executor(t)
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Logf("adapter's K step: %d", e.tiles.KStep)
	for _, k := range []int{16, 32} {
		c := &Executor{d: e.d, modules: map[string]*wgpu.ShaderModule{}, pipelines: map[string]*wgpu.ComputePipeline{},
			tiles: shaders.Options{KStep: k}}
		for family, entries := range entryPoints {
			for _, entry := range entries {
				if _, err := c.pipeline(family, entry); err != nil {
					t.Errorf("K step %d: %s.%s: %v", k, family, entry, err)
				}
			}
		}
	}
}

// TestEntryPointsListed checks that entryPoints names every entry point of every family, so that
// TestShadersCompile misses none.
func TestEntryPointsListed(t *testing.T) {
	entry := regexp.MustCompile(`@compute[^\n]*\nfn (\w+)`)
	for _, family := range shaders.Families {
		src, err := shaders.Source(family, shaders.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, m := range entry.FindAllStringSubmatch(src, -1) {
			found = append(found, m[1])
		}
		listed := slices.Clone(entryPoints[family])
		slices.Sort(found)
		slices.Sort(listed)
		if len(found) == 0 || !slices.Equal(found, listed) {
			t.Errorf("%s.wgsl has entry points %v, entryPoints lists %v", family, found, listed)
		}
	}
}

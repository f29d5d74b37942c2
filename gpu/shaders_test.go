package gpu

import "testing"

// entryPoints lists every kernel of every family; TestShadersCompile validates them natively,
// since browsers report invalid WGSL only as a console warning.
var entryPoints = map[string][]string{
	"elementwise": {"unary", "affine", "binary"},
	"reduce":      {"reduce_rows", "reduce_rows_lse", "reduce_small"},
	"layout":      {"copy"},
	"matmul":      {"matmul"},
	"conv":        {"conv_forward", "conv_backward_data", "conv_weight_grad", "conv_weight_grad_sqnorm"},
}

func TestShadersCompile(t *testing.T) {
	e := executor(t)
	e.mu.Lock()
	defer e.mu.Unlock()
	for family, entries := range entryPoints {
		for _, entry := range entries {
			if _, err := e.pipeline(family, entry); err != nil {
				t.Errorf("%s.%s: %v", family, entry, err)
			}
		}
	}
}

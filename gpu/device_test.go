//go:build cgo

package gpu

import (
	"errors"
	"testing"

	"github.com/oliverbestmann/webgpu/wgpu"
)

func TestChooseAdapter(t *testing.T) {
	infos := []AdapterInfo{
		{Index: 0, Name: "llvmpipe (LLVM 15.0.6, 256 bits)"},
		{Index: 1, Name: "llvmpipe (LLVM 15.0.6, 256 bits)"},
		{Index: 2, Name: "NVIDIA H200"},
	}
	ranks := []int{rank(wgpu.AdapterTypeCPU, wgpu.BackendTypeOpenGL), rank(wgpu.AdapterTypeCPU, wgpu.BackendTypeVulkan),
		rank(wgpu.AdapterTypeDiscreteGPU, wgpu.BackendTypeVulkan)}
	cases := []struct {
		want    string
		index   int
		noMatch bool
	}{
		{"", 2, false},
		{"1", 1, false}, // an index wins over a name containing the digit
		{"llvm", 0, false},
		{"h200", 2, false},
		{"radeon", -1, true},
	}
	for _, c := range cases {
		t.Setenv("OODGPU_ADAPTER", "")
		got, err := choose(infos, ranks, c.want)
		if c.noMatch {
			if !errors.Is(err, ErrNoAdapter) {
				t.Errorf("%q: got %d, %v; want ErrNoAdapter", c.want, got, err)
			}
			continue
		}
		if err != nil || got != c.index {
			t.Errorf("%q: got %d, %v; want %d", c.want, got, err, c.index)
		}
	}
	if i, err := choose(infos[:2], ranks[:2], ""); err != nil || i != 1 {
		t.Errorf("Vulkan lavapipe should beat the OpenGL one: got %d, %v", i, err)
	}
	if _, err := choose(nil, nil, ""); !errors.Is(err, ErrNoAdapter) {
		t.Errorf("no adapters: %v", err)
	}
	t.Setenv("OODGPU_ADAPTER", "0")
	if i, err := choose(infos, ranks, ""); err != nil || i != 0 {
		t.Errorf("OODGPU_ADAPTER=0: got %d, %v", i, err)
	}
}

package glow

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/weights"
)

// WriteOracleDir writes what scripts/glow_parity.py reads into dir: the model as
// weights.safetensors, the images x and any outputs to check as outputs.safetensors, and
// parity.json with the feature column order (the parameters of Build's graph) and the fixed
// permutations of the 1x1 convolutions.
func WriteOracleDir(dir string, cfg Config, params graph.Feeds, x *graph.Tensor, outputs map[string]*graph.Tensor) error {
	g := graph.New()
	net, err := Build(g, cfg, 1)
	if err != nil {
		return err
	}
	wf, err := weights.FromFeeds(g, params)
	if err != nil {
		return err
	}
	raw, err := cfg.MarshalConfig()
	if err != nil {
		return err
	}
	if err := wf.SetMeta(weights.Meta{Kind: "glow", Config: raw}); err != nil {
		return err
	}
	if err := weights.Save(filepath.Join(dir, "weights.safetensors"), wf); err != nil {
		return err
	}
	of := &weights.File{Tensors: map[string]*graph.Tensor{"x": x}}
	maps.Copy(of.Tensors, outputs)
	if err := weights.Save(filepath.Join(dir, "outputs.safetensors"), of); err != nil {
		return err
	}
	info := struct {
		Params []string         `json:"params"`
		Perms  map[string][]int `json:"perms"`
	}{Perms: map[string][]int{}}
	for _, q := range g.Params() {
		info.Params = append(info.Params, q.LeafName())
	}
	for _, ic := range net.InvConvs {
		info.Perms[ic.Lower] = ic.Perm
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "parity.json"), b, 0o644); err != nil {
		return fmt.Errorf("glow: oracle: %w", err)
	}
	return nil
}

package main

import (
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// openModel loads the model at path, or the embedded default when path is empty.
func openModel(path string) (*scorer.Model, error) {
	if path == "" {
		f, err := zoo.Default()
		if err != nil {
			return nil, err
		}
		return scorer.FromFile(zoo.DefaultName, f)
	}
	return scorer.Load(path)
}

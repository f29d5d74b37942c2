package main

import (
	"github.com/oodgpu/oodgpu/models/zoo"
)

// openModel loads the model at path, or the embedded default when path is empty.
func openModel(path string) (*model, error) {
	if path == "" {
		f, err := zoo.Default()
		if err != nil {
			return nil, err
		}
		return newModel(zoo.DefaultName, f)
	}
	return loadModel(path)
}

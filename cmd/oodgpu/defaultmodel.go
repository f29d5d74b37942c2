package main

// openModel loads the model at path, or the embedded default when path is empty.
func openModel(path string) (*model, error) {
	if path == "" {
		return nil, errNoDefaultModel
	}
	return loadModel(path)
}

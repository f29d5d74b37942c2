package weights

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Save writes f to path atomically: it writes a temporary file in the same directory, syncs it and
// renames it over path, so readers see either the old file or the complete new one. The file gets
// mode 0644.
func Save(path string, f *File) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, f); err != nil {
		return fmt.Errorf("weights: save %s: %w", path, errors.Unwrap(err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	return nil
}

// Load reads the safetensors file at path, with the checks of Read.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: load: %w", err)
	}
	defer fh.Close()
	size := int64(-1)
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	f, err := read(bufio.NewReaderSize(fh, 1<<20), size)
	if err != nil {
		return nil, fmt.Errorf("weights: load %s: %w", path, err)
	}
	return f, nil
}

package weights

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Save writes f to path atomically: it writes a temporary file in the folder of the file path
// names, syncs it and renames it over that file, so readers see either the old file or the
// complete new one. A symbolic link is followed (the file it points to is replaced, the link
// kept), and an existing file keeps its permission bits; a new file gets mode 0644.
func Save(path string, f *File) (err error) {
	target, mode, err := saveTarget(path)
	if err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
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
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("weights: save: %w", err)
	}
	return nil
}

// CheckSavePath reports, before any work is done, why Save could not write path: a folder, a
// missing or unwritable parent folder, or a link loop.
func CheckSavePath(path string) error {
	target, _, err := saveTarget(path)
	if err != nil {
		return fmt.Errorf("weights: cannot write %s: %w", path, err)
	}
	probe, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".probe*")
	if err != nil {
		return fmt.Errorf("weights: cannot write %s: %w", path, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// saveTarget resolves the symbolic links of path to the file Save replaces, and returns the
// permission bits that file keeps (0644 for a new one).
func saveTarget(path string) (string, fs.FileMode, error) {
	if path == "" || strings.HasSuffix(path, string(filepath.Separator)) || strings.HasSuffix(path, "/") {
		return "", 0, fmt.Errorf("%q names a folder, not a file", path)
	}
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, 0o644, nil
		}
		if err != nil {
			return "", 0, err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			dest, err := os.Readlink(path)
			if err != nil {
				return "", 0, err
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(path), dest)
			}
			path = dest
		case fi.Mode().IsRegular():
			return path, fi.Mode().Perm(), nil
		default:
			return "", 0, fmt.Errorf("%s is not a regular file (%v)", path, fi.Mode().Type())
		}
	}
	return "", 0, errors.New("too many levels of symbolic links")
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

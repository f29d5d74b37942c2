package data

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DataEnv names the environment variable that holds the directory of the raw u8 sets.
const DataEnv = "OODGPU_DATA"

// DataDir returns the directory of the raw u8 sets from $OODGPU_DATA, or an error saying how to
// give it.
func DataDir() (string, error) {
	if d := os.Getenv(DataEnv); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("data: no data directory: set %s to the folder of the raw u8 sets (NAME.u8.gz, NAME.json) or pass --data-dir", DataEnv)
}

// RawMeta is the part of a raw set's NAME.json this package uses.
type RawMeta struct {
	// Name is the set's name, the NAME of its files.
	Name string `json:"name"`
	// File is the gzipped pixel file, NAME.u8.gz when empty.
	File string `json:"file"`
	// N, H, W, C are the number of images and their shape (pixels are N x H x W x C, row-major).
	N int `json:"N"`
	H int `json:"H"`
	W int `json:"W"`
	C int `json:"C"`
	// DecompressedBytes is N*H*W*C when present.
	DecompressedBytes int `json:"decompressed_bytes"`
	// SHA256 is the hex sha256 of the decompressed pixels.
	SHA256 string `json:"sha256_decompressed"`
	// LabelsPresent says whether LabelsFile exists.
	LabelsPresent bool `json:"labels_present"`
	// LabelsFile is the gzipped label file, N uint8 values.
	LabelsFile string `json:"labels_file"`
	// LabelsSHA256 is the hex sha256 of the decompressed labels, when present.
	LabelsSHA256 string `json:"labels_sha256_decompressed"`
}

// Shape is the shape of one image of the set.
func (m RawMeta) Shape() Shape { return Shape{H: m.H, W: m.W, C: m.C} }

// validate checks the fields Decode and LoadRaw rely on.
func (m RawMeta) validate() error {
	if err := m.Shape().validate(); err != nil {
		return err
	}
	n, err := checkedProduct(m.N, m.H, m.W, m.C)
	if err != nil {
		return err
	}
	if m.DecompressedBytes != 0 && m.DecompressedBytes != n {
		return fmt.Errorf("decompressed_bytes %d, but N*H*W*C = %d", m.DecompressedBytes, n)
	}
	if len(m.SHA256) != 2*sha256.Size {
		return fmt.Errorf("sha256_decompressed %q is not a sha256 hex digest", m.SHA256)
	}
	for _, f := range []string{m.File, m.LabelsFile} {
		if strings.ContainsAny(f, `/\`) || f == "." || f == ".." {
			return fmt.Errorf("file name %q must be a plain name in the data directory", f)
		}
	}
	if m.LabelsPresent && m.LabelsFile == "" {
		return errors.New("labels_present without labels_file")
	}
	return nil
}

// ReadRawMeta reads and checks dir/NAME.json.
func ReadRawMeta(dir, name string) (RawMeta, error) {
	m, err := readRawMeta(dir, name)
	if err != nil {
		return RawMeta{}, fmt.Errorf("data: %w", err)
	}
	return m, nil
}

func readRawMeta(dir, name string) (RawMeta, error) {
	path := filepath.Join(dir, name+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		return RawMeta{}, fmt.Errorf("raw set %s: %w", name, err)
	}
	var m RawMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return RawMeta{}, fmt.Errorf("raw set %s: %s: %w", name, path, err)
	}
	if m.Name == "" {
		m.Name = name
	}
	if m.File == "" {
		m.File = name + ".u8.gz"
	}
	if err := m.validate(); err != nil {
		return RawMeta{}, fmt.Errorf("raw set %s: %s: %w", name, path, err)
	}
	return m, nil
}

// DecodeRaw reads a gzip stream of exactly n raw bytes and returns them with the sha256 of the
// decompressed bytes. A stream that is not gzip, is truncated, or holds more or fewer than n bytes
// is an error; n above MaxBytes is refused before any allocation.
func DecodeRaw(r io.Reader, n int) ([]uint8, [32]byte, error) {
	b, sum, err := decodeRaw(r, n)
	if err != nil {
		return nil, sum, fmt.Errorf("data: raw: %w", err)
	}
	return b, sum, nil
}

func decodeRaw(r io.Reader, n int) ([]uint8, [32]byte, error) {
	var sum [32]byte
	if n < 0 || n > MaxBytes {
		return nil, sum, fmt.Errorf("size %d bytes is outside [0, %d]", n, MaxBytes)
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, sum, fmt.Errorf("not a gzip stream: %w", err)
	}
	h := sha256.New()
	b, err := readExact(io.TeeReader(zr, h), n)
	if err != nil {
		return nil, sum, err
	}
	h.Sum(sum[:0])
	return b, sum, nil
}

// LoadRaw loads the raw u8 set name from dir: NAME.json for its shape and checksums, the pixels
// NAME.u8.gz and, when the JSON says so, the labels. The sha256 of the decompressed pixels (and of
// the labels, when the JSON gives it) must match.
func LoadRaw(dir, name string) (*Set, error) {
	s, err := loadRaw(dir, name)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

func loadRaw(dir, name string) (*Set, error) {
	m, err := readRawMeta(dir, name)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: name, N: m.N, Shape: m.Shape()}
	if s.Pix, err = readRawFile(filepath.Join(dir, m.File), m.N*m.Shape().Size(), m.SHA256); err != nil {
		return nil, fmt.Errorf("raw set %s: %w", name, err)
	}
	if m.LabelsPresent {
		if s.Labels, err = readRawFile(filepath.Join(dir, m.LabelsFile), m.N, m.LabelsSHA256); err != nil {
			return nil, fmt.Errorf("raw set %s: labels: %w", name, err)
		}
	}
	return s, nil
}

// readRawFile decodes the gzipped raw file at path, n bytes with sha256 want (hex; unchecked when
// empty).
func readRawFile(path string, n int, want string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pix, sum, err := decodeRaw(f, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkSHA256(sum, want); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pix, nil
}

package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Magic numbers of the idx files this package reads: unsigned bytes, one or three dimensions.
const (
	IDXLabelsMagic = 0x00000801
	IDXImagesMagic = 0x00000803
)

// IDX is a decoded idx file of unsigned bytes.
type IDX struct {
	// Magic is IDXLabelsMagic or IDXImagesMagic.
	Magic uint32
	// Dims are the declared dimensions: [N] for labels, [N, H, W] for images.
	Dims []int
	// Data holds the product of Dims bytes, row-major.
	Data []uint8
	// SHA256 is the sha256 of the decompressed file, header included.
	SHA256 [32]byte
}

// DecodeIDX reads an idx file of unsigned bytes (labels, magic 0x00000801, or images, magic
// 0x00000803), gzipped or not (gzip is detected by its magic 1f 8b). It checks the header and that
// the data is exactly as long as the dimensions declare; declared sizes above MaxBytes are refused
// before any allocation.
func DecodeIDX(r io.Reader) (IDX, error) {
	m, err := decodeIDX(r)
	if err != nil {
		return IDX{}, fmt.Errorf("data: idx: %w", err)
	}
	return m, nil
}

func decodeIDX(r io.Reader) (IDX, error) {
	zr, _, err := maybeGunzip(r)
	if err != nil {
		return IDX{}, err
	}
	h := sha256.New()
	tr := io.TeeReader(zr, h)
	var head [4]byte
	if _, err := io.ReadFull(tr, head[:]); err != nil {
		return IDX{}, fmt.Errorf("header: %w", truncated(err))
	}
	magic := binary.BigEndian.Uint32(head[:])
	if head[0] != 0 || head[1] != 0 {
		return IDX{}, fmt.Errorf("magic %08x: not an idx file", magic)
	}
	if head[2] != 0x08 {
		return IDX{}, fmt.Errorf("magic %08x: element type 0x%02x unsupported, want 0x08 (unsigned byte)", magic, head[2])
	}
	if magic != IDXLabelsMagic && magic != IDXImagesMagic {
		return IDX{}, fmt.Errorf("magic %08x: %d dimensions unsupported, want 1 (labels) or 3 (images)", magic, head[3])
	}
	raw := make([]byte, 4*int(head[3]))
	if _, err := io.ReadFull(tr, raw); err != nil {
		return IDX{}, fmt.Errorf("dimensions: %w", truncated(err))
	}
	dims := make([]int, head[3])
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		if d > MaxBytes {
			return IDX{}, fmt.Errorf("dimension %d is %d: too large", i, d)
		}
		dims[i] = int(d)
	}
	n, err := checkedProduct(dims...)
	if err != nil {
		return IDX{}, err
	}
	data, err := readExact(tr, n)
	if err != nil {
		return IDX{}, fmt.Errorf("data of %v: %w", dims, err)
	}
	m := IDX{Magic: magic, Dims: dims, Data: data}
	h.Sum(m.SHA256[:0])
	return m, nil
}

// truncated turns the end-of-file errors of io.ReadFull into a clearer one.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated file")
	}
	return err
}

// LoadIDX reads an idx images file and, when labelsPath is not empty, its idx labels file, into a
// Set named name. The counts must match.
func LoadIDX(name, imagesPath, labelsPath string) (*Set, error) {
	s, err := loadIDX(name, imagesPath, labelsPath, "", "")
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

// loadIDX is LoadIDX that also checks the sha256 of the decompressed files against the hex digests
// wantImages and wantLabels when they are not empty.
func loadIDX(name, imagesPath, labelsPath, wantImages, wantLabels string) (*Set, error) {
	img, err := readIDXFile(imagesPath, IDXImagesMagic, wantImages)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: name, N: img.Dims[0], Shape: Shape{H: img.Dims[1], W: img.Dims[2], C: 1}, Pix: img.Data}
	if labelsPath != "" {
		lab, err := readIDXFile(labelsPath, IDXLabelsMagic, wantLabels)
		if err != nil {
			return nil, err
		}
		if lab.Dims[0] != s.N {
			return nil, fmt.Errorf("%s has %d labels for the %d images of %s", labelsPath, lab.Dims[0], s.N, imagesPath)
		}
		s.Labels = lab.Data
	}
	return s, nil
}

// readIDXFile decodes the idx file at path, which must have the given magic and, when want is not
// empty, the decompressed sha256 want (hex).
func readIDXFile(path string, magic uint32, want string) (IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return IDX{}, err
	}
	defer f.Close()
	m, err := decodeIDX(f)
	if err != nil {
		return IDX{}, fmt.Errorf("idx %s: %w", path, err)
	}
	if m.Magic != magic {
		return IDX{}, fmt.Errorf("idx %s: magic %08x, want %08x", path, m.Magic, magic)
	}
	if err := checkSHA256(m.SHA256, want); err != nil {
		return IDX{}, fmt.Errorf("idx %s: %w", path, err)
	}
	return m, nil
}

// checkSHA256 compares got with the hex digest want (skipped when want is empty).
func checkSHA256(got [32]byte, want string) error {
	if want == "" || strings.EqualFold(hex.EncodeToString(got[:]), want) {
		return nil
	}
	return fmt.Errorf("sha256 of the decompressed bytes is %x, want %s (corrupt or different file)", got, want)
}

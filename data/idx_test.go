package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDecodeIDX(t *testing.T) {
	labels := idxBytes(IDXLabelsMagic, []uint32{3}, []byte{7, 2, 1})
	images := idxBytes(IDXImagesMagic, []uint32{2, 2, 3}, ramp(12))
	tests := []struct {
		name  string
		in    []byte
		magic uint32
		dims  []int
		err   string
	}{
		{"labels", labels, IDXLabelsMagic, []int{3}, ""},
		{"images", images, IDXImagesMagic, []int{2, 2, 3}, ""},
		{"gzipped images", gzipBytes(t, images), IDXImagesMagic, []int{2, 2, 3}, ""},
		{"empty", nil, 0, nil, "truncated file"},
		{"short header", []byte{0, 0, 8}, 0, nil, "truncated file"},
		{"short dims", images[:9], 0, nil, "dimensions: truncated"},
		{"short data", images[:len(images)-1], 0, nil, "truncated: got 11 of 12 bytes"},
		{"short gzip", gzipBytes(t, images)[:20], 0, nil, "truncated"},
		{"trailing data", append(bytes.Clone(images), 0), 0, nil, "trailing data"},
		{"foreign file", []byte("\x89PNG\r\n\x1a\n0000000000"), 0, nil, "not an idx file"},
		{"float elements", idxBytes(0x00000d01, []uint32{1}, []byte{0, 0, 0, 0}), 0, nil, "element type 0x0d"},
		{"two dims", idxBytes(0x00000802, []uint32{1, 1}, []byte{0}), 0, nil, "2 dimensions unsupported"},
		{"zero dim", idxBytes(IDXImagesMagic, []uint32{0, 28, 28}, nil), 0, nil, "must be positive"},
		{"absurd size", idxBytes(IDXImagesMagic, []uint32{60000, 60000, 60000}, nil), 0, nil, "more than 2147483647 bytes"},
		{"absurd dim", idxBytes(IDXLabelsMagic, []uint32{0xffffffff}, nil), 0, nil, "too large"},
		{"huge size, no data", idxBytes(IDXLabelsMagic, []uint32{1 << 30}, []byte{1}), 0, nil, "truncated: got 1 of 1073741824 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeIDX(bytes.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "data: idx: ") {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Magic != tt.magic || !slices.Equal(m.Dims, tt.dims) {
				t.Fatalf("magic %08x dims %v, want %08x %v", m.Magic, m.Dims, tt.magic, tt.dims)
			}
			plain := labels
			if tt.magic == IDXImagesMagic {
				plain = images
			}
			if !bytes.Equal(m.Data, plain[len(plain)-len(m.Data):]) || m.SHA256 != sha256.Sum256(plain) {
				t.Fatalf("data %v or sha256 %x wrong", m.Data, m.SHA256)
			}
		})
	}
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	images := idxBytes(IDXImagesMagic, []uint32{2, 1, 2}, []byte{1, 2, 3, 4})
	imgPath := writeFile(t, dir, "img.gz", gzipBytes(t, images))
	labPath := writeFile(t, dir, "lab", idxBytes(IDXLabelsMagic, []uint32{2}, []byte{5, 6}))
	badPath := writeFile(t, dir, "bad", idxBytes(IDXLabelsMagic, []uint32{3}, []byte{5, 6, 7}))
	imgSHA := sha256.Sum256(images)
	tests := []struct {
		name           string
		images, labels string
		wantImages     string
		err            string
	}{
		{"images and labels", imgPath, labPath, "", ""},
		{"images only", imgPath, "", "", ""},
		{"checksum ok", imgPath, labPath, hex.EncodeToString(imgSHA[:]), ""},
		{"checksum mismatch", imgPath, labPath, strings.Repeat("0", 64), "sha256 of the decompressed bytes"},
		{"count mismatch", imgPath, badPath, "", "3 labels for the 2 images"},
		{"labels as images", labPath, "", "", "magic 00000801, want 00000803"},
		{"missing", filepath.Join(dir, "nope"), "", "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadIDX("t", tt.images, tt.labels, tt.wantImages, "")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.N != 2 || s.Shape != (Shape{1, 2, 1}) || s.Pix[3] != 4 || (tt.labels != "") != (s.Labels != nil) {
				t.Fatalf("set %+v", s)
			}
		})
	}
	if _, err := LoadIDX("t", filepath.Join(dir, "nope"), ""); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
		t.Errorf("LoadIDX of a missing file: err = %v", err)
	}
}

func FuzzDecodeIDX(f *testing.F) {
	images := idxBytes(IDXImagesMagic, []uint32{2, 2, 3}, ramp(12))
	f.Add(images)
	f.Add(gzipBytes(f, images))
	f.Add(idxBytes(IDXLabelsMagic, []uint32{3}, []byte{7, 2, 1}))
	f.Add(images[:9])
	f.Add(idxBytes(IDXImagesMagic, []uint32{60000, 60000, 60000}, nil))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 1
		for _, d := range m.Dims {
			n *= d
		}
		if len(m.Data) != n || (m.Magic != IDXLabelsMagic && m.Magic != IDXImagesMagic) {
			t.Fatalf("decoded %08x %v with %d bytes", m.Magic, m.Dims, len(m.Data))
		}
	})
}

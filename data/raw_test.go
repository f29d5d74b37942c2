package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// writeRawSet writes a raw u8 set name into dir: the JSON meta (after edit), pixels and labels.
func writeRawSet(t *testing.T, dir, name string, shape Shape, pix, labels []byte, edit func(map[string]any)) {
	t.Helper()
	sum := sha256.Sum256(pix)
	meta := map[string]any{
		"name": name, "file": name + ".u8.gz", "N": len(pix) / shape.Size(),
		"H": shape.H, "W": shape.W, "C": shape.C, "decompressed_bytes": len(pix),
		"sha256_decompressed": hex.EncodeToString(sum[:]),
	}
	if labels != nil {
		lsum := sha256.Sum256(labels)
		meta["labels_present"] = true
		meta["labels_file"] = name + ".labels.uint8.gz"
		meta["labels_sha256_decompressed"] = hex.EncodeToString(lsum[:])
		writeFile(t, dir, name+".labels.uint8.gz", gzipBytes(t, labels))
	}
	if edit != nil {
		edit(meta)
	}
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name+".json", b)
	writeFile(t, dir, name+".u8.gz", gzipBytes(t, pix))
}

func TestDecodeRaw(t *testing.T) {
	pix := ramp(24)
	tests := []struct {
		name string
		in   []byte
		n    int
		err  string
	}{
		{"ok", gzipBytes(t, pix), 24, ""},
		{"short", gzipBytes(t, pix), 25, "truncated: got 24 of 25"},
		{"long", gzipBytes(t, pix), 23, "trailing data"},
		{"not gzip", pix, 24, "not a gzip stream"},
		{"cut gzip", gzipBytes(t, pix)[:15], 24, "truncated"},
		{"absurd", gzipBytes(t, pix), MaxBytes + 1, "outside"},
		{"negative", gzipBytes(t, pix), -1, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sum, err := DecodeRaw(bytes.NewReader(tt.in), tt.n)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pix) || sum != sha256.Sum256(pix) {
				t.Fatalf("got %v sum %x", got, sum)
			}
		})
	}
}

func TestLoadRaw(t *testing.T) {
	shape := Shape{2, 2, 3}
	pix, labels := ramp(3*shape.Size()), []byte{4, 5, 6}
	tests := []struct {
		name   string
		labels []byte
		edit   func(map[string]any)
		err    string
	}{
		{"with labels", labels, nil, ""},
		{"no labels", nil, nil, ""},
		{"no file field", labels, func(m map[string]any) { delete(m, "file") }, ""},
		{"pixel checksum", labels, func(m map[string]any) { m["sha256_decompressed"] = strings.Repeat("ab", 32) }, "sha256 of the decompressed bytes"},
		{"label checksum", labels, func(m map[string]any) { m["labels_sha256_decompressed"] = strings.Repeat("ab", 32) }, "labels:"},
		{"size mismatch", labels, func(m map[string]any) { m["decompressed_bytes"] = 35 }, "decompressed_bytes 35"},
		{"N too large", labels, func(m map[string]any) { m["N"] = 4; m["decompressed_bytes"] = 48 }, "truncated: got 36 of 48"},
		{"N too small", labels, func(m map[string]any) { m["N"] = 2; m["decompressed_bytes"] = 24 }, "trailing data"},
		{"four channels", labels, func(m map[string]any) { m["C"] = 4 }, "channels must be 1 or 3"},
		{"absurd", labels, func(m map[string]any) { m["N"] = 1 << 40; delete(m, "decompressed_bytes") }, "more than"},
		{"no sha", labels, func(m map[string]any) { delete(m, "sha256_decompressed") }, "not a sha256"},
		{"path in file", labels, func(m map[string]any) { m["file"] = "../x.u8.gz" }, "plain name"},
		{"labels without file", nil, func(m map[string]any) { m["labels_present"] = true }, "without labels_file"},
		{"bad json", labels, func(m map[string]any) { m["N"] = "three" }, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRawSet(t, dir, "set", shape, pix, tt.labels, tt.edit)
			s, err := LoadRaw(dir, "set")
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
			if s.N != 3 || s.Shape != shape || !bytes.Equal(s.Pix, pix) || !bytes.Equal(s.Labels, tt.labels) {
				t.Fatalf("set %+v", s)
			}
			if m, err := ReadRawMeta(dir, "set"); err != nil || m.Shape() != shape || m.File != "set.u8.gz" {
				t.Fatalf("meta %+v, %v", m, err)
			}
		})
	}
	if _, err := LoadRaw(t.TempDir(), "absent"); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing set: err = %v", err)
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv(DataEnv, "")
	if _, err := DataDir(); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("unset: err = %v", err)
	}
	t.Setenv(DataEnv, "/some/where")
	if d, err := DataDir(); err != nil || d != "/some/where" {
		t.Errorf("set: %q, %v", d, err)
	}
}

func FuzzDecodeRaw(f *testing.F) {
	f.Add(gzipBytes(f, ramp(12)), 12)
	f.Add(gzipBytes(f, ramp(12)), 13)
	f.Add(gzipBytes(f, nil), 0)
	f.Add(gzipBytes(f, ramp(300))[:30], 300)
	f.Add([]byte("not gzip"), 8)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n > 1<<20 {
			n = 1 << 20 // keep the fuzzer's allocations small
		}
		got, sum, err := DecodeRaw(bytes.NewReader(b), n)
		if err != nil {
			return
		}
		if len(got) != n || sum != sha256.Sum256(got) {
			t.Fatalf("%d bytes for n = %d, sum %x", len(got), n, sum)
		}
	})
}

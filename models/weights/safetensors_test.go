package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/oodgpu/oodgpu/graph"
)

// golden is a tiny file written by hand from the format's description, independently of Write:
// metadata {"k":"v"}, tensor "a" of shape [2] = [1, -2] and scalar "s" = 0.5. The JSON header is
// 132 bytes, padded with 4 spaces to 136 = 0x88.
var golden = "\x88\x00\x00\x00\x00\x00\x00\x00" +
	`{"__metadata__":{"k":"v"},` +
	`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
	`"s":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}` + "    " +
	"\x00\x00\x80\x3f" + "\x00\x00\x00\xc0" + // a = [1, -2]
	"\x00\x00\x00\x3f" // s = 0.5

func goldenFile() *File {
	return &File{
		Tensors: map[string]*graph.Tensor{
			"a": {Shape: graph.Shape{2}, Data: []float32{1, -2}},
			"s": {Shape: graph.Shape{}, Data: []float32{0.5}},
		},
		Metadata: map[string]string{"k": "v"},
	}
}

func TestGolden(t *testing.T) {
	f, err := Decode([]byte(golden))
	if err != nil {
		t.Fatal(err)
	}
	assertEqualFiles(t, f, goldenFile())
	b, err := Encode(goldenFile())
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != golden {
		t.Errorf("Encode:\n got %q\nwant %q", b, golden)
	}
}

// TestReferenceVectors checks bytes that the reference implementation (huggingface/safetensors,
// Rust serialize) produces in its own tests: our writer must reproduce them and our reader accept
// them.
func TestReferenceVectors(t *testing.T) {
	seq := &graph.Tensor{Data: []float32{0, 1, 2, 3, 4, 5}}
	seqBytes := "\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40"
	cases := []struct {
		name string
		file *File
		want string
	}{
		{"header already aligned", &File{Tensors: map[string]*graph.Tensor{
			"attn.0": {Shape: graph.Shape{1, 2, 3}, Data: seq.Data}}},
			"\x40\x00\x00\x00\x00\x00\x00\x00" +
				`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` + seqBytes},
		{"header padded", &File{Tensors: map[string]*graph.Tensor{
			"attn0": {Shape: graph.Shape{1, 1, 2, 3}, Data: seq.Data}}},
			"\x48\x00\x00\x00\x00\x00\x00\x00" +
				`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       " + seqBytes},
		{"empty", &File{},
			"\x08\x00\x00\x00\x00\x00\x00\x00{}      "},
		{"metadata only", &File{Metadata: map[string]string{"framework": "pt"}},
			"\x28\x00\x00\x00\x00\x00\x00\x00" + `{"__metadata__":{"framework":"pt"}}` + "     "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Encode(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("Encode:\n got %q\nwant %q", b, c.want)
			}
			f, err := Decode([]byte(c.want))
			if err != nil {
				t.Fatal(err)
			}
			assertEqualFiles(t, f, c.file)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	odd := make([]float32, 3*5*7)
	for i := range odd {
		odd[i] = float32(i)*0.25 - 3
	}
	specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x80000000), math.SmallestNonzeroFloat32, math.MaxFloat32}
	cases := map[string]*File{
		"empty":          {},
		"empty metadata": {Tensors: map[string]*graph.Tensor{"x": {Shape: graph.Shape{1}, Data: []float32{7}}}, Metadata: map[string]string{}},
		"model-like": {
			Tensors: map[string]*graph.Tensor{
				"flow.3.coupling.conv1.weight":   {Shape: graph.Shape{3, 5, 7}, Data: odd},
				"flow.3.coupling.conv1.bias":     {Shape: graph.Shape{1, 3, 1, 1}, Data: []float32{1, 2, 3}},
				"scalar":                         {Shape: graph.Shape{}, Data: []float32{42}},
				"specials":                       {Shape: graph.Shape{6}, Data: specials},
				"zero-size":                      {Shape: graph.Shape{4, 0, 2}, Data: []float32{}},
				"unicode ✓ \"quoted\" \\ \n\x01": {Shape: graph.Shape{1, 1}, Data: []float32{-1}},
			},
			Metadata: map[string]string{"oodgpu": `{"format":1}`, "note": "ctl \x1f <&> ✓", "": ""},
		},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			if n := binary.LittleEndian.Uint64(b); n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			assertEqualFiles(t, got, want)
			// Read on a reader of unknown length, delivering one byte at a time.
			got, err = Read(iotest.OneByteReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatal(err)
			}
			assertEqualFiles(t, got, want)
			again, err := Encode(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, b) {
				t.Error("re-encoding a decoded file changed its bytes")
			}
		})
	}
}

// file builds a safetensors file from a header and data, with the correct length prefix.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func lengthOnly(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

func tensorJSON(name, dtype, shape string, begin, end int) string {
	return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` +
		itoa(begin) + `,` + itoa(end) + `]}`
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDecodeErrors(t *testing.T) {
	eight := make([]byte, 8)
	a := tensorJSON("a", "F32", "[2]", 0, 8)
	cases := []struct {
		name  string
		input []byte
		want  string // substring of the error
	}{
		{"empty input", nil, "input too short: 0 bytes"},
		{"short length", []byte{1, 2, 3}, "input too short: 3 bytes"},
		{"header over cap", lengthOnly(MaxHeaderSize+1, "{}"), "exceeds the limit"},
		{"header length 2^64-1", lengthOnly(math.MaxUint64, "{}"), "exceeds the limit"},
		{"header longer than file", lengthOnly(100, "{}      "), "header length 100 exceeds the 8 bytes"},
		{"empty header", file("", nil), "invalid JSON"},
		{"invalid JSON", file(`{"a":`, nil), "invalid JSON"},
		{"invalid JSON syntax", file(`{"a" 1}`, nil), "invalid JSON"},
		{"not an object", file(`[]`, nil), "expected a JSON object, found an array"},
		{"invalid UTF-8", file("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"data after object", file(`{} {}`, nil), "unexpected data after the JSON object"},
		{"duplicate name", file(`{`+a+`,`+tensorJSON("a", "F32", "[2]", 8, 16)+`}`, make([]byte, 16)), `duplicate key "a"`},
		{"metadata not object", file(`{"__metadata__":"x"}`, nil), "expected a JSON object, found a string"},
		{"metadata value not string", file(`{"__metadata__":{"k":1}}`, nil), `value of "k" is a number, not a string`},
		{"duplicate metadata key", file(`{"__metadata__":{"k":"a","k":"b"}}`, nil), `duplicate key "k"`},
		{"duplicate metadata entry", file(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`},
		{"F16 size", file(`{`+tensorJSON("w", "F16", "[2]", 0, 8)+`}`, eight), `tensor "w": data_offsets [0, 8] span 8 bytes, but F16 shape [2] needs 4`},
		{"BF16", file(`{`+tensorJSON("w", "BF16", "[2]", 0, 4)+`}`, make([]byte, 4)), `tensor "w": dtype BF16 is not supported`},
		{"F64", file(`{`+tensorJSON("w", "F64", "[1]", 0, 8)+`}`, eight), `tensor "w": dtype F64 is not supported`},
		{"I64", file(`{`+tensorJSON("step", "I64", "[1]", 0, 8)+`}`, eight), `tensor "step": dtype I64 is not supported`},
		{"unknown dtype", file(`{`+tensorJSON("w", "Q4", "[2]", 0, 8)+`}`, eight), `tensor "w": unknown dtype "Q4"`},
		{"dtype not string", file(`{"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, eight), "dtype is a number"},
		{"entry not object", file(`{"w":[1]}`, nil), `tensor "w": expected a JSON object`},
		{"missing dtype", file(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "w": missing dtype`},
		{"missing shape", file(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, eight), `tensor "w": missing shape`},
		{"null shape", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}`, eight), `shape is null`},
		{"missing offsets", file(`{"w":{"dtype":"F32","shape":[2]}}`, eight), `tensor "w": missing data_offsets`},
		{"unknown field", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), `unknown field "x"`},
		{"negative dim", file(`{`+tensorJSON("w", "F32", "[2,-1]", 0, 8)+`}`, eight), "shape[1] = -1 is negative"},
		{"fractional dim", file(`{`+tensorJSON("w", "F32", "[1.5]", 0, 8)+`}`, eight), "shape[0] = 1.5 is not an integer"},
		{"string dim", file(`{`+tensorJSON("w", "F32", `["2"]`, 0, 8)+`}`, eight), `shape[0] = "2" is not an integer`},
		{"dim out of range", file(`{`+tensorJSON("w", "F32", "[99999999999999999999]", 0, 8)+`}`, eight), "out of range"},
		{"shape overflows", file(`{`+tensorJSON("w", "F32", "[4294967296,4294967296,0]", 0, 0)+`}`, nil), "too large"},
		{"one offset", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, eight), "data_offsets has 1 values, want 2"},
		{"negative offset", file(`{`+tensorJSON("w", "F32", "[2]", -8, 0)+`}`, eight), "data_offsets[0] = -8 is negative"},
		{"end before begin", file(`{`+tensorJSON("w", "F32", "[0]", 8, 0)+`}`, eight), "end before they begin"},
		{"offsets do not match shape", file(`{`+tensorJSON("w", "F32", "[3]", 0, 8)+`}`, eight), "span 8 bytes, but F32 shape [3] needs 12"},
		{"overlap", file(`{`+a+`,`+tensorJSON("b", "F32", "[2]", 4, 12)+`}`, make([]byte, 12)), `tensor "b": data_offsets [4, 12] overlap tensor "a"`},
		{"same range twice", file(`{`+a+`,`+tensorJSON("b", "F32", "[2]", 0, 8)+`}`, eight), "overlap"},
		{"gap", file(`{`+a+`,`+tensorJSON("b", "F32", "[2]", 12, 20)+`}`, make([]byte, 20)), "bytes [8, 12) of the data section belong to no tensor"},
		{"not starting at 0", file(`{`+tensorJSON("b", "F32", "[2]", 4, 12)+`}`, make([]byte, 12)), "bytes [0, 4) of the data section belong to no tensor"},
		{"truncated data", file(`{`+a+`}`, make([]byte, 5)), "truncated data"},
		{"no data", file(`{`+a+`}`, nil), "truncated data"},
		{"trailing garbage", file(`{`+a+`}`, make([]byte, 9)), "trailing bytes"},
		{"trailing after empty", file(`{}`, []byte("junk")), "trailing bytes"},
		{"huge tensor claimed", file(`{`+tensorJSON("w", "F32", "[1073741824,1024]", 0, 1<<42)+`}`, eight), "truncated data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.input)
			if err == nil {
				t.Fatalf("Decode succeeded with %d tensors, want error containing %q", len(f.Tensors), c.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "weights: decode: ") {
				t.Errorf("Decode error %q, want it to contain %q", err, c.want)
			}
			// The streaming reader, which does not know the input's length, rejects it too.
			f, err = Read(iotest.HalfReader(bytes.NewReader(c.input)))
			if err == nil {
				t.Fatalf("Read succeeded with %d tensors, want error containing %q", len(f.Tensors), c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Read error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadIOError(t *testing.T) {
	boom := errors.New("boom")
	b := []byte(golden)
	for _, n := range []int{0, 4, 20, len(b) - 2, len(b)} {
		r := io.MultiReader(bytes.NewReader(b[:n]), iotest.ErrReader(boom))
		if _, err := Read(r); !errors.Is(err, boom) {
			t.Errorf("after %d bytes: error %v, want it to wrap %v", n, err, boom)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name string
		file *File
		want string
	}{
		{"nil file", nil, "nil file"},
		{"nil tensor", &File{Tensors: map[string]*graph.Tensor{"w": nil}}, `tensor "w" is nil`},
		{"short data", &File{Tensors: map[string]*graph.Tensor{"w": {Shape: graph.Shape{2, 2}, Data: []float32{1}}}}, `tensor "w": shape [2 2] needs 4 values, has 1`},
		{"negative dim", &File{Tensors: map[string]*graph.Tensor{"w": {Shape: graph.Shape{-1}}}}, `tensor "w": invalid shape [-1]`},
		{"overflowing shape", &File{Tensors: map[string]*graph.Tensor{"w": {Shape: graph.Shape{1 << 32, 1 << 32, 0}}}}, `invalid shape`},
		{"reserved name", &File{Tensors: map[string]*graph.Tensor{"__metadata__": {Shape: graph.Shape{}, Data: []float32{1}}}}, "reserved"},
		{"bad UTF-8 name", &File{Tensors: map[string]*graph.Tensor{"\xff": {Shape: graph.Shape{}, Data: []float32{1}}}}, "not valid UTF-8"},
		{"bad UTF-8 metadata", &File{Metadata: map[string]string{"k": "\xff"}}, "valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Write error %v, want it to contain %q", err, c.want)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", b.Len())
			}
		})
	}
	boom := errors.New("boom")
	if err := Write(errWriter{boom}, goldenFile()); !errors.Is(err, boom) {
		t.Errorf("Write to a failing writer: %v, want it to wrap %v", err, boom)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	want := goldenFile()
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	assertEqualFiles(t, got, want)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != golden {
		t.Errorf("saved bytes differ from the golden file")
	}

	// Overwriting replaces the file and leaves no temporary file behind.
	want.Tensors["a"].Data[0] = 9
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	if got, err = Load(path); err != nil {
		t.Fatal(err)
	}
	assertEqualFiles(t, got, want)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want 1", len(entries))
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("saved file mode %v (%v), want 0644", st.Mode().Perm(), err)
	}

	// A failed Save leaves the old file intact and no temporary file.
	bad := &File{Tensors: map[string]*graph.Tensor{"w": nil}}
	if err := Save(path, bad); err == nil || !strings.Contains(err.Error(), `tensor "w" is nil`) {
		t.Errorf("Save of a bad file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed Save, want 1", len(entries))
	}
	if got, err = Load(path); err != nil {
		t.Fatal(err)
	}
	assertEqualFiles(t, got, want)

	if err := Save(filepath.Join(dir, "missing", "x.safetensors"), want); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if _, err := Load(filepath.Join(dir, "absent.safetensors")); err == nil || !strings.Contains(err.Error(), "absent.safetensors") {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := os.WriteFile(truncated, []byte(golden[:len(golden)-1]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(truncated); err == nil || !strings.Contains(err.Error(), truncated) || !strings.Contains(err.Error(), "truncated data") {
		t.Errorf("Load of a truncated file: %v", err)
	}
}

// assertEqualFiles compares tensors bit for bit (so NaNs compare equal) and metadata, treating nil
// and empty maps alike.
func assertEqualFiles(t *testing.T, got, want *File) {
	t.Helper()
	if err := diffFiles(got, want); err != "" {
		t.Error(err)
	}
}

func diffFiles(got, want *File) string {
	if len(got.Tensors) != len(want.Tensors) {
		return "got tensors " + strings.Join(got.Names(), ",") + ", want " + strings.Join(want.Names(), ",")
	}
	for name, w := range want.Tensors {
		g, ok := got.Tensors[name]
		if !ok {
			return "missing tensor " + name
		}
		if !g.Shape.Equal(w.Shape) || g.Shape == nil {
			return "tensor " + name + ": shape " + g.Shape.String() + ", want " + w.Shape.String()
		}
		if len(g.Data) != len(w.Data) {
			return "tensor " + name + ": data length differs"
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) {
				return "tensor " + name + ": data differs at " + itoa(i)
			}
		}
	}
	if len(got.Metadata) != len(want.Metadata) {
		return "metadata length differs"
	}
	for k, v := range want.Metadata {
		if gv, ok := got.Metadata[k]; !ok || gv != v {
			return "metadata " + k + " differs"
		}
	}
	return ""
}

// TestSaveThroughLinksKeepsMode checks that Save replaces the file a symbolic link points to
// (keeping the link), keeps an existing file's permission bits, and that CheckSavePath refuses
// folders and missing parents before any work is done.
func TestSaveThroughLinksKeepsMode(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.safetensors")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.safetensors")
	if err := os.Symlink("real.safetensors", link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	want := goldenFile()
	if err := Save(link, want); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(real); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("target mode %v (%v), want 0600 kept", fi.Mode().Perm(), err)
	}
	got, err := Load(real)
	if err != nil {
		t.Fatal(err)
	}
	assertEqualFiles(t, got, want)
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("folder holds %d entries after Save, want 2", len(entries))
	}

	for _, tc := range []struct{ name, path, want string }{
		{"folder", dir, "not a regular file"},
		{"trailing slash", dir + "/new/", "names a folder"},
		{"missing parent", filepath.Join(dir, "missing", "x.safetensors"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckSavePath(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckSavePath(%s) = %v, want an error with %q", tc.path, err, tc.want)
			}
		})
	}
	if err := CheckSavePath(link); err != nil {
		t.Fatalf("CheckSavePath of a link to a file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("CheckSavePath left files behind: %d entries", len(entries))
	}
}

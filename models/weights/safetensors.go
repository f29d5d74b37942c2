// Package weights reads and writes oodgpu model weights as safetensors files.
//
// The format (https://github.com/huggingface/safetensors) is an 8-byte little-endian uint64 N, then
// N bytes of JSON header, then the raw little-endian tensor data. The header maps each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]}, offsets being relative to the start of the data
// section; an optional "__metadata__" entry holds string-to-string metadata. This package has its
// own reader and writer: it writes tensors sorted by name, contiguously, with the header padded with
// spaces to a multiple of 8 bytes, which for float32 tensors is byte-for-byte what the reference
// implementation writes (it leaves the order of metadata keys unspecified; we sort them). It reads
// F32 tensors, the dtype oodgpu graphs compute in, and F16 tensors (widened to float32 exactly),
// the dtype a File marked Half is written in.
//
// Reading validates everything before trusting it (header size, JSON, dtypes, shapes, offsets, data
// length) and never allocates much more than the input's own size, so hostile files give errors,
// not panics or huge allocations.
//
// On top of the raw format, Meta is oodgpu's typed metadata (model kind, config, training data,
// fitted detector), and Bind matches a file's tensors to a graph's parameters.
package weights

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/oodgpu/oodgpu/graph"
)

// MaxHeaderSize is the largest JSON header, in bytes, that Read and Decode accept (the reference
// implementation's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// knownDtypes are the safetensors dtype names; only F32 and F16 can be loaded.
var knownDtypes = map[string]bool{
	"BOOL": true, "U8": true, "I8": true, "F8_E5M2": true, "F8_E4M3": true, "F8_E8M0": true,
	"F4": true, "F6_E2M3": true, "F6_E3M2": true, "I16": true, "U16": true, "F16": true,
	"BF16": true, "I32": true, "U32": true, "F32": true, "F64": true, "I64": true, "U64": true,
	"C64": true,
}

// File is the content of a safetensors file: float32 tensors by name, and string metadata.
// A nil or empty Metadata map means the file has no "__metadata__" entry.
type File struct {
	Tensors  map[string]*graph.Tensor
	Metadata map[string]string
	// Half writes every tensor as F16 (see RoundToHalf). Reading sets it when the file has
	// tensors and all of them are F16, so rewriting such a file keeps its size.
	Half bool
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// entry is one tensor described by a header, after validation.
type entry struct {
	name       string
	shape      graph.Shape
	width      int64 // bytes per value: 4 for F32, 2 for F16
	begin, end int64 // byte offsets in the data section
}

// Decode parses a whole safetensors file held in memory.
func Decode(b []byte) (*File, error) {
	f, err := read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("weights: decode: %w", err)
	}
	return f, nil
}

// Read parses a safetensors file from r, reading until EOF. The input must end right after the
// tensor data. Memory use stays proportional to the bytes actually read, whatever the header claims.
func Read(r io.Reader) (*File, error) {
	f, err := read(r, -1)
	if err != nil {
		return nil, fmt.Errorf("weights: read: %w", err)
	}
	return f, nil
}

// read parses a file from r; size is the input's total length, or -1 when unknown.
func read(r io.Reader, size int64) (*File, error) {
	var prefix [8]byte
	if k, err := io.ReadFull(r, prefix[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("input too short: %d bytes, need at least 8 for the header length", k)
		}
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if size >= 0 && n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	// ReadAll grows its buffer as data arrives, so a false length costs no big allocation.
	hdr, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if uint64(len(hdr)) != n {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, len(hdr))
	}
	meta, entries, dataLen, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	if size >= 0 {
		have := size - 8 - int64(n)
		if have < dataLen {
			return nil, fmt.Errorf("truncated data: the header describes %d bytes of tensor data, the input has %d", dataLen, have)
		}
		if have > dataLen {
			return nil, fmt.Errorf("trailing bytes after the tensor data: %d bytes beyond the %d the header describes", have-dataLen, dataLen)
		}
	}
	f := &File{Tensors: make(map[string]*graph.Tensor, len(entries)), Metadata: meta, Half: len(entries) > 0}
	buf := make([]byte, min(dataLen, 4*readChunk))
	for _, e := range entries {
		f.Half = f.Half && e.width == 2
		data, err := readFloats(r, int((e.end-e.begin)/e.width), e.width, size >= 0, buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("truncated data: tensor %q (bytes [%d, %d) of the data section) is cut short", e.name, e.begin, e.end)
			}
			return nil, fmt.Errorf("reading tensor %q: %w", e.name, err)
		}
		f.Tensors[e.name] = &graph.Tensor{Shape: e.shape, Data: data}
	}
	var one [1]byte
	switch k, err := io.ReadFull(r, one[:]); {
	case k > 0:
		return nil, fmt.Errorf("trailing bytes after the %d bytes of tensor data the header describes", dataLen)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("reading past the tensor data: %w", err)
	}
	return f, nil
}

// readChunk is how many float32 values readFloats reads at a time.
const readChunk = 4096

// readFloats reads count little-endian values of width bytes (4: float32, 2: float16) through
// buf, a scratch buffer of at least min(4*count, 4*readChunk) bytes. With exact, the caller has
// checked that the input holds them and the slice is allocated at once; otherwise it grows as
// data arrives.
func readFloats(r io.Reader, count int, width int64, exact bool, buf []byte) ([]float32, error) {
	var out []float32
	if exact {
		out = make([]float32, 0, count)
	} else {
		out = make([]float32, 0, min(count, readChunk))
	}
	for len(out) < count {
		k := min(count-len(out), readChunk)
		if _, err := io.ReadFull(r, buf[:int(width)*k]); err != nil {
			return nil, err
		}
		for i := range k {
			if width == 2 {
				out = append(out, halfToFloat32(binary.LittleEndian.Uint16(buf[2*i:])))
			} else {
				out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
			}
		}
	}
	return out, nil
}

// parseHeader validates a JSON header and returns its metadata, its tensors in data order, and the
// length of the data section they describe.
func parseHeader(hdr []byte) (map[string]string, []entry, int64, error) {
	if !utf8.Valid(hdr) {
		return nil, nil, 0, errors.New("header is not valid UTF-8")
	}
	var meta map[string]string
	var entries []entry
	err := walkObject(hdr, func(key string, raw json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(raw)
			meta = m
			return err
		}
		e, err := parseEntry(key, raw)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", key, err)
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("header: %w", err)
	}
	// The tensors must tile the data section exactly: in offset order, each starts where the
	// previous one ends, the first at 0.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var next int64
	for i, e := range entries {
		switch {
		case e.begin < next:
			prev := entries[i-1]
			return nil, nil, 0, fmt.Errorf("header: tensor %q: data_offsets [%d, %d] overlap tensor %q at [%d, %d]",
				e.name, e.begin, e.end, prev.name, prev.begin, prev.end)
		case e.begin > next:
			return nil, nil, 0, fmt.Errorf("header: bytes [%d, %d) of the data section belong to no tensor (tensor %q starts at %d)",
				next, e.begin, e.name, e.begin)
		}
		next = e.end
	}
	return meta, entries, next, nil
}

// parseMetadata decodes the "__metadata__" entry: null or an object of strings.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	meta := map[string]string{}
	err := walkObject(raw, func(key string, v json.RawMessage) error {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("value of %q is %s, not a string", key, jsonKind(v))
		}
		meta[key] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", metadataKey, err)
	}
	return meta, nil
}

// parseEntry validates one tensor's header entry.
func parseEntry(name string, raw json.RawMessage) (entry, error) {
	var dtype *string
	var shape, offsets []int64
	err := walkObject(raw, func(key string, v json.RawMessage) error {
		var err error
		switch key {
		case "dtype":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return fmt.Errorf("dtype is %s, not a string", jsonKind(v))
			}
			dtype = &s
		case "shape":
			shape, err = parseInts(v, "shape", strconv.IntSize)
		case "data_offsets":
			offsets, err = parseInts(v, "data_offsets", 64)
		default:
			err = fmt.Errorf("unknown field %q", key)
		}
		return err
	})
	e := entry{name: name}
	switch {
	case err != nil:
		return e, err
	case dtype == nil:
		return e, errors.New("missing dtype")
	case *dtype != "F32" && *dtype != "F16" && knownDtypes[*dtype]:
		return e, fmt.Errorf("dtype %s is not supported: oodgpu reads only F32 and F16 tensors (convert the weights to float32)", *dtype)
	case *dtype != "F32" && *dtype != "F16":
		return e, fmt.Errorf("unknown dtype %q", *dtype)
	case shape == nil:
		return e, errors.New("missing shape")
	case offsets == nil:
		return e, errors.New("missing data_offsets")
	case len(offsets) != 2:
		return e, fmt.Errorf("data_offsets has %d values, want 2 ([begin, end])", len(offsets))
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.end < e.begin {
		return e, fmt.Errorf("data_offsets [%d, %d] end before they begin", e.begin, e.end)
	}
	e.shape = make(graph.Shape, len(shape))
	for i, d := range shape {
		e.shape[i] = int(d)
	}
	e.width = 4
	if *dtype == "F16" {
		e.width = 2
	}
	nbytes, ok := byteSize(e.shape, e.width)
	if !ok {
		return e, fmt.Errorf("shape %v is too large (its size overflows)", e.shape)
	}
	if e.end-e.begin != nbytes {
		return e, fmt.Errorf("data_offsets [%d, %d] span %d bytes, but %s shape %v needs %d",
			e.begin, e.end, e.end-e.begin, *dtype, e.shape, nbytes)
	}
	return e, nil
}

// parseInts decodes a JSON array of non-negative integers that fit in bits bits (signed).
func parseInts(raw json.RawMessage, field string, bits int) ([]int64, error) {
	var items []json.RawMessage
	if string(raw) == "null" || json.Unmarshal(raw, &items) != nil {
		return nil, fmt.Errorf("%s is %s, not an array of integers", field, jsonKind(raw))
	}
	out := make([]int64, len(items))
	for i, it := range items {
		v, err := strconv.ParseInt(string(it), 10, bits)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return nil, fmt.Errorf("%s[%d] = %s is out of range", field, i, it)
		case err != nil:
			return nil, fmt.Errorf("%s[%d] = %s is not an integer", field, i, it)
		case v < 0:
			return nil, fmt.Errorf("%s[%d] = %d is negative", field, i, v)
		}
		out[i] = v
	}
	return out, nil
}

// byteSize returns the number of bytes of a tensor of the given shape with width bytes per
// value, and false when a dimension is negative or the size overflows (checked one dimension at a
// time, as the reference implementation does, so a zero dimension does not hide an overflow
// before it).
func byteSize(s graph.Shape, width int64) (int64, bool) {
	n := width
	for _, d := range s {
		if d < 0 || (d != 0 && n > math.MaxInt64/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	// Elements must be addressable as an int, also on 32-bit platforms.
	return n, n/width <= math.MaxInt
}

// walkObject calls fn for each member of the JSON object in data, in order, rejecting anything
// but a single object (whitespace around it aside) and duplicate keys.
func walkObject(data []byte, fn func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", noEOF(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected a JSON object, found %s", jsonKind(data))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", noEOF(err))
		}
		key := tok.(string) // the decoder only yields string keys inside an object
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("invalid JSON: %w", noEOF(err))
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("invalid JSON: %w", noEOF(err))
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("unexpected data after the JSON object: %q", truncate(rest, 20))
	}
	return nil
}

// noEOF turns the decoder's bare EOF into an error that says what happened.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON")
	}
	return err
}

// jsonKind names the type of a JSON value, for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Write encodes f in the safetensors format: tensors sorted by name and stored contiguously, the
// metadata (if any) sorted by key, the header padded with spaces to a multiple of 8 bytes.
func Write(w io.Writer, f *File) error {
	hdr, names, err := encodeHeader(f)
	if err != nil {
		return fmt.Errorf("weights: write: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(hdr)))
	bw.Write(prefix[:])
	bw.Write(hdr)
	var buf [4]byte
	for _, name := range names {
		for _, v := range f.Tensors[name].Data {
			if f.Half {
				binary.LittleEndian.PutUint16(buf[:], float32ToHalf(v))
				bw.Write(buf[:2])
			} else {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				bw.Write(buf[:])
			}
		}
	}
	// bufio.Writer keeps the first error and reports it on Flush.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("weights: write: %w", err)
	}
	return nil
}

// Encode returns f in the safetensors format, as Write writes it.
func Encode(f *File) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeHeader checks f and returns its padded JSON header and sorted tensor names.
func encodeHeader(f *File) ([]byte, []string, error) {
	if f == nil {
		return nil, nil, errors.New("nil file")
	}
	names := f.Names()
	width, dtype := int64(4), "F32"
	if f.Half {
		width, dtype = 2, "F16"
	}
	b := []byte{'{'}
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `"`+metadataKey+`":{`...)
		for i, k := range keys {
			v := f.Metadata[k]
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, nil, fmt.Errorf("metadata %q: key and value must be valid UTF-8", k)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v)
		}
		b = append(b, '}')
	}
	var offset int64
	for i, name := range names {
		t := f.Tensors[name]
		switch {
		case name == metadataKey:
			return nil, nil, fmt.Errorf("tensor name %q is reserved for metadata", name)
		case !utf8.ValidString(name):
			return nil, nil, fmt.Errorf("tensor name %q is not valid UTF-8", name)
		case t == nil:
			return nil, nil, fmt.Errorf("tensor %q is nil", name)
		}
		nbytes, ok := byteSize(t.Shape, width)
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q: invalid shape %v", name, t.Shape)
		}
		if int64(len(t.Data)) != nbytes/width {
			return nil, nil, fmt.Errorf("tensor %q: shape %v needs %d values, has %d", name, t.Shape, nbytes/width, len(t.Data))
		}
		if f.Half {
			for j, v := range t.Data {
				if beyondHalf(v) {
					return nil, nil, fmt.Errorf("tensor %q value %d is %g, beyond the half-precision range", name, j, v)
				}
			}
		}
		if offset > math.MaxInt64-nbytes {
			return nil, nil, errors.New("tensor data too large")
		}
		if i > 0 || len(f.Metadata) > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, `:{"dtype":"`+dtype+`","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, ',')
		offset += nbytes
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the limit of %d", len(b), MaxHeaderSize)
	}
	return b, names, nil
}

// appendJSONString appends s as a JSON string escaped as serde_json (the reference implementation)
// does: quote, backslash and control characters only. s must be valid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

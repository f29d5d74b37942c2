package weights

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that arbitrary input never panics, and that whatever decodes re-encodes to a
// file that decodes to the same tensors and metadata, and whose encoding is stable.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(golden))
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,0],"data_offsets":[8,8]}}`, make([]byte, 8)))
	f.Add(file(`{"__metadata__":{"oodgpu":"{\"format\":1,\"kind\":\"glow\"}"},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, []byte{0, 0, 0x80, 0x7f}))
	f.Add(file(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := Encode(d)
		if err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		d2, err := Decode(enc)
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		if diff := diffFiles(d2, d); diff != "" {
			t.Fatalf("round trip changed the file: %s", diff)
		}
		enc2, err := Encode(d2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatal("encoding is not stable")
		}
		s, err := Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Decode accepted the input but Read rejected it: %v", err)
		}
		if diff := diffFiles(s, d); diff != "" {
			t.Fatalf("Read and Decode disagree: %s", diff)
		}
	})
}

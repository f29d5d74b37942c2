package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// idxServer serves files by name and counts requests.
type idxServer struct {
	files map[string][]byte
	hits  atomic.Int32
}

func (s *idxServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	b, ok := s.files[strings.TrimPrefix(r.URL.Path, "/idx/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFetchFiles(t *testing.T) {
	images := idxBytes(IDXImagesMagic, []uint32{2, 2, 2}, ramp(8))
	labels := idxBytes(IDXLabelsMagic, []uint32{2}, []byte{3, 4})
	sumI, sumL := sha256.Sum256(images), sha256.Sum256(labels)
	files := []idxFile{
		{"images.gz", hex.EncodeToString(sumI[:])},
		{"labels.gz", hex.EncodeToString(sumL[:])},
	}
	corrupt := gzipBytes(t, images)
	corrupt[len(corrupt)-8] ^= 1 // the gzip trailer's CRC-32
	good := &idxServer{files: map[string][]byte{"images.gz": gzipBytes(t, images), "labels.gz": gzipBytes(t, labels)}}
	srv := httptest.NewServer(good)
	defer srv.Close()
	flipped := httptest.NewServer(&idxServer{files: map[string][]byte{"images.gz": corrupt}})
	defer flipped.Close()
	wrong := httptest.NewServer(&idxServer{files: map[string][]byte{"images.gz": gzipBytes(t, images), "labels.gz": gzipBytes(t, images)}})
	defer wrong.Close()

	tests := []struct {
		name string
		urls []string
		err  string
		left []string // files left behind by a failed fetch
	}{
		{"good", []string{srv.URL + "/idx"}, "", nil},
		{"falls back to the next host", []string{srv.URL + "/missing/", srv.URL + "/idx/"}, "", nil},
		{"corrupt gzip", []string{flipped.URL + "/idx/"}, "images.gz: decompress", nil},
		{"wrong content", []string{wrong.URL + "/idx/"}, "labels.gz: sha256 of the decompressed bytes", []string{"images.gz"}},
		{"not found", []string{srv.URL + "/missing/"}, "404 Not Found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "sub")
			err := fetchFiles(context.Background(), srv.Client(), tt.urls, dest, files)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if names := dirNames(t, dest); !slices.Equal(names, tt.left) {
					t.Fatalf("failed fetch left %v, want %v", names, tt.left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dest); !slices.Equal(names, []string{"images.gz", "labels.gz"}) {
				t.Fatalf("fetched %v", names)
			}
			s, err := LoadIDX("x", filepath.Join(dest, "images.gz"), filepath.Join(dest, "labels.gz"))
			if err != nil || s.N != 2 || s.Labels[1] != 4 {
				t.Fatalf("fetched set %+v, %v", s, err)
			}
		})
	}

	t.Run("keeps intact files", func(t *testing.T) {
		dest := t.TempDir()
		if err := fetchFiles(context.Background(), srv.Client(), []string{srv.URL + "/idx/"}, dest, files); err != nil {
			t.Fatal(err)
		}
		before := good.hits.Load()
		if err := fetchFiles(context.Background(), srv.Client(), []string{srv.URL + "/idx/"}, dest, files); err != nil {
			t.Fatal(err)
		}
		if good.hits.Load() != before {
			t.Fatalf("refetched intact files")
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := fetchFiles(ctx, srv.Client(), []string{srv.URL + "/idx/"}, t.TempDir(), files)
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFetch(t *testing.T) {
	// The server has the right names but generated contents: the pinned checksums reject them.
	files := map[string][]byte{}
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		files[name] = gzipBytes(t, idxBytes(IDXLabelsMagic, []uint32{1}, []byte{1}))
	}
	srv := httptest.NewServer(&idxServer{files: files})
	defer srv.Close()
	tests := []struct {
		name, set string
		err       string
	}{
		{"mnist checksum", "mnist", "want ba891046e6505d7a"},
		{"fashionmnist checksum", "fashionmnist", "want c59f468a2f672dc8"},
		{"unknown", "svhn", `unknown data set "svhn"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := t.TempDir()
			err := Fetch(context.Background(), tt.set, dest, srv.URL+"/idx/")
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "data: fetch") {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if names := dirNames(t, dest); len(names) != 0 {
				t.Fatalf("rejected fetch left %v", names)
			}
		})
	}
}

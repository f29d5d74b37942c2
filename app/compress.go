//go:build !js

package app

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Content codings the server and the static site offer besides the identity.
const (
	codingBrotli = "br"
	codingGzip   = "gzip"
)

// codingSuffix is the file name suffix of each coding's file in the static site.
var codingSuffix = map[string]string{codingBrotli: ".br", codingGzip: ".gz"}

// Compression levels: `oodgpu serve` compresses app.wasm when it starts and the rest on the
// first request for a coding, so it uses quick levels (about a second for app.wasm); `oodgpu site` compresses once for every visitor,
// so it uses gzip's best, and brotli's best for app.wasm, which every visitor downloads (about
// 12% smaller than level 5, and 20 times slower; the weight files, float32, gain little).
const (
	serveGzipLevel   = gzip.DefaultCompression
	serveBrotliLevel = 5
	siteGzipLevel    = gzip.BestCompression
)

// siteWasmBrotliLevel is the level of app.wasm's brotli form in the site. A variable only so that
// the tests under the race detector, where brotli's best takes minutes on app.wasm, can use
// serveBrotliLevel (race_test.go).
var siteWasmBrotliLevel = brotli.BestCompression

// compressed holds a body's compressed forms, each made once, when first asked for.
type compressed struct {
	body    []byte
	gzip    lazyCoding
	brotli  lazyCoding
	gzLevel int
	brLevel int
}

type lazyCoding struct {
	once sync.Once
	b    []byte
	err  error
}

// compressedCache keeps every body's compressed forms by content and levels for the life of
// the process, so that servers started on the same files (the tests start many) compress
// each once.
var compressedCache sync.Map // compressedKey -> *compressed

type compressedKey struct {
	sum              [sha256.Size]byte
	gzLevel, brLevel int
}

// compressedOf returns body's compressed forms at the given levels.
func compressedOf(body []byte, gzLevel, brLevel int) *compressed {
	k := compressedKey{sha256.Sum256(body), gzLevel, brLevel}
	c, _ := compressedCache.LoadOrStore(k, &compressed{body: body, gzLevel: gzLevel, brLevel: brLevel})
	return c.(*compressed)
}

// coded returns the body in coding (codingBrotli or codingGzip), compressing it the first
// time.
func (c *compressed) coded(coding string) ([]byte, error) {
	l, compress := &c.gzip, func() ([]byte, error) { return gzipBytes(c.body, c.gzLevel) }
	if coding == codingBrotli {
		l, compress = &c.brotli, func() ([]byte, error) { return brotliBytes(c.body, c.brLevel) }
	}
	l.once.Do(func() { l.b, l.err = compress() })
	return l.b, l.err
}

func gzipBytes(b []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

func brotliBytes(b []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, level)
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	return buf.Bytes(), nil
}

// acceptedCodings lists the codings of ours that an Accept-Encoding header accepts, best first
// (brotli, then gzip). A coding is accepted when named with a q-value above 0, or, unnamed,
// when "*" is.
func acceptedCodings(header string) []string {
	q := map[string]float64{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		v := 1.0
		if p, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				continue
			}
			v = f
		}
		q[name] = v
	}
	var out []string
	for _, c := range []string{codingBrotli, codingGzip} {
		v, named := q[c]
		if !named {
			v, named = q["*"]
		}
		if named && v > 0 {
			out = append(out, c)
		}
	}
	return out
}

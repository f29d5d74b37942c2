package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
)

// MaxBytes caps every decoded buffer (pixels, labels, decompressed files) just under 2 GiB: sizes
// declared by a header or a JSON file above it are refused before anything is allocated.
const MaxBytes = 1<<31 - 1

// readChunk is the most readExact allocates ahead of the data actually arriving, so that a small
// file that declares a huge size fails on truncation without a huge allocation.
const readChunk = 64 << 20

// gzipMagic starts every gzip stream.
var gzipMagic = [2]byte{0x1f, 0x8b}

// maybeGunzip returns a reader of r's decompressed bytes when r starts with the gzip magic, and of
// r itself otherwise; the bool says which.
func maybeGunzip(r io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("read: %w", err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, false, fmt.Errorf("gzip header: %w", err)
		}
		return zr, true, nil
	}
	return br, false, nil
}

// readExact reads exactly n bytes from r, then checks that r has nothing more. It grows its buffer
// as data arrives (at most readChunk ahead), so a truncated stream never costs n bytes of memory.
func readExact(r io.Reader, n int) ([]byte, error) {
	if n < 0 || n > MaxBytes {
		return nil, fmt.Errorf("size %d bytes is outside [0, %d]", n, MaxBytes)
	}
	buf := make([]byte, 0, min(n, readChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), readChunk))
		}
		m, err := io.ReadFull(r, buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("truncated: got %d of %d bytes", len(buf), n)
			}
			return nil, fmt.Errorf("read: %w", err)
		}
	}
	if err := expectEOF(r); err != nil {
		return nil, err
	}
	return buf, nil
}

// expectEOF fails when r has bytes left (the data is longer than declared).
func expectEOF(r io.Reader) error {
	var one [1]byte
	m, err := io.ReadFull(r, one[:])
	if m > 0 {
		return errors.New("trailing data after the declared size")
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("read: %w", err)
}

// checkedProduct multiplies dims, failing when a dim is not positive or the product passes
// MaxBytes.
func checkedProduct(dims ...int) (int, error) {
	p := 1
	for _, d := range dims {
		if d <= 0 {
			return 0, fmt.Errorf("dimensions %v: each must be positive", dims)
		}
		if p > MaxBytes/d {
			return 0, fmt.Errorf("dimensions %v: more than %d bytes", dims, MaxBytes)
		}
		p *= d
	}
	return p, nil
}

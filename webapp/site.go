//go:build !js

package webapp

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// BuildSite writes the app as a static website into dir, for hosting without a server: the
// pre-rendered pages, go-app's scripts and service worker, and under web/ app.wasm, the weight
// file, style and icons. Pages score in the browser; there is no /api/score. Routes must have
// been called.
func BuildSite(dir string, o Options) error {
	if err := CheckWasm(o.WebDir); err != nil {
		return err
	}
	if err := o.defaults(); err != nil {
		return err
	}
	a, err := newAssets(o)
	if err != nil {
		return err
	}
	if err := app.GenerateStaticWebsite(dir, appHandler(a.version), RepresentationRoute); err != nil {
		return fmt.Errorf("webapp: static site: %w", err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	paths := []string{wasmPath}
	for p := range a.files {
		paths = append(paths, p)
	}
	for _, p := range paths {
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		err = writeBody(out, resp)
		if err != nil {
			return fmt.Errorf("webapp: static site: %s: %w", p, err)
		}
	}
	return nil
}

func writeBody(path string, resp *http.Response) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

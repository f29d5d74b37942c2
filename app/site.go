//go:build !js

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
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
	if err := goapp.GenerateStaticWebsite(dir, appHandler(a.version), RepresentationRoute); err != nil {
		return fmt.Errorf("app: static site: %w", err)
	}
	files := map[string][]byte{}
	for p, f := range a.files {
		files[p] = f.body
	}
	if files[wasmPath], err = os.ReadFile(a.wasm); err != nil {
		return err
	}
	for p, body := range files {
		out := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, body, 0o644); err != nil {
			return fmt.Errorf("app: static site: %w", err)
		}
	}
	return nil
}

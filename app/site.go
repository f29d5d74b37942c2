//go:build !js

package app

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// BuildSite writes the app as a static website into dir, for hosting without a server: the
// pre-rendered pages, go-app's scripts and service worker, and under web/ app.wasm, the
// worker's script and the weight files under their content-hashed names (which a host may
// serve as immutable), the model list, style and icons. Beside every file but the images it
// writes its gzip (.gz) and brotli (.br) forms, when smaller, for a host that serves
// precompressed files. Pages score in the browser; there is no /api/score. Routes must have
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
	if err := goapp.GenerateStaticWebsite(dir, appHandler(a), RepresentationRoute); err != nil {
		return fmt.Errorf("app: static site: %w", err)
	}
	for _, p := range slices.Sorted(maps.Keys(a.files)) {
		if _, hashed := a.names[p]; hashed {
			continue // the pages use its content-hashed name
		}
		f := a.files[p]
		out := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := writeSiteFile(out, f.body); err != nil {
			return err
		}
		if f.codings == nil {
			continue
		}
		brLevel := serveBrotliLevel
		if p == a.resolve(wasmPath) {
			brLevel = siteWasmBrotliLevel
		}
		c := compressedOf(f.body, siteGzipLevel, brLevel)
		for _, coding := range []string{codingGzip, codingBrotli} {
			b, err := c.coded(coding)
			if err != nil {
				return fmt.Errorf("app: static site: %s: %w", p, err)
			}
			if len(b) >= len(f.body) {
				continue
			}
			if err := writeSiteFile(out+codingSuffix[coding], b); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSiteFile writes b to the file out, making its folder.
func writeSiteFile(out string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("app: static site: %w", err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("app: static site: %w", err)
	}
	return nil
}

//go:build js

// Command wasm is oodgpu's browser app: `make wasm` builds it into web/app.wasm, which
// `oodgpu serve` and `oodgpu site` serve beside the weight file. The same app.wasm runs the
// pages' CPU worker: in a Web Worker, where there is no document, it serves the pages' scoring
// requests instead of the pages.
package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/app"
)

func main() {
	if app.InWorker() {
		app.ServeWorker()
	}
	app.Routes()
	goapp.RunWhenOnBrowser()
}

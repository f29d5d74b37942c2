//go:build js

// Command wasm is oodgpu's browser app: `make wasm` builds it into web/app.wasm, which
// `oodgpu serve` and `oodgpu site` serve beside the weight file.
package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/app"
)

func main() {
	app.Routes()
	goapp.RunWhenOnBrowser()
}

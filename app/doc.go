// Package app is oodgpu's browser app (go-app): a page that scores dropped or example images with
// a detector of the user's choice (the served model or any model of the zoo) on the browser's
// WebGPU adapter, or on the pure-Go CPU executor compiled to WebAssembly where there is none, and
// explains the numbers; and a page showing, on the colour Glow, that changing the representation
// (RGB to HSV) shifts the likelihood while the gradient features stay the same (the paper's
// Figure 3 and Proposition 1).
//
// The same components are compiled twice: into app.wasm (package wasm, `make wasm`), which runs
// them in the browser, and into the oodgpu binary, whose server (NewServer) pre-renders the
// pages, serves app.wasm, the weight files, the model list and the examples as static assets
// (compressed, app.wasm and the weight files under content-hashed names) and answers POST
// /api/score. In the browser the models run in a Web Worker, app.wasm a second time in its
// worker role (ServeWorker), so that scoring never holds up the page's thread.
package app

// Package app is oodgpu's browser app (go-app): a page that scores dropped images with the
// default detector on the browser's WebGPU adapter, or on the pure-Go CPU executor compiled to
// WebAssembly where there is none, and a page showing the representation dependence of
// likelihoods against the invariance of gradient features (the paper's Figure 3 and
// Proposition 1).
//
// The same components are compiled twice: into app.wasm (package wasm, `make wasm`), which runs
// them in the browser, and into the oodgpu binary, whose server (NewServer) pre-renders the
// pages, serves app.wasm and the weight file as static assets and answers POST /api/score.
package app

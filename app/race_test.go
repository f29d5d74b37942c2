//go:build race

package app

// Under the race detector brotli's best level on the 12 MB app.wasm takes several minutes (7 on
// 2 cores), most of the app package's test time; TestBuildSite checks the site's files and that
// each compressed form decodes to its body, which does not depend on the level, so under -race
// the site compresses app.wasm at serve's level. TestBuildSite logs the level it used.
func init() { siteWasmBrotliLevel = serveBrotliLevel }

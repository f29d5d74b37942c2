GO ?= go

.PHONY: build test bench ci fmt wasm serve site results

## build: the oodgpu binary in bin/
build:
	$(GO) build -o bin/oodgpu ./cmd/oodgpu

## wasm: the browser app, web/app.wasm (a build output, never committed)
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/app.wasm ./wasm

## serve: build the app and serve it with the scoring API on 127.0.0.1:8080
serve: wasm
	$(GO) run ./cmd/oodgpu serve --web web

## site: build the app as a static website in dist/
site: wasm
	$(GO) run ./cmd/oodgpu site --web web --out dist

## test: formatting, vet, and every test with the race detector (the README's test command)
test:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## bench: engine benchmarks: CPU executor beside gonum's Sgemm, WebGPU kernels on the adapter present
bench:
	$(GO) test -run '^$$' -bench . ./graph/... ./gpu/...

## results: every table and sample grid of docs/RESULTS.md, from the models in models/zoo (hours on a CPU)
results:
	bash scripts/results.sh

## ci: what CI runs on a clean clone
ci:
	bash .ci/run

fmt:
	gofmt -w $$(git ls-files '*.go')

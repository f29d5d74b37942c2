GO ?= go

.PHONY: build test beam beam-test bench wasm-bench gpubench-bundle ci fmt wasm serve site results cross dist

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

## test: formatting, vet, and every test (the README's test command); with the race detector
## when cgo works (CGO_ENABLED=1 and the C compiler of `go env CC` found), else without cgo, saying so
test:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	@set -e; cc=$$($(GO) env CC); cc=$${cc%% *}; race=-race; \
	if ! command -v "$$cc" >/dev/null 2>&1; then \
		echo "make test: no C compiler ($$cc) for cgo: testing without -race (CGO_ENABLED=0, so without the native WebGPU executor)"; \
		export CGO_ENABLED=0; race=; \
	elif [ "$$($(GO) env CGO_ENABLED)" != 1 ]; then \
		echo "make test: cgo is off (CGO_ENABLED=0): testing without -race (and without the native WebGPU executor)"; \
		export CGO_ENABLED=0; race=; \
	fi; \
	echo "$(GO) vet ./..."; $(GO) vet ./...; \
	echo "$(GO) test $$race -count=1 -timeout 20m ./..."; $(GO) test $$race -count=1 -timeout 20m ./...

## beam: the Apache Beam pipelines' binary (cmd/oodgpu-beam; the oodgpu binary does not link Beam) in bin/
beam:
	$(GO) build -o bin/oodgpu-beam ./cmd/oodgpu-beam

## beam-test: the tests of cmd/oodgpu-beam on Beam's Prism runner alone (docs/BEAM.md; `make test` runs them
## too); OODGPU_BEAM_IMAGES=N: N FashionMNIST and N MNIST images (default 50, 25 under -race)
beam-test:
	$(GO) vet ./cmd/oodgpu-beam && $(GO) test -count=1 -timeout 30m ./cmd/oodgpu-beam

## bench: the machine's fp32 peak (an FMA loop on every core), then engine benchmarks: CPU executor
## beside gonum's Sgemm, each CPU GFLOP/s line with its share of the peak; WebGPU kernels on the adapter present
bench:
	@bash -o pipefail -c "$(GO) test -run '^\$$' -bench . ./internal/peak ./graph/... ./gpu/... | awk -f scripts/peakshare.awk"

## wasm-bench: the CPU executor's benchmarks in WebAssembly under Node (the browser's CPU fallback),
## commit WASM_BENCH_BASE (default fcfb148, before issue 15's engine changes) against the working tree
wasm-bench:
	GO=$(GO) bash scripts/wasmbench.sh $(WASM_BENCH_BASE)

## gpubench-bundle: what scripts/gpubench.sh needs on an NVIDIA machine without Go, in bin/gpubench
## (and bin/gpubench.tar.gz): the oodgpu CLI and the gpu package's test binary (cgo), the script,
## its torch benchmarks, the Vulkan loader and the data; there: bin/gpubench/gpubench.sh run --python PY
gpubench-bundle:
	bash scripts/gpubench.sh bundle bin/gpubench

## results: every table and sample grid of docs/RESULTS.md, from the models in models/zoo (hours on a CPU)
results:
	bash scripts/results.sh

## cross: build for every platform (scripts/cross.sh) into bin/cross, then run the arm64 build under qemu and the Windows one under Wine
cross:
	bash scripts/cross.sh build bin/cross
	bash scripts/cross.sh test bin/cross

## dist: release archives for every platform in dist/ with SHA256SUMS (VERSION=v1.2.3 to name them)
dist:
	bash scripts/dist.sh $(VERSION)

## ci: what CI runs on a clean clone
ci:
	bash .ci/run

fmt:
	gofmt -w $$(git ls-files '*.go')

GO ?= go

.PHONY: build test bench ci fmt

## build: the oodgpu binary in bin/
build:
	$(GO) build -o bin/oodgpu ./cmd/oodgpu

## test: formatting, vet, and every test with the race detector (the README's test command)
test:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## bench: engine benchmarks: CPU executor beside gonum's Sgemm, WebGPU kernels on the adapter present
bench:
	$(GO) test -run '^$$' -bench . ./graph/... ./gpu/...

## ci: what CI runs on a clean clone
ci:
	bash .ci/run

fmt:
	gofmt -w $$(git ls-files '*.go')

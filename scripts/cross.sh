#!/usr/bin/env bash
# cross.sh: oodgpu for the platforms its users have, built on linux/amd64, and run where this
# machine can run them.
#
#   scripts/cross.sh build OUT   build every target into OUT (oodgpu-OS-ARCH[-nocgo][.exe], and
#                                the browser app, app.wasm)
#   scripts/cross.sh test OUT    run what OUT holds: the arm64 test binaries of graph, data, ood
#                                and models/weights and the arm64 CLI under qemu-aarch64-static,
#                                the Windows CLI under Wine, each CLI's scores of examples/
#                                against the linux/amd64 build's
#
# Targets without cgo (what `go install` gives without a C compiler: the CPU executor only):
# darwin/arm64, darwin/amd64, windows/amd64, windows/arm64, linux/arm64. With cgo, so with the
# native WebGPU executor linked against the binding's prebuilt wgpu-native: linux/amd64 (gcc),
# windows/amd64 (Debian's gcc-mingw-w64-x86-64), linux/arm64 (gcc-aarch64-linux-gnu). A missing
# cross compiler, qemu or Wine skips its part with the reason; with OODGPU_REQUIRE_CROSS=1 (CI)
# it fails instead. macOS binaries are built, never run here (no macOS under emulation).
set -euo pipefail
cd "$(dirname "$0")/.."

export GOFLAGS="${GOFLAGS:-} -trimpath"
ldflags="-s -w -X main.version=${OODGPU_VERSION:-devel} -X main.commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

skip() { # skip WHAT WHY
  if [ "${OODGPU_REQUIRE_CROSS:-}" = 1 ]; then
    echo "cross: $1 needs $2 (OODGPU_REQUIRE_CROSS=1)" >&2
    exit 1
  fi
  echo "cross: skipping $1: $2"
}

# build OUT GOOS GOARCH CGO [CC]: one oodgpu binary.
build() {
  local out=$1 os=$2 arch=$3 cgo=$4 cc=${5:-} name
  name="$out/oodgpu-$os-$arch"
  [ "$cgo" = 0 ] && name+="-nocgo"
  [ "$os" = windows ] && name+=".exe"
  echo "cross: building $(basename "$name") (GOOS=$os GOARCH=$arch CGO_ENABLED=$cgo${cc:+ CC=$cc})"
  GOOS=$os GOARCH=$arch CGO_ENABLED=$cgo CC=$cc go build -ldflags "$ldflags" -o "$name" ./cmd/oodgpu
}

cmd_build() {
  local out=$1
  mkdir -p "$out"
  for target in darwin/arm64 darwin/amd64 windows/amd64 windows/arm64 linux/arm64; do
    build "$out" "${target%/*}" "${target#*/}" 0
  done
  echo "cross: building app.wasm (GOOS=js GOARCH=wasm, the browser app)"
  GOOS=js GOARCH=wasm CGO_ENABLED=0 go build -ldflags=-s -o "$out/app.wasm" ./wasm
  if command -v gcc >/dev/null; then
    build "$out" linux amd64 1 gcc
  else
    skip "the linux/amd64 GPU build" "gcc"
    build "$out" linux amd64 0
  fi
  if command -v x86_64-w64-mingw32-gcc >/dev/null; then
    build "$out" windows amd64 1 x86_64-w64-mingw32-gcc
  else
    skip "the windows/amd64 GPU build" "x86_64-w64-mingw32-gcc (Debian gcc-mingw-w64-x86-64)"
  fi
  if command -v aarch64-linux-gnu-gcc >/dev/null; then
    build "$out" linux arm64 1 aarch64-linux-gnu-gcc
  else
    skip "the linux/arm64 GPU build" "aarch64-linux-gnu-gcc (Debian gcc-aarch64-linux-gnu)"
  fi
  ls -l "$out"
}

# scores BINARY [RUNNER...]: the CSV scores of the example images on the CPU executor.
scores() {
  local bin=$1
  shift
  "$@" "$bin" score --device cpu --format csv examples/fashionmnist-test-0.png examples/fashionmnist-test-1.png \
    examples/mnist-test-0.png examples/mnist-test-1.png examples/noise-generated.png 2>/dev/null
}

# same_scores WANT GOT TOL WHAT: the CSVs agree row by row: the same header, names, verdicts and
# reasons (the input, verdict and invalid columns), every other column's numbers within TOL
# relative (0: byte for byte).
same_scores() {
  local want=$1 got=$2 tol=$3 what=$4
  if [ "$tol" = 0 ]; then
    if ! diff -u "$want" "$got"; then
      echo "cross: $what scores differ from linux/amd64's" >&2
      return 1
    fi
  elif ! awk -F, -v tol="$tol" '
      NR == FNR { want[FNR] = $0; n = FNR; next }
      FNR == 1 {
        if ($0 != want[1]) { print "header: " $0 " vs " want[1]; bad = 1 }
        for (i = 1; i <= NF; i++) exact[i] = ($i == "input" || $i == "verdict" || $i == "invalid")
        next
      }
      {
        split(want[FNR], w, ",")
        for (i = 1; i <= NF; i++) {
          if (exact[i] || $i == "null" || w[i] == "null") {
            if ($i != w[i]) { print "row " FNR " column " i ": " $i " vs " w[i]; bad = 1 }
            continue
          }
          d = $i - w[i]; if (d < 0) d = -d
          s = w[i] < 0 ? -w[i] : w[i]
          if (d > tol * s + 1e-12) { print "row " FNR " column " i ": " $i " vs " w[i]; bad = 1 }
        }
      }
      END { exit bad || FNR != n }' "$want" "$got"; then
    echo "cross: $what scores differ from linux/amd64's by more than $tol relative" >&2
    return 1
  fi
  echo "cross: $what scores the examples as linux/amd64 does ($(($(wc -l <"$got") - 1)) rows, tolerance $tol)"
}

cmd_test() {
  local out=$1 tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  local host=$out/oodgpu-linux-amd64
  [ -x "$host" ] || host=$out/oodgpu-linux-amd64-nocgo
  scores "$host" >"$tmp/want.csv"

  if command -v qemu-aarch64-static >/dev/null; then
    echo "cross: linux/arm64 tests under qemu-aarch64-static"
    GOARCH=arm64 CGO_ENABLED=0 go test -count=1 -exec qemu-aarch64-static ./graph/... ./data/... ./ood/... ./models/weights/
    # The arm64 build sums in another order (NEON GEMM kernel, Go's fused multiply-adds on
    # arm64): float32 scores differ in their last digits (about 1e-6 relative, measured).
    scores "$out/oodgpu-linux-arm64-nocgo" qemu-aarch64-static >"$tmp/arm64.csv"
    same_scores "$tmp/want.csv" "$tmp/arm64.csv" 1e-3 "linux/arm64 (no cgo, under qemu)"
    if [ -x "$out/oodgpu-linux-arm64" ] && [ -d /usr/aarch64-linux-gnu ]; then
      scores "$out/oodgpu-linux-arm64" qemu-aarch64-static -L /usr/aarch64-linux-gnu >"$tmp/arm64-gpu.csv"
      same_scores "$tmp/want.csv" "$tmp/arm64-gpu.csv" 1e-3 "linux/arm64 (GPU build, CPU executor, under qemu)"
    fi
  else
    skip "the linux/arm64 runs" "qemu-aarch64-static (Debian qemu-user-static)"
  fi

  local wine
  wine=$(command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true)
  if [ -z "$wine" ]; then
    skip "the windows/amd64 runs" "Wine (Debian wine64)"
  elif ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    skip "the windows/amd64 runs" "x86_64-w64-mingw32-gcc for the bcryptprimitives stand-in Go needs under Wine 8"
  else
    # Go's Windows runtime needs bcryptprimitives.dll's ProcessPrng, which Wine 8 lacks: a
    # stand-in built here goes into this test's own Wine prefix (its system32, where Go's runtime
    # looks), never anywhere else.
    export WINEPREFIX=$tmp/wineprefix WINEDEBUG=-all
    "$wine" wineboot --init >/dev/null 2>&1
    x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
      scripts/wine/bcryptprimitives.c -ladvapi32
    for exe in oodgpu-windows-amd64-nocgo.exe oodgpu-windows-amd64.exe; do
      [ -f "$out/$exe" ] || continue
      cp "$out/$exe" "$tmp/$exe"
      echo "cross: $exe under Wine ($("$wine" --version 2>/dev/null || echo wine))"
      if ! scores "$tmp/$exe" "$wine" >"$tmp/windows.csv"; then
        "$wine" "$tmp/$exe" version >&2 || true
        echo "cross: $exe failed under Wine" >&2
        return 1
      fi
      same_scores "$tmp/want.csv" "$tmp/windows.csv" 0 "windows/amd64 ($exe, under Wine)"
    done
  fi
}

case "${1:-}" in
build) cmd_build "${2:?usage: cross.sh build OUT}" ;;
test) cmd_test "${2:?usage: cross.sh test OUT}" ;;
*)
  echo "usage: scripts/cross.sh build OUT | test OUT" >&2
  exit 2
  ;;
esac

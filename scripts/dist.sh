#!/usr/bin/env bash
# dist.sh [VERSION]: release archives of oodgpu for every platform in dist/, with SHA256SUMS.
# Builds with scripts/cross.sh, then packs one archive a platform (.zip for Windows, .tar.gz
# elsewhere) holding the binary, README.md, docs/PLATFORMS.md and the browser app (web/app.wasm,
# for `oodgpu serve`). A platform gets its GPU build
# (cgo, the native WebGPU executor) where this machine has its cross compiler, else the build
# without cgo (the CPU executor only); the archive's name says which (-cpu-only).
# VERSION defaults to `git describe --tags --always`. With OODGPU_CROSS_OUT set, the binaries
# cross.sh already built there are packed instead of building them again (CI does so).
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always 2>/dev/null || echo devel)}
out=dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
bins=${OODGPU_CROSS_OUT:-}
if [ -z "$bins" ]; then
  bins=$stage/bin
  OODGPU_VERSION=$version bash scripts/cross.sh build "$bins"
fi

rm -rf "$out"
mkdir -p "$out"
for target in linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64 windows/arm64; do
  os=${target%/*} arch=${target#*/} ext=""
  [ "$os" = windows ] && ext=.exe
  bin=$bins/oodgpu-$os-$arch$ext kind=""
  if [ ! -f "$bin" ]; then
    bin=$bins/oodgpu-$os-$arch-nocgo$ext kind=-cpu-only
  fi
  name=oodgpu-$version-$os-$arch$kind
  mkdir -p "$stage/$name"
  cp "$bin" "$stage/$name/oodgpu$ext"
  cp README.md docs/PLATFORMS.md "$stage/$name/"
  mkdir "$stage/$name/web"
  cp "$bins/app.wasm" "$stage/$name/web/"
  if [ "$os" = windows ]; then
    (cd "$stage" && zip -qr "$OLDPWD/$out/$name.zip" "$name")
  else
    tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
  fi
done
(cd "$out" && sha256sum -- *.tar.gz *.zip >SHA256SUMS)
cat "$out/SHA256SUMS"
echo "dist: $(ls "$out" | wc -l) files in $out/"

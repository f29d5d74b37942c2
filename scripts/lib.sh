# shellcheck shell=bash
# lib.sh: setup shared by the result scripts that train or score in a folder of their own. Source
# it from the repository's root:
#
#   . scripts/lib.sh
#   cli_in DIR    # DIR created if missing; sets dir (DIR, absolute) and bin (DIR/oodgpu, built
#                 # from ./cmd/oodgpu); makes OODGPU_DATA absolute and exports it, so that the
#                 # script may cd into DIR

cli_in() {
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  OODGPU_DATA=$(cd "$OODGPU_DATA" && pwd)
  export OODGPU_DATA
  bin=$dir/oodgpu
  go build -o "$bin" ./cmd/oodgpu
}

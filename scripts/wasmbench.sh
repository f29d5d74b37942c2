#!/usr/bin/env bash
# wasmbench.sh: the browser's CPU fallback (the pure-Go CPU executor compiled to WebAssembly)
# timed before and after a change.
#
#   scripts/wasmbench.sh [REV]
#
# Runs the CPU executor benchmarks that exist on both sides, BenchmarkMatmul and
# BenchmarkConv2DForwardBackward of graph/cpu and BenchmarkTrainStep of models/glow, under
# GOOS=js GOARCH=wasm with Go's Node runner ($(go env GOROOT)/lib/wasm/go_js_wasm_exec): first
# on the tree of commit REV (default fcfb148, the last commit before issue 15's engine changes),
# extracted with `git archive` into a temporary folder, then on the working tree. WebAssembly runs
# on one thread, so GOMAXPROCS plays no part. It prints a Markdown table: each benchmark's median
# ns/op over the runs on each side and the ratio after/before (below 1: faster now), then the same
# for the fastest run of each side, the steadier figure when other work shares the cores.
#
# Environment: WASMBENCH_COUNT runs of each benchmark (default 3), WASMBENCH_BENCHTIME go test's
# -benchtime (default 1x: one timed iteration a run; the median drops the first run, which pays
# for V8 compiling the code), WASMBENCH_KEEP a folder to keep go test's raw output in, GO the go
# command. With the defaults it took 6 to 9 minutes on 2 cores of an AMD EPYC shared with other work.
set -euo pipefail
cd "$(dirname "$0")/.."

rev=${1:-fcfb148}
count=${WASMBENCH_COUNT:-3}
benchtime=${WASMBENCH_BENCHTIME:-1x}
go=${GO:-go}
pattern='^(BenchmarkMatmul|BenchmarkConv2DForwardBackward|BenchmarkTrainStep)$'
pkgs=(./graph/cpu ./models/glow)

command -v node >/dev/null || { echo "wasmbench: Go's wasm runner needs node (Node.js) on PATH" >&2; exit 1; }
runner="$("$go" env GOROOT)/lib/wasm/go_js_wasm_exec"
[ -x "$runner" ] || { echo "wasmbench: no wasm runner at $runner" >&2; exit 1; }
commit=$(git rev-parse --verify --short "$rev^{commit}") ||
  { echo "wasmbench: $rev is not a commit" >&2; exit 1; }

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/before"
git archive "$commit" | tar -x -C "$tmp/before"

# bench DIR SIDE: the benchmarks of the tree in DIR, go test's output in $tmp/SIDE.txt.
bench() {
  echo "wasmbench: $2: go test -bench '$pattern' -benchtime $benchtime -count $count ${pkgs[*]} (GOOS=js GOARCH=wasm) in $1" >&2
  (cd "$1" && GOOS=js GOARCH=wasm "$go" test -exec "$runner" -run '^$' -bench "$pattern" \
    -benchtime "$benchtime" -count "$count" -p 1 -timeout 60m "${pkgs[@]}") >"$tmp/$2.txt" 2>&1 ||
    { cat "$tmp/$2.txt" >&2; echo "wasmbench: the $2 run failed" >&2; exit 1; }
}
bench "$tmp/before" before
bench . after
if [ -n "${WASMBENCH_KEEP:-}" ]; then
  mkdir -p "$WASMBENCH_KEEP"
  cp "$tmp/before.txt" "$tmp/after.txt" "$WASMBENCH_KEEP/"
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "js/wasm, $("$go" env GOVERSION), Node $(node --version), ${cpu:-unknown CPU}; -benchtime $benchtime, $count runs a side; load average before: $load"
echo
awk -v rev="$commit" '
  # Benchmark lines: name, iterations, ns/op value, "ns/op", ...; the -N GOMAXPROCS suffix dropped.
  { side = FILENAME == ARGV[1] ? 1 : 2 }
  /^Benchmark/ && $4 == "ns/op" {
    name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
    if (!(name in seen)) { seen[name] = 1; order[++n] = name }
    k = name SUBSEP side; vals[k] = vals[k] " " $3
  }
  # sorted s: the numbers of the space-separated list s in ascending order, in a[1..m]; returns m.
  function sorted(s, a,    m, i, j, t) {
    m = split(s, a, " ")
    for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return m
  }
  function median(s,    a, m) {
    m = sorted(s, a)
    if (m == 0) return ""
    return m % 2 ? a[(m+1)/2] + 0 : (a[m/2] + a[m/2+1]) / 2
  }
  function minimum(s,    a) { return sorted(s, a) ? a[1] + 0 : "" }
  function ns(v) { return v == "" ? "-" : sprintf("%.0f", v) }
  function ratio(a, b) { return (a == "" || b == "") ? "-" : sprintf("%.2f", a / b) }
  END {
    printf "| benchmark | ns/op before (%s) | ns/op after (working tree) | after/before | fastest before | fastest after | after/before |\n", rev
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      b = vals[order[i] SUBSEP 1]; a = vals[order[i] SUBSEP 2]
      mb = median(b); ma = median(a); fb = minimum(b); fa = minimum(a)
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", order[i], ns(mb), ns(ma), ratio(ma, mb), ns(fb), ns(fa), ratio(fa, fb)
    }
  }' "$tmp/before.txt" "$tmp/after.txt"

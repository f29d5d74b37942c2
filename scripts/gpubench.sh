#!/usr/bin/env bash
# gpubench.sh: oodgpu's WebGPU executor on an NVIDIA GPU, through Vulkan, against PyTorch with
# CUDA on the same machine, from prebuilt binaries (the GPU machine needs no Go toolchain).
#
#   scripts/gpubench.sh bundle [DIR]      here, with Go and a C compiler (`make gpubench-bundle`):
#                                         builds everything the run needs into DIR (default
#                                         bin/gpubench) and DIR.tar.gz
#   DIR/gpubench.sh run [OPTIONS]         on the GPU machine (Linux x86-64, glibc 2.35 or later,
#                                         NVIDIA driver with Vulkan, python3 with PyTorch 2 + CUDA):
#                                         writes one Markdown report to stdout and OUT/report.md
#
# The run measures, each oodgpu figure with its ratio to PyTorch's on the same machine:
#   1. the gpu package's kernel benchmarks (BenchmarkMatmul, BenchmarkConv2D, BenchmarkSumSquares,
#      from `go test -c ./gpu/`) against the same plans in torch fp32 (scripts/torchbench.py;
#      TF32 off);
#   2. `oodgpu perf --device gpu --train` on the embedded FashionMNIST Glow: per-sample (B = 1)
#      gradient features against PyTorch's per-image loop and torch.func vmap, and a training step
#      against PyTorch's (glow_parity.py, on CUDA through OODGPU_TORCH_DEVICE);
#   3. the same features at the paper's Glow size (3 levels, 32 steps, width 512, 3x32x32):
#      a freshly initialized model (data-dependent init and one training step at a negligible
#      learning rate; timings do not depend on training) on CIFAR-10 test images carried as PNG.
#
# The bundle holds: oodgpu (the CLI, cgo, wgpu-native linked in statically), gpu.test, this
# script, torchbench.py, lib/libvulkan.so.1 (the Vulkan loader, used only where the machine has
# none), data/fashion-mnist (FashionMNIST's test idx files), data/colour (the first
# GPUBENCH_IMAGES, default 1000, CIFAR-10 test images from $OODGPU_DATA, else ../shared/data;
# without them FashionMNIST images copied into RGB, and the report says so) and BUILD.txt.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/gpubench.sh bundle [DIR]
       DIR/gpubench.sh run [--bundle DIR] [--out DIR] [--python PY] [--torch-device DEV]
                           [--adapter A] [--images N] [--paper-images N] [--train-batch B]
                           [--train-steps S] [--benchtime T] [--paper-steps K] [--paper-width W]
                           [--quick]

run options (defaults in brackets):
  --bundle DIR        the bundle [the folder of this script if it holds oodgpu, else bin/gpubench]
  --out DIR           where the report and logs go [$OUT, else BUNDLE/out]
  --python PY         python3 with torch [$PYTHON, else python3]
  --torch-device DEV  torch device of the PyTorch rows: cuda, cuda:N or cpu [cuda]
  --adapter A         WebGPU adapter, index or name substring, among Vulkan ones [the first Vulkan
                      adapter that is a GPU; a software one (lavapipe) only when named]
  --images N          FashionMNIST images for the default Glow's features [500]
  --paper-images N    colour images for the paper-size Glow's features [200]
  --train-batch B     training batch [64]
  --train-steps S     timed training steps, after one warm-up step [20]
  --benchtime T       kernel benchmark time, as go test -benchtime: 2s, 10x [2s]
  --paper-steps K     flow steps per level of the paper-size Glow [32]
  --paper-width W     its coupling width [512]
  --quick             a check that every part runs (CPU and lavapipe): the smallest kernel sizes,
                      one iteration, 20 images, training batch 8 x 2 steps, the "paper" Glow
                      shrunk to 1 step of width 16; its figures measure nothing (options after
                      --quick override its sizes)

example (NVIDIA machine):  bin/gpubench/gpubench.sh run --python ~/venv/bin/python
example (check, here):     scripts/gpubench.sh run --quick --torch-device cpu --adapter llvmpipe --python /usr/bin/python3
EOF
}

die() {
  echo "gpubench: $*" >&2
  exit 1
}

# ld_cache: the dynamic linker's cache (ldconfig -p), or nothing.
ld_cache() {
  ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# bundle

cmd_bundle() {
  local dir=${1:-bin/gpubench} repo rev n data fm vk glibc
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$repo"
  command -v go >/dev/null || die "bundle: needs the Go toolchain"
  local cc
  cc=$(go env CC)
  cc=${cc%% *}
  command -v "$cc" >/dev/null || die "bundle: needs a C compiler ($cc) for cgo (wgpu-native)"
  n=${GPUBENCH_IMAGES:-1000}
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ "$rev" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then
    rev+="+changes"
  fi
  rm -rf "$dir" "$dir.tar.gz"
  mkdir -p "$dir/lib" "$dir/data"
  echo "gpubench: building $dir/oodgpu (cgo: the native WebGPU executor)"
  CGO_ENABLED=1 GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -trimpath \
    -ldflags "-s -w -X main.version=gpubench -X main.commit=$rev" -o "$dir/oodgpu" ./cmd/oodgpu
  echo "gpubench: building $dir/gpu.test (go test -c ./gpu/)"
  CGO_ENABLED=1 GOFLAGS="${GOFLAGS:-} -buildvcs=false" go test -c -trimpath -o "$dir/gpu.test" ./gpu/
  cp scripts/gpubench.sh scripts/torchbench.py "$dir/"
  chmod +x "$dir/gpubench.sh"

  # The Vulkan loader: wgpu-native opens libvulkan.so.1 at run time. CUDA-only images often lack it
  # (Debian/Ubuntu libvulkan1); the run uses this copy only where the machine has none.
  vk=$(ld_cache | awk '/libvulkan\.so\.1 .*x86-64/ && !found {print $NF; found = 1}')
  if [ -n "$vk" ]; then
    cp -L "$vk" "$dir/lib/libvulkan.so.1"
  else
    echo "gpubench: no Vulkan loader here to carry; the GPU machine needs its own libvulkan.so.1 (libvulkan1)"
  fi

  # FashionMNIST's test split (the default Glow's data), idx files checked by their sha256 on load.
  fm=${OODGPU_FASHIONMNIST_DIR:-/usr/share/datasets/fashion-mnist}
  mkdir -p "$dir/data/fashion-mnist"
  if [ -f "$fm/t10k-images-idx3-ubyte.gz" ] && [ -f "$fm/t10k-labels-idx1-ubyte.gz" ]; then
    cp "$fm/t10k-images-idx3-ubyte.gz" "$fm/t10k-labels-idx1-ubyte.gz" "$dir/data/fashion-mnist/"
  else
    echo "gpubench: no FashionMNIST in $fm: downloading it (oodgpu data fetch)"
    "$dir/oodgpu" data fetch fashionmnist --dir "$dir/data/fashion-mnist"
    rm -f "$dir"/data/fashion-mnist/train-*
  fi

  # Colour images for the paper-size Glow: CIFAR-10 test images, lossless PNG (dir: specs read them).
  data=${OODGPU_DATA:-$repo/../shared/data}
  if [ -f "$data/cifar10_test_jpegq75_10000.json" ]; then
    python3 scripts/rawpng.py "$data" cifar10_test_jpegq75_10000 "$n" "$dir/data/colour"
  else
    echo "gpubench: no CIFAR-10 in $data (set OODGPU_DATA): the paper-size Glow gets FashionMNIST images copied into RGB"
    python3 scripts/rawpng.py --idx-colour "$dir/data/fashion-mnist/t10k-images-idx3-ubyte.gz" "$n" "$dir/data/colour"
  fi

  glibc=$(objdump -T "$dir/oodgpu" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1 || true)
  {
    echo "oodgpu gpubench bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $rev"
    echo "$(go version); $(uname -sm); built against $(ldd --version 2>/dev/null | awk 'NR == 1')"
    echo "needs on the GPU machine: Linux x86-64 with ${glibc:-glibc (version unknown)} or later, the NVIDIA driver's Vulkan ICD, python3 with torch"
    echo "colour data: $(head -n 1 "$dir/data/colour/SOURCE.txt")"
    echo "run: ./gpubench.sh run --python PATH-TO-PYTHON-WITH-TORCH   (./gpubench.sh run --help)"
  } >"$dir/BUILD.txt"
  tar -czf "$dir.tar.gz" -C "$(dirname "$dir")" "$(basename "$dir")"
  du -sh "$dir" "$dir.tar.gz"
  echo "gpubench: bundle ready. On the NVIDIA machine:"
  echo "  tar -xzf $(basename "$dir").tar.gz && $(basename "$dir")/gpubench.sh run --python PATH-TO-PYTHON-WITH-TORCH"
}

# ---------------------------------------------------------------------------------------------
# run

# Options, set by cmd_run.
bundle="" out="" py="" tdev=cuda adapter="" images=500 paper_images=200 train_batch=64 train_steps=20
benchtime=2s paper_steps=32 paper_width=512 quick=0
report="" logs="" failed=0 notes=() torchinfo=""

log() { echo "gpubench: $*" >&2; }

# md LINE...: append lines to the report.
md() { printf '%s\n' "$@" >>"$report"; }

# fail SECTION WHY LOG: a section failed: say so in the report and go on with the next one.
fail() {
  failed=1
  md "" "**$1 failed**: $2 (log: \`$(basename "$3")\`; its last lines:)" "" '```'
  tail -n 15 "$3" >>"$report" 2>/dev/null || true
  md '```'
  log "$1 failed: $2 (see $3)"
}

# have_lib NAME: the dynamic linker finds NAME (the pipelines read all their input: under
# pipefail, a reader that stops early fails the writer with SIGPIPE).
have_lib() {
  if command -v ldconfig >/dev/null || [ -x /sbin/ldconfig ]; then
    [ "$(ld_cache | awk -v lib="$1" '$1 == lib {n++} END {print n + 0}')" -gt 0 ]
    return
  fi
  local d
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /lib; do
    [ -e "$d/$1" ] && return 0
  done
  return 1
}

# vulkan_rows: oodgpu devices' Vulkan adapters, one "INDEX<TAB>NAME<TAB>TYPE<TAB>DRIVER" line each.
vulkan_rows() {
  "$bundle/oodgpu" devices 2>/dev/null | awk -F '  +' -v OFS='\t' '$2 ~ /^[0-9]+$/ && $5 == "vulkan" {print $2, $3, $4, $6}'
}

# pick_adapter: the index of the Vulkan adapter --adapter names, or of the first that is a GPU.
pick_adapter() {
  local want=${adapter,,}
  vulkan_rows | awk -F '\t' -v want="$want" '
    !found && want == "" && $3 != "cpu" { print $1; found = 1 }
    !found && want != "" && ($1 == want || index(tolower($2), want) > 0) { print $1; found = 1 }'
}

# setup_vulkan: finds a Vulkan adapter for oodgpu, using the bundled loader where the machine has
# none and, where the NVIDIA driver is installed without its Vulkan ICD file (containers), one
# written here. Sets OODGPU_ADAPTER.
setup_vulkan() {
  if ! have_lib libvulkan.so.1; then
    if [ -f "$bundle/lib/libvulkan.so.1" ]; then
      export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      notes+=("Vulkan loader: the bundle's (Debian's libvulkan.so.1; the machine has none)")
    else
      notes+=("no Vulkan loader (libvulkan.so.1) on this machine or in the bundle")
    fi
  else
    notes+=("Vulkan loader: the machine's libvulkan.so.1")
  fi
  local idx
  idx=$(pick_adapter)
  if [ -z "$idx" ] && [ -z "$adapter" ] && have_lib libGLX_nvidia.so.0; then
    local icd=$out/nvidia_icd.json
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3"}}\n' >"$icd"
    export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
    idx=$(pick_adapter)
    if [ -n "$idx" ]; then
      notes+=("Vulkan ICD: none installed; written by gpubench.sh for the driver's libGLX_nvidia.so.0")
    else
      unset VK_ICD_FILENAMES VK_DRIVER_FILES
    fi
  fi
  if [ -z "$idx" ]; then
    local what="a GPU"
    if [ -n "$adapter" ]; then what="matching $adapter"; fi
    {
      echo "gpubench: no Vulkan adapter ($what) for oodgpu. It lists:"
      "$bundle/oodgpu" devices 2>&1 | sed 's/^/  /'
      echo "Vulkan ICD files:"
      find /usr/share/vulkan/icd.d /etc/vulkan/icd.d -name '*.json' 2>/dev/null | sed 's/^/  /'
      echo "An NVIDIA GPU needs the driver's Vulkan ICD (nvidia_icd.json and libGLX_nvidia.so.0);"
      echo "in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics (or be all)."
      echo "A software adapter (lavapipe) runs only when named: --adapter llvmpipe."
    } >&2
    exit 1
  fi
  export OODGPU_ADAPTER=$idx
}

# torch_info: PyTorch's version and where --torch-device runs it, in one line.
torch_info() {
  "$py" - "$tdev" <<'EOF'
import os, sys, torch
dev = sys.argv[1]
if dev.startswith("cuda"):
    print(f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}) "
          f"on {dev}, {torch.cuda.get_device_name(torch.device(dev))}")
else:
    print(f"PyTorch {torch.__version__} on the CPU, {os.cpu_count()} threads")
EOF
}

# section_machine: what ran where.
section_machine() {
  local adapter_line
  adapter_line=$(vulkan_rows | awk -F '\t' -v i="$OODGPU_ADAPTER" '$1 == i {print "#" $1 " " $2 " (" $3 ", vulkan) driver " $4}')
  md "## Machine" ""
  if command -v nvidia-smi >/dev/null; then
    local line
    while IFS= read -r line; do md "- $line"; done < <(nvidia-smi -L 2>&1)
    md "- NVIDIA driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | awk 'NR == 1')"
  else
    md "- no nvidia-smi on this machine"
  fi
  md "- CPU: $(lscpu 2>/dev/null | awk -F ':[[:space:]]*' '$1 == "Model name" && !n++ {print $2}'), $(nproc) threads; $(uname -srm); $(ldd --version 2>/dev/null | awk 'NR == 1')"
  md "- $torchinfo"
  md "- $(head -n 1 "$bundle/BUILD.txt" 2>/dev/null || echo 'oodgpu (no BUILD.txt in the bundle)'); WebGPU adapter $adapter_line"
  local n
  for n in "${notes[@]}"; do md "- $n"; done
  md "" '```' "$ oodgpu devices"
  "$bundle/oodgpu" devices >>"$report" 2>&1 || true
  md '```'
}

# section_kernels: the gpu package's benchmarks against the same plans in torch.
section_kernels() {
  local go_log=$logs/kernels-oodgpu.log torch_log=$logs/kernels-torch.jsonl names=() b sub
  md "" "## Kernels: the gpu package's benchmarks against PyTorch fp32" ""
  md "Whole plan runs on both sides (the operand made by a broadcast copy, the kernel, a sum, one number read back), so both count the same work; torch with TF32 off. \`gpu.test -test.bench ... -test.benchtime $benchtime\`, \`torchbench.py --benchtime $benchtime\`." ""
  : >"$go_log"
  for b in Matmul Conv2D SumSquares; do
    sub=""
    if [ "$quick" = 1 ]; then
      case $b in
        Matmul) sub='/^256$' ;;
        Conv2D) sub='/^1x1$/^forward$' ;;
        SumSquares) sub='/^4096x1024$' ;;
      esac
    fi
    log "kernels: $b on the WebGPU adapter"
    if ! (cd "$out" && OODGPU_REQUIRE_GPU=1 "$bundle/gpu.test" -test.run '^$' -test.bench "^Benchmark$b\$$sub" \
      -test.benchtime "$benchtime") >>"$go_log" 2>&1; then
      fail "Kernel benchmark $b (oodgpu)" "gpu.test exited with an error" "$go_log"
      return 1
    fi
  done
  mapfile -t names < <(awk '/^Benchmark/ { n = $1; sub(/^Benchmark/, "", n); sub(/-[0-9]+$/, "", n); print n }' "$go_log")
  [ ${#names[@]} -gt 0 ] || { fail "Kernel benchmarks" "no benchmark lines" "$go_log"; return 1; }
  log "kernels: the same in torch on $tdev"
  if ! "$py" "$bundle/torchbench.py" --device "$tdev" --benchtime "$benchtime" "${names[@]}" >"$torch_log" 2>"$logs/kernels-torch.err"; then
    cat "$logs/kernels-torch.err" >>"$torch_log"
    fail "Kernel benchmarks (PyTorch)" "torchbench.py exited with an error" "$torch_log"
    return 1
  fi
  "$py" - "$go_log" "$torch_log" >>"$report" <<'EOF'
import json, re, sys
ours = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0].startswith("Benchmark"):
        name = re.sub(r"-\d+$", "", f[0][len("Benchmark"):])
        for i in range(2, len(f)):
            if f[i] in ("GFLOP/s", "GB/s"):
                ours[name] = (float(f[i - 1]), f[i])
print("| benchmark | oodgpu | PyTorch | oodgpu / PyTorch |")
print("|---|---|---|---|")
for line in open(sys.argv[2]):
    t = json.loads(line)
    o, unit = ours[t["name"]]
    print(f"| {t['name']} ({unit}) | {o:.1f} | {t['value']:.1f} | {o / t['value']:.2f} |")
EOF
}

# section_default: oodgpu perf --train on the embedded FashionMNIST Glow.
section_default() {
  local log_file=$logs/perf-default.log tmp=$logs/perf-default.md
  md "" "## The default Glow (embedded, FashionMNIST; 3 levels, 8 steps, width 128, 1x28x28 padded to 32)" ""
  md "\`oodgpu perf --device gpu --data 'fashionmnist:test[:$images]' --train --batch $train_batch --steps $train_steps\`, PyTorch on $tdev:"
  log "perf: default Glow, $images images, training batch $train_batch x $train_steps"
  if ! OODGPU_FASHIONMNIST_DIR="$bundle/data/fashion-mnist" "$bundle/oodgpu" perf --device gpu \
    --data "fashionmnist:test[:$images]" --train --batch "$train_batch" --steps "$train_steps" >"$tmp" 2>"$log_file"; then
    cat "$tmp" >>"$log_file"
    fail "oodgpu perf (default Glow)" "exited with an error" "$log_file"
    return 1
  fi
  cat "$tmp" >>"$report"
}

# section_paper: features at the paper's Glow size, on a freshly initialized model.
section_paper() {
  local log_file=$logs/perf-paper.log tmp=$logs/perf-paper.md model=$out/glow-paper.safetensors colour
  colour=$(head -n 1 "$bundle/data/colour/SOURCE.txt")
  if [ "$paper_steps" = 32 ] && [ "$paper_width" = 512 ]; then
    md "" "## The paper's Glow size (3 levels, 32 steps, width 512, 3x32x32)" ""
  else
    md "" "## A shrunk stand-in for the paper's Glow (3 levels, $paper_steps steps, width $paper_width, 3x32x32): NOT the paper's size" ""
  fi
  md "Data: $colour" "" "The model is freshly initialized (data-dependent ActNorm init on 64 of these images, then one training step at learning rate 1e-9; timings do not depend on training):" ""
  md '```' "oodgpu train --device gpu --model glow --levels 3 --steps $paper_steps --hidden $paper_width --size 32 --data dir:COLOUR --init-batch 64 --train-steps 1 --batch 4 --lr 1e-9 --warmup 0 --out glow-paper.safetensors" \
    "oodgpu perf --device gpu --model glow-paper.safetensors --data 'dir:COLOUR[:$paper_images]'" '```'
  log "paper size: initializing a Glow of 3 levels, $paper_steps steps, width $paper_width"
  if ! "$bundle/oodgpu" train --device gpu --model glow --levels 3 --steps "$paper_steps" --hidden "$paper_width" \
    --size 32 --data "dir:$bundle/data/colour" --init-batch 64 --train-steps 1 --batch 4 --lr 1e-9 --warmup 0 \
    --log-every 0 --checkpoint-every 0 --out "$model" >"$log_file" 2>&1; then
    fail "Initializing the paper-size Glow" "oodgpu train exited with an error" "$log_file"
    return 1
  fi
  rm -f "$model.ckpt"
  log "paper size: features of $paper_images images"
  if ! "$bundle/oodgpu" perf --device gpu --model "$model" --data "dir:$bundle/data/colour[:$paper_images]" >"$tmp" 2>>"$log_file"; then
    cat "$tmp" >>"$log_file"
    fail "oodgpu perf (paper-size Glow)" "exited with an error" "$log_file"
    return 1
  fi
  cat "$tmp" >>"$report"
  rm -f "$model"
}

cmd_run() {
  while [ $# -gt 0 ]; do
    case $1 in
      --bundle) bundle=$2 ;;
      --out) out=$2 ;;
      --python) py=$2 ;;
      --torch-device) tdev=$2 ;;
      --adapter) adapter=$2 ;;
      --images) images=$2 ;;
      --paper-images) paper_images=$2 ;;
      --train-batch) train_batch=$2 ;;
      --train-steps) train_steps=$2 ;;
      --benchtime) benchtime=$2 ;;
      --paper-steps) paper_steps=$2 ;;
      --paper-width) paper_width=$2 ;;
      --quick)
        quick=1 images=20 paper_images=4 train_batch=8 train_steps=2 benchtime=1x paper_steps=1 paper_width=16
        shift
        continue
        ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
    [ $# -ge 2 ] || die "$1 needs a value"
    shift 2
  done
  local v here
  for v in images paper_images train_batch train_steps paper_steps paper_width; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} ${!v}: want a positive integer"
  done
  [ "$train_batch" -le "$images" ] || die "--train-batch $train_batch: at most --images ($images), the images it trains on"
  [[ $benchtime =~ ^[1-9][0-9]*x$|^[0-9]*\.?[0-9]+s$ ]] || die "--benchtime $benchtime: want seconds (2s, 0.5s) or iterations (10x)"
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if [ -z "$bundle" ]; then
    if [ -x "$here/oodgpu" ]; then bundle=$here; else bundle=$here/../bin/gpubench; fi
  fi
  if [ ! -x "$bundle/oodgpu" ] || [ ! -x "$bundle/gpu.test" ]; then
    die "no oodgpu and gpu.test in $bundle: build the bundle first (make gpubench-bundle)"
  fi
  bundle=$(cd "$bundle" && pwd)
  py=${py:-${PYTHON:-python3}}
  out=${out:-${OUT:-$bundle/out}}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  logs=$out/logs
  mkdir -p "$logs"
  report=$out/report.md
  : >"$report"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
  export OODGPU_PYTHON=$py OODGPU_TORCH_DEVICE=$tdev

  if ! "$bundle/oodgpu" version >/dev/null 2>"$logs/version.err"; then
    cat "$logs/version.err" >&2
    die "the bundled oodgpu does not start here (a GLIBC_2.xx 'not found' above means this Linux is older than the build machine's: $(sed -n 3p "$bundle/BUILD.txt" 2>/dev/null))"
  fi
  "$py" -c 'import torch' 2>/dev/null || die "$py cannot import torch (--python PATH)"
  setup_vulkan

  local name
  torchinfo=$(torch_info 2>"$logs/torch.err") || die "$py cannot run torch on $tdev: $(tail -n 1 "$logs/torch.err")"
  name=$(vulkan_rows | awk -F '\t' -v i="$OODGPU_ADAPTER" '$1 == i {print $2}')
  md "# oodgpu through Vulkan on $name against $torchinfo" ""
  md "scripts/gpubench.sh run, $(date -u +%Y-%m-%dT%H:%M:%SZ). Ratios are oodgpu's figure over PyTorch's (above 1: oodgpu faster)."
  if [ "$quick" = 1 ]; then
    md "" "**A --quick check run: tiny sizes and one iteration; its figures measure nothing.**"
  fi
  md ""
  section_machine
  section_kernels || true
  section_default || true
  section_paper || true
  cat "$report"
  log "report: $report (logs in $logs)"
  return "$failed"
}

case ${1:-} in
  bundle) shift; cmd_bundle "$@" ;;
  run) shift; cmd_run "$@" ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac

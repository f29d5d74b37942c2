#!/usr/bin/env bash
# waic.sh: the WAIC row of the paper's Table 6 (Choi et al. 2018): an ensemble of Glows trained on
# FashionMNIST with different seeds, the WAIC of held-out FashionMNIST test images 0 to 999
# against 1000 MNIST test images and 1000 Omniglot images (B = 1, dequantization seed 1, CPU
# executor), and its AUROC with a 95% bootstrap interval by `oodgpu auroc`.
#
#   OODGPU_DATA=path/to/shared/data scripts/waic.sh DIR [MEMBER.safetensors...]
#
# Given weight files, those are the members (the paper's are fully trained Glows: the five seed
# replicas of the default model that scripts/seeds.sh trains, as `scripts/results.sh table6`
# uses them). Without them, the members are trained into DIR for seeds 1 to WAIC_MEMBERS (5;
# kept: a member already there is not trained again), with WAIC_LEVELS levels (3), WAIC_STEPS
# flow steps per level (4) and width WAIC_HIDDEN (64), each WAIC_EPOCHS epochs (1) of batches of
# 64 at a learning rate of 1e-3 decayed along a cosine: a small ensemble, about 3 minutes a member
# on 2 CPU cores. Each trained member's test bits/dim (first 2000 test images) is in its training
# log, DIR/seedN.log. The scores are written to DIR.
set -euo pipefail
start=$PWD
cd "$(dirname "$0")/.."
: "${OODGPU_DATA:?set OODGPU_DATA to the directory of the shared data sets (Omniglot)}"
dir=${1:?usage: scripts/waic.sh DIR [MEMBER.safetensors...]}
shift
case $dir in /*) ;; *) dir=$start/$dir ;; esac
members=${WAIC_MEMBERS:-5} levels=${WAIC_LEVELS:-3} steps=${WAIC_STEPS:-4} hidden=${WAIC_HIDDEN:-64} epochs=${WAIC_EPOCHS:-1}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
cli_in "$dir"
models=()
for member in "$@"; do
  case $member in /*) ;; *) member=$start/$member ;; esac
  [ -f "$member" ] || { echo "waic.sh: no weight file $member" >&2; exit 1; }
  models+=("$member")
done
if [ ${#models[@]} -eq 0 ]; then
  for seed in $(seq 1 "$members"); do
    out=$dir/glow-l${levels}-k${steps}-w${hidden}-e${epochs}-seed$seed.safetensors
    if [ ! -f "$out" ]; then
      "$bin" train --model glow --data fashionmnist:train --levels "$levels" --steps "$steps" --hidden "$hidden" \
        --epochs "$epochs" --batch 64 --lr 1e-3 --warmup 100 --cosine --seed "$seed" --device cpu --log-every 200 \
        --test fashionmnist:test --test-n 2000 --out "$out" >"$dir/seed$seed.log" 2>&1
    fi
    grep -ho 'test[^,]*bits/dim[^,]*' "$dir/seed$seed.log" | tail -n 1 | sed "s|^|seed $seed: |" || true
    models+=("$out")
  done
fi
list=$(IFS=,; echo "${models[*]}")
cd "$dir"
waic() { "$bin" waic --device cpu --seed 1 --format csv --models "$list" "$1" >"$2.csv"; }
waic 'fashionmnist:test[:1000]' in
waic 'mnist:test[:1000]' mnist
waic 'omniglot[:1000]' omniglot
"$bin" auroc in.csv mnist.csv omniglot.csv

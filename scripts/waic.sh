#!/usr/bin/env bash
# waic.sh: the WAIC row of the paper's Table 6 (Choi et al. 2018): an ensemble of Glows trained on
# FashionMNIST with seeds 1 to K, the WAIC of held-out FashionMNIST test images 0 to 999 against
# 1000 MNIST test images and 1000 Omniglot images (B = 1, dequantization seed 1, CPU executor),
# and its AUROC with a 95% bootstrap interval by `oodgpu auroc`.
#
#   OODGPU_DATA=path/to/shared/data scripts/waic.sh DIR
#
# The members are trained into DIR (kept: a member already there is not trained again) with
# WAIC_MEMBERS (default 5) members of WAIC_LEVELS levels (3), WAIC_STEPS flow steps per level (4)
# and width WAIC_HIDDEN (64), each WAIC_EPOCHS epochs (1) of batches of 64 at a learning rate of
# 1e-3 decayed along a cosine; each member's test bits/dim (first 2000 test images) is in its
# training log, DIR/seedN.log. With the defaults: about 3 minutes a member on 2 CPU cores. The
# paper's members are full-size Glows: WAIC_STEPS=8 WAIC_HIDDEN=128 WAIC_EPOCHS=2 is the
# default model's size and first training run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OODGPU_DATA:?set OODGPU_DATA to the directory of the shared data sets (Omniglot)}"
dir=${1:?usage: scripts/waic.sh DIR}
members=${WAIC_MEMBERS:-5} levels=${WAIC_LEVELS:-3} steps=${WAIC_STEPS:-4} hidden=${WAIC_HIDDEN:-64} epochs=${WAIC_EPOCHS:-1}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
cli_in "$dir"
models=()
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
list=$(IFS=,; echo "${models[*]}")
cd "$dir"
waic() { "$bin" waic --device cpu --seed 1 --format csv --models "$list" "$1" >"$2.csv"; }
waic 'fashionmnist:test[:1000]' in
waic 'mnist:test[:1000]' mnist
waic 'omniglot[:1000]' omniglot
"$bin" auroc in.csv mnist.csv omniglot.csv

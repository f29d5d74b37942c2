#!/usr/bin/env bash
# seeds.sh: the spread of the default detector's headline AUROCs over training seeds. Replica K
# is the default Glow retrained by docs/MODELS.md's recipe with its training seed changed to K
# (replica 1 is the recipe itself), its detector fit as the embedded one is
# (`fit --complexity brotli` on FashionMNIST test images 5000 to 5999, B = 1 and 5, seed 1), and
# scored as scripts/shipped.sh scores the shipped detector: held-out FashionMNIST test images 0 to
# 999 against 1000 images of MNIST, Omniglot and inverted Omniglot (B = 1, seed 1, CPU executor),
# by `oodgpu auroc` with 95% bootstrap intervals. It prints each replica's AUROCs (the detector's
# score and the gradient score alone) and their mean and sample standard deviation per cell.
#
#   OODGPU_DATA=path/to/shared/data scripts/seeds.sh DIR [REPLICA...]   # replicas default: 1 to 5
#
# Each replica's files are kept in DIR (a replica whose weights are already there is not trained
# again): DIR/replica-K.safetensors (the trained weights), its fitted detector and its logs. A
# training run is about 30 minutes on 2 CPU cores with AVX-512 (5 epochs of 64 images at about
# 160 images/s); fitting and scoring about 4 more. To put the shipped model in as replica 1
# without retraining it, copy models/zoo/glow-fashionmnist.safetensors to
# DIR/replica-1.safetensors first.
set -euo pipefail
start=$PWD
cd "$(dirname "$0")/.."
: "${OODGPU_DATA:?set OODGPU_DATA to the directory of the shared data sets (Omniglot)}"
dir=${1:?usage: scripts/seeds.sh DIR [REPLICA...]}
shift
case $dir in /*) ;; *) dir=$start/$dir ;; esac
replicas=("$@")
[ ${#replicas[@]} -gt 0 ] || replicas=(1 2 3 4 5)
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
cli_in "$dir"
cd "$dir"
for k in "${replicas[@]}"; do
  weights=replica-$k.safetensors
  if [ ! -f "$weights" ]; then
    "$bin" train --model glow --data fashionmnist:train --epochs 5 --batch 64 --lr 1e-3 \
      --warmup 200 --cosine --clip 100 --seed "$k" --test fashionmnist:test --device cpu \
      --log-every 200 --out "$weights" >"replica-$k-train.log" 2>&1
    grep -ho 'test[^,]*bits/dim[^,]*' "replica-$k-train.log" | tail -n 1 | sed "s|^|replica $k: |" || true
  fi
  "$bin" fit --model "$weights" --data 'fashionmnist:test[5000:6000]' --batch 1,5 --seed 1 \
    --device cpu --complexity brotli --out "replica-$k-fit.safetensors" >"replica-$k-fit.log" 2>&1
  for spec in 'fashionmnist:test[:1000]' 'mnist:test[:1000]' 'omniglot[:1000]' 'omniglot:inverted[:1000]'; do
    name=${spec%%\[*}
    name=${name//:/-}
    "$bin" score --model "replica-$k-fit.safetensors" --device cpu --seed 1 --format csv "$spec" \
      >"replica-$k-$name.csv" 2>>"replica-$k-score.log"
  done
  for column in score gradient_score; do
    "$bin" auroc --column "$column" "replica-$k-fashionmnist-test.csv" "replica-$k-mnist-test.csv" \
      "replica-$k-omniglot.csv" "replica-$k-omniglot-inverted.csv" | tee "replica-$k-auroc-$column.txt"
    echo
  done
done
echo "mean and sample standard deviation over replicas ${replicas[*]} (AUROC, B = 1):"
for column in score gradient_score; do
  for k in "${replicas[@]}"; do
    awk -v k="$k" '$1 ~ /\.csv$/ && $3 ~ /^[0-9.]+$/ { set = $1; sub(/^replica-[0-9]+-/, "", set); sub(/\.csv$/, "", set); print set, $3 }' \
      "replica-$k-auroc-$column.txt"
  done | awk -v column="$column" '
    { n[$1]++; s[$1] += $2; q[$1] += $2 * $2; v[$1] = v[$1] " " $2 }
    END {
      for (set in n) {
        m = s[set] / n[set]
        var = n[set] > 1 ? (q[set] - n[set] * m * m) / (n[set] - 1) : 0
        sd = var > 0 ? sqrt(var) : 0
        printf "%-16s %-18s mean %.4f  sd %.4f  (%s )\n", column, set, m, sd, v[set]
      }
    }' | sort
done

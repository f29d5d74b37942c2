#!/usr/bin/env bash
# shipped.sh: AUROCs of the embedded default detector exactly as `oodgpu score` runs it (B = 1,
# seed 1, CPU executor): held-out FashionMNIST test images 0 to 999 (the detector was fit on 5000
# to 5999) against 1000 images of each grey OOD set and of the colour sets as score reads them
# (28x28 grey), by `oodgpu auroc` with 95% bootstrap intervals, for the detector's score and for
# each of its two parts.
#
#   OODGPU_DATA=path/to/shared/data scripts/shipped.sh   # about 4 minutes on 2 CPU cores
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OODGPU_DATA:?set OODGPU_DATA to the directory of the shared data sets (Omniglot, CIFAR-10, GTSRB)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
cli_in "$work"
cd "$work"
score() { "$bin" score --device cpu --seed 1 --format csv "$1" >"$2.csv"; }
score 'fashionmnist:test[:1000]' in
sets=()
for spec in 'mnist:test[:1000]' 'omniglot[:1000]' 'omniglot:inverted[:1000]' 'noise:uniform[:1000]' \
  'cifar10:test[:1000]' 'gtsrb:test[:1000]'; do
  name=${spec%%\[*}
  name=${name//:/-}
  score "$spec" "$name"
  sets+=("$name.csv")
done
for column in score gradient_score s_score; do
  "$bin" auroc --column "$column" in.csv "${sets[@]}"
  echo
done

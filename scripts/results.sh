#!/usr/bin/env bash
# results.sh: reproduces every AUROC table and sample grid of docs/RESULTS.md with the models in
# models/zoo. It runs one `oodgpu bench` per model (and per DDPM step t), writes their CSVs to
# docs/results-*.csv, merges them with `oodgpu table` into docs/tables/*.md (the paper's Table 1,
# 2, 3, 6 and 7 forms, each with its averages), and draws the sample grids into docs/figures.
# The parts beyond the benches write their reports to docs/results-*.txt: shipped (the embedded
# detector as `oodgpu score` runs it, scripts/shipped.sh), seeds (the default detector's spread
# over five training seeds, scripts/seeds.sh, trained into $WORK/seeds) and table6's WAIC row
# (scripts/waic.sh over those five replicas; table6 trains them too when they are missing).
#
#   OODGPU_DATA=path/to/shared/data scripts/results.sh   # everything (about seven hours on 2 CPU cores)
#   scripts/results.sh grey colour tables                 # only these parts (also: samples, table6, shipped, seeds)
#   DEVICE=gpu scripts/results.sh                         # the benches on a WebGPU adapter
#
# WORK (default: a folder under the system's temporary directory) keeps the trained seed
# replicas, so that a second run scores them without training them again.
#
# Seed 1 throughout. The colour data sets are read from $OODGPU_DATA; GTSRB passes through the
# JPEG q75 round trip by default (see the data package), CIFAR-10 is used as stored.
set -euo pipefail
cd "$(dirname "$0")/.."

device=${DEVICE:-cpu}
parts=" ${*:-grey colour table6 tables samples shipped seeds} "
keep=${WORK:-${TMPDIR:-/tmp}/oodgpu-results}
want() { [[ $parts == *" $1 "* ]]; }
zoo=models/zoo
mkdir -p docs/tables docs/figures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/oodgpu
go build -o "$bin" ./cmd/oodgpu

bench() { # bench CSV [flags...]
  local csv=$1
  shift
  echo "results: bench $* -> $csv" >&2
  "$bin" bench --device "$device" --seed 1 --csv "$csv" "$@" >/dev/null
}

# bench_ddpm NAME MODEL [flags...]: one run per diffusion step t of the paper's ablation, each on
# 500 fit images and 500 against 500, into docs/results-ddpm-tT-NAME.csv.
bench_ddpm() {
  local name=$1 model=$2
  shift 2
  for t in 1 8 64; do
    bench docs/results-ddpm-t$t-$name.csv --model "$model" --ddpm-t $t --fit-n 500 --n 500 "$@"
  done
}

grey_ood=omniglot,omniglot:inverted,noise:uniform

if want grey || want colour || want table6 || want shipped || want seeds; then
  : "${OODGPU_DATA:?set OODGPU_DATA to the directory of the shared data sets (Omniglot, CIFAR-10, GTSRB)}"
fi
if want grey; then
  # Grey models (FashionMNIST and MNIST against each other, Omniglot and noise).
  bench docs/results-fashionmnist.csv --figures docs/figures
  bench docs/results-mnist.csv --model $zoo/glow-mnist.safetensors --in mnist:test \
    --ood fashionmnist:test,$grey_ood --figures docs/figures/mnist
  bench docs/results-vae-fashionmnist.csv --model $zoo/vae-fashionmnist.safetensors
  bench_ddpm fashionmnist $zoo/ddpm-fashionmnist.safetensors
fi
if want colour; then
  # Colour models: trained on CIFAR-10 or GTSRB, tested on the other.
  for kind in glow vae ddpm; do
    for pair in cifar10:gtsrb gtsrb:cifar10; do
      in=${pair%%:*} ood=${pair##*:}
      if [ $kind = ddpm ]; then
        bench_ddpm $in $zoo/ddpm-$in.safetensors --in $in:test --ood $ood:test
      else
        bench docs/results-$kind-$in.csv --model $zoo/$kind-$in.safetensors --in $in:test --ood $ood:test
      fi
    done
  done
fi

if want table6; then
  # The paper's Table 6 (FashionMNIST; against MNIST and Omniglot): the one-class SVM on the
  # default Glow's features, PixelCNN++ with both detectors (500 fit images and 500 against 500:
  # its features run at about 12 images/s on 2 cores); its WAIC row comes after the seeds.
  bench docs/results-fashionmnist-ocsvm.csv --detector ocsvm
  pixelcnn=(--model "$zoo/pixelcnn-fashionmnist.safetensors" --batch 1 --fit-n 500 --n 500 --ood "mnist:test,omniglot")
  bench docs/results-pixelcnn-fashionmnist.csv "${pixelcnn[@]}"
  bench docs/results-pixelcnn-fashionmnist-ocsvm.csv "${pixelcnn[@]}" --detector ocsvm
fi
if want shipped; then
  echo "results: the shipped detector -> docs/results-shipped.txt" >&2
  scripts/shipped.sh >docs/results-shipped.txt
fi
if want seeds || want table6; then
  echo "results: five training seeds -> docs/results-seeds.txt" >&2
  scripts/seeds.sh "$keep/seeds" 1 2 3 4 5 >docs/results-seeds.txt
fi
if want table6; then
  # WAIC (Choi et al. 2018) over the five seed replicas: fully trained Glows, as the paper's were.
  echo "results: WAIC over the five replicas -> docs/results-waic.txt" >&2
  scripts/waic.sh "$keep/waic" "$keep"/seeds/replica-{1,2,3,4,5}.safetensors >docs/results-waic.txt
fi

table() { # table MD CSV...
  local md=$1
  shift
  echo "results: table $* -> $md" >&2
  "$bin" table --md "$md" "$@"
}

if want tables; then
  table docs/tables/grey-glow.md docs/results-fashionmnist.csv docs/results-mnist.csv
  table docs/tables/grey-vae-ddpm.md docs/results-vae-fashionmnist.csv \
    docs/results-ddpm-t{1,8,64}-fashionmnist.csv
  table docs/tables/table1-glow.md docs/results-glow-{cifar10,gtsrb}.csv
  table docs/tables/table2-ddpm.md docs/results-ddpm-t1-{cifar10,gtsrb}.csv
  table docs/tables/table3-ddpm-t.md docs/results-ddpm-t{1,8,64}-cifar10.csv docs/results-ddpm-t{1,8,64}-gtsrb.csv
  table docs/tables/table7-vae.md docs/results-vae-{cifar10,gtsrb}.csv
  table docs/tables/table6.md docs/results-fashionmnist.csv docs/results-fashionmnist-ocsvm.csv \
    docs/results-pixelcnn-fashionmnist.csv docs/results-pixelcnn-fashionmnist-ocsvm.csv
  # The paper's Tables 1, 2 and 7 as transcribed into docs/paper: whole (their averages over all 20
  # pairs), and only the two pairs run here (CIFAR-10 against GTSRB and back).
  for t in table1-glow table2-diffusion table7-vae; do
    table docs/tables/paper-$t.md docs/paper/$t.csv
    grep -E '^(train,|paper: (CIFAR-10,GTSRB|GTSRB,CIFAR-10),)' docs/paper/$t.csv >"$work/$t-pairs.csv"
    table docs/tables/paper-$t-pairs.md "$work/$t-pairs.csv"
  done
fi

if want samples; then
  # Sample grids (the paper's Figures 18 to 20): 64 per model, seed 1, Glow at temperature 0.7
  # (each DDPM grid takes about 15 minutes of 1000-step ancestral sampling on 2 CPU cores, the
  # PixelCNN++ one about 9 minutes: a forward pass of all 64 per pixel).
  for m in glow-fashionmnist glow-mnist vae-fashionmnist ddpm-fashionmnist pixelcnn-fashionmnist \
    glow-cifar10 glow-gtsrb vae-cifar10 vae-gtsrb ddpm-cifar10 ddpm-gtsrb; do
    echo "results: samples of $m" >&2
    "$bin" sample --device "$device" --model $zoo/$m.safetensors --n 64 --out docs/figures/samples-$m.png
  done
fi

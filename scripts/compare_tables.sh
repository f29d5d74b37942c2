#!/usr/bin/env bash
# compare_tables.sh WANT GOT: every AUROC row of the table in GOT ("| method | B | test set |
# value |", the value optionally followed by its interval, "0.896 [0.882, 0.909]") must appear in
# WANT with a value within 0.002. Used by CI to check that docs/RESULTS.md
# is reproduced by its command.
set -euo pipefail
want=$1 got=$2
rows=0
while IFS='|' read -r _ method b test value _; do
  method=$(echo "$method" | xargs) b=$(echo "$b" | xargs) test=$(echo "$test" | xargs) value=$(echo "$value" | awk '{print $1}')
  case "$b" in ''|B|---) continue ;; esac
  line=$(grep -F "| $method | $b | $test |" "$want" | head -n 1 || true)
  if [ -z "$line" ]; then
    echo "compare_tables: $want has no row for $method, B=$b, $test" >&2
    exit 1
  fi
  expected=$(echo "$line" | awk -F'|' '{split($5, v, " "); print v[1]}')
  if ! awk -v a="$value" -v b="$expected" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.002) }'; then
    echo "compare_tables: $method, B=$b, $test: got $value, $want says $expected" >&2
    exit 1
  fi
  rows=$((rows + 1))
done < <(grep -E '^\| .* \| [0-9]+ \| .* \| [0-9.]+( \[[0-9.]+, [0-9.]+\])? \|$' "$got")
if [ "$rows" -eq 0 ]; then
  echo "compare_tables: no table rows in $got" >&2
  exit 1
fi
echo "compare_tables: $rows AUROC values of $got match $want"

#!/usr/bin/env bash
# tests/cli_figures.sh -- the figure pipeline end to end: a tiny matrix (with
# series) and a tiny heapbench-micro JSON into a fresh folder, then
# `heapbench report` and `heapbench plot`; every figure the scripts promise
# must exist as a non-empty PDF and PNG, and the CSVs the scripts read must
# have rows.  Usage: cli_figures.sh HEAPBENCH HEAPBENCH_MICRO
set -euo pipefail
hb=$1
micro=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$hb" matrix -a pool,malloc -c rc,mark-sweep -w small-objects,server --scale 0.003 \
      --reps 2 --series --out "$dir/r" 2>/dev/null
"$micro" --benchmark_filter='^alloc_(pair/(pool|malloc)/(16|512)|churn/(pool|malloc))$' \
         --benchmark_min_time=0.01 --benchmark_out="$dir/r/micro.json" \
         --benchmark_out_format=json >/dev/null 2>&1
"$hb" report "$dir/r" >/dev/null
"$hb" plot "$dir/r" >/dev/null 2>&1 || { "$hb" plot "$dir/r"; exit 1; }

fail=0
for f in throughput throughput_ratio frag footprint_server micro_pair micro_churn \
         pauses_small-objects pauses_server mmu_small-objects mmu_server; do
  for ext in pdf png; do
    if [[ ! -s "$dir/r/figures/$f.$ext" ]]; then
      echo "missing or empty: figures/$f.$ext"
      fail=1
    fi
  done
done
for csv in summary.csv mmu.csv pauses.csv micro.csv; do
  rows=$(($(wc -l < "$dir/r/$csv") - 1))
  if (( rows < 1 )); then
    echo "$csv has no rows"
    fail=1
  fi
done
# 2 allocators x 2 collectors x 2 workloads x 2 repetitions, all ok.
ok=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i; next }
              $c == "ok" { n++ } END { print n + 0 }' "$dir/r/rows.csv")
if [[ $ok != 16 ]]; then
  echo "rows.csv has $ok ok rows, expected 16"
  fail=1
fi
[[ $fail == 0 ]] && echo "figures: every figure and CSV present"
exit $fail

#!/usr/bin/env bash
# What does timing pauses cost?  The same run with the collector's pause
# timing as shipped, and with it switched off, interleaved, side by side in one
# run: the ratio of median ops/s.  For rc and rc-cycle, "off" is
# --rc-pause-min 4294967295 (no cascade ever reads the clock); collections are
# always timed (one pause per thousands of ops), so for mark-sweep the figure is
# the per-collection timing only and is shown for reference.  Target: < 3%.
# Usage: scripts/timing_cost.sh [SCALE] [REPS] [ALLOCATOR]   (defaults 0.2, 7, pool)
set -euo pipefail
cd "$(dirname "$0")/.."
hb=${HB:-build/release/heapbench}
[[ -x "$hb" ]] || { echo "timing_cost.sh: build first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
scale=${1:-0.2}
reps=${2:-7}
alloc=${3:-pool}

ops_per_s() { # collector workload extra-args... -> one ops/s figure
  "$hb" run -a "$alloc" -c "$1" -w "$2" --scale "$scale" --format csv --no-progress "${@:3}" |
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ops_per_s") c = i; next } { print $c }'
}
median() { sort -g | awk '{ v[n++] = $1 } END { print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }

printf '%-10s %-14s %12s %12s %8s %8s\n' collector workload "timed ops/s" "untimed" cost pauses
for c in rc rc-cycle; do
  for w in small-objects gcbench server; do
    on=() off=()
    for ((i = 0; i < reps; i++)); do
      on+=("$(ops_per_s "$c" "$w")")
      off+=("$(ops_per_s "$c" "$w" --rc-pause-min 4294967295)")
    done
    a=$(printf '%s\n' "${on[@]}" | median)
    b=$(printf '%s\n' "${off[@]}" | median)
    p=$("$hb" run -a "$alloc" -c "$c" -w "$w" --scale "$scale" --format csv --no-progress |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "pauses") c = i; next } { print $c }')
    awk -v c="$c" -v w="$w" -v a="$a" -v b="$b" -v p="$p" \
      'BEGIN { printf "%-10s %-14s %12.4g %12.4g %7.2f%% %8d\n", c, w, a, b, 100 * (b / a - 1), p }'
  done
done

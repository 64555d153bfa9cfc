#!/usr/bin/env bash
# Does doubling --scale at most double the time?  For every workload, with
# mark-sweep and rc-cycle over pool: the median replay time (wall_s, generation
# excluded) at scale S and 2S, over R repetitions each, side by side in one run,
# and their ratio.  The target is a ratio of at most 2.1.
# Usage: scripts/scaling.sh [S] [R]     (defaults 0.25 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
hb=${HB:-build/release/heapbench}
[[ -x "$hb" ]] || { echo "scaling.sh: build first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
s=${1:-0.25}
reps=${2:-5}
s2=$(awk -v s="$s" 'BEGIN { print 2 * s }')

median_wall() { # workload collector scale -> median wall_s
  "$hb" run -a pool -c "$2" -w "$1" --scale "$3" --reps "$reps" --format csv --no-progress |
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_s") c = i; next } { print $c }' |
    sort -g | awk '{ v[n++] = $1 } END { print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}

printf '%-14s %-11s %10s %10s %7s  %s\n' workload collector "wall@$s" "wall@$s2" ratio "target <= 2.1"
worst=0
for w in small-objects cycles large-arrays gcbench server; do
  for c in mark-sweep rc-cycle; do
    a=$(median_wall "$w" "$c" "$s")
    b=$(median_wall "$w" "$c" "$s2")
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
    ok=$(awk -v r="$r" 'BEGIN { print (r <= 2.1) ? "met" : "MISSED" }')
    printf '%-14s %-11s %10.4f %10.4f %7s  %s\n' "$w" "$c" "$a" "$b" "$r" "$ok"
    [[ $ok == met ]] || worst=1
  done
done
exit $worst

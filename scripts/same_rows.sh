#!/usr/bin/env bash
# Checks that two heapbench binaries write the same rows for a fixed seed in
# every column but those measured from the clock or the OS: every workload
# on a few allocator x collector pairs (allocator workloads on a few
# allocators, one and two threads).  For a refactoring: build the commit
# before it and the one after, and compare.
#
# Usage: scripts/same_rows.sh BEFORE AFTER [--seed N] [--scale X] [--keep DIR]
#   BEFORE, AFTER  the two heapbench binaries
#   --seed N       the generators' seed (default 7)
#   --scale X      the amount of work per row (default 0.02)
#   --keep DIR     leaves the two CSV files there (default: a temp dir, removed)
# Prints one line per row compared and a summary; exit 0 when every row is
# the same, 1 when some differ (the columns and values are printed), 2 bad
# usage.
#
# Left out of the comparison, as their values change from run to run of one
# binary (scripts/same_rows.sh B B shows it):
#   - times and what is derived from them (wall_s ... major_gc_s, cpu_s, the pause
#     quantiles, the MMU windows, and `pauses`, which counts cascades over a
#     time threshold), and what is read from the OS (resident set sizes,
#     minor faults, involuntary context switches, the footprints and fragmentation ratios made from them);
#   - alloc_stat_peak_bytes and alloc_stat_sampled_peak_bytes where
#     alloc_stat_exact is 0: read from a library's statistics when sampled;
#   - on two or more threads, peak_live_bytes: it depends on the interleaving;
#   - with the boehm collector (conservative, marking on several threads),
#     what its collections decide: collections, leaks, finalizers run, and
#     its heap's statistic.
set -euo pipefail

usage() { echo "usage: scripts/same_rows.sh BEFORE AFTER [--seed N] [--scale X] [--keep DIR]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
before=$1 after=$2
shift 2
seed=7 scale=0.02 keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seed) seed=${2:?}; shift 2 ;;
    --scale) scale=${2:?}; shift 2 ;;
    --keep) keep=${2:?}; shift 2 ;;
    *) echo "scripts/same_rows.sh: unknown option '$1', expected --seed, --scale or --keep" >&2; exit 2 ;;
  esac
done
for b in "$before" "$after"; do
  [[ -x "$b" ]] || { echo "scripts/same_rows.sh: '$b' is not an executable heapbench" >&2; exit 2; }
done
if [[ -n "$keep" ]]; then
  mkdir -p "$keep"
  dir=$keep
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi

pairs=(pool/rc malloc/rc-cycle bump/mark-sweep pool/incremental malloc/gen-copy
       mimalloc/mark-sweep jemalloc/rc-cycle boehm/boehm)
coll_works=(small-objects cycles large-arrays gcbench server)
heap_works=(larson xmalloc cache-scratch)
heap_allocs=(pool malloc mimalloc)

run_all() { # BIN OUT
  local bin=$1 out=$2 first=1 args
  : > "$out"
  for w in "${coll_works[@]}"; do
    for p in "${pairs[@]}"; do
      args=(-a "${p%/*}" -c "${p#*/}" -w "$w")
      "$bin" run "${args[@]}" --seed "$seed" --scale "$scale" --format csv --no-progress \
        2>/dev/null | { if ((first)); then cat; else tail -n +2; fi; } >> "$out" || true
      first=0
    done
  done
  for w in "${heap_works[@]}"; do
    for a in "${heap_allocs[@]}"; do
      for t in 1 2; do
        "$bin" run -a "$a" -w "$w" --threads "$t" --seed "$seed" --scale "$scale" --format csv \
          --no-progress 2>/dev/null | tail -n +2 >> "$out" || true
      done
    done
  done
}

run_all "$before" "$dir/before.csv"
run_all "$after" "$dir/after.csv"

python3 - "$dir/before.csv" "$dir/after.csv" <<'EOF'
import csv
import re
import sys

MEASURED = re.compile(r"^(wall_s|mutator_s|gc_s|ops_per_s|minor_gc_s|major_gc_s|cpu_s|involuntary_switches|pauses|pause_.*|"
                      r"mmu_.*|peak_rss_bytes|baseline_rss_bytes|minor_faults|"
                      r"peak_footprint_bytes|frag_.*)$")
with open(sys.argv[1]) as f:
    before = list(csv.DictReader(f))
with open(sys.argv[2]) as f:
    after = list(csv.DictReader(f))
if not before or len(before) != len(after):
    print(f"rows: {len(before)} before, {len(after)} after: expected the same number (> 0)")
    sys.exit(1)
cols = [c for c in before[0] if not MEASURED.match(c)]
missing = [c for c in cols if c not in after[0]]
if missing:
    print(f"columns {missing} are gone after")
    sys.exit(1)
BOEHM = {"collections", "full_collections", "major_collections", "minor_collections",
         "leaked_objects", "leaked_bytes", "finalizers_run", "alloc_stat_peak_bytes",
         "alloc_stat_sampled_peak_bytes"}


def varies(row):
    """The columns of this row that vary from run to run of one binary."""
    out = set()
    if row["alloc_stat_exact"] != "1":
        out |= {"alloc_stat_peak_bytes", "alloc_stat_sampled_peak_bytes"}
    if int(row["threads"] or 1) > 1:
        out.add("peak_live_bytes")
    if row["collector"] == "boehm":
        out |= BOEHM
    return out


bad = 0
for b, a in zip(before, after):
    name = f"{b['allocator']}/{b['collector']}/{b['workload']} threads {b['threads']}"
    skip = varies(b)
    diff = [(c, b[c], a[c]) for c in cols if c not in skip and b[c] != a[c]]
    if diff:
        bad += 1
        print(f"DIFFERENT {name}: " + "; ".join(f"{c} {x} -> {y}" for c, x, y in diff))
    else:
        print(f"same      {name}: status {b['status']}, {b['ops']} ops, {b['objects']} objects"
              f"{', left out: ' + ' '.join(sorted(skip)) if skip else ''}")
print(f"{len(before) - bad} of {len(before)} rows the same in {len(cols)} columns "
      f"(left out, measured: {', '.join(c for c in before[0] if MEASURED.match(c))})")
sys.exit(1 if bad else 0)
EOF

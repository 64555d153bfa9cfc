#!/usr/bin/env bash
# A reduced time-space sweep: every collector (on pool; boehm on its own
# heap) for two workloads, each cell at three multiples of its minimum heap
# (matrix --heap-factors finds the minimums first, into OUT/minheap.csv),
# every tracing collector collecting when that heap is full (--trigger full,
# the minimums found under it too: results/README.md),
# then the report (with the lower-bound overheads) and the figures
# (figures/timespace_{time,gc,p99}_WORK.*, figures/lbo_WORK.*).  40 s on 2
# cores at load 1.2-1.4 with 6 repetitions (measured: time flock of the lock
# and the script, release build).  Rerunning resumes (minheap.csv,
# rows.csv).
#
# Usage: scripts/timespace.sh [OUT]   (default OUT: results/timespace)
# Environment: HB_BIN (default build/release/heapbench, built if missing),
# HB_TS_SCALE (default 0.02), HB_TS_REPS (default 6: the interval of the median covers 96.9%; 3 covered 75%),
# HB_TS_FACTORS (default 1.5,2,4), HB_TS_WORKLOADS (default gcbench,small-objects).
set -euo pipefail
cd "$(dirname "$0")/.."
hb=${HB_BIN:-build/release/heapbench}
if [[ ! -x $hb ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"
fi
out=${1:-results/timespace}

set +e
# No -c: every registered collector that pairs with pool or boehm (gc_pairs).
"$hb" matrix -a pool,boehm -w "${HB_TS_WORKLOADS:-gcbench,small-objects}" \
     --scale "${HB_TS_SCALE:-0.02}" --reps "${HB_TS_REPS:-6}" --warmup 0 \
     --heap-factors "${HB_TS_FACTORS:-1.5,2,4}" --trigger full --out "$out"
status=$?
set -e
# 1: some cell did not end ok (its rows say why); the report shows it.
[[ $status -eq 0 || $status -eq 1 ]] || exit "$status"
"$hb" report "$out" | tee "$out/report.txt"
"$hb" plot "$out"
echo "heapbench: the time-space sweep is in $out (minheap.csv, timespace.csv, report.txt, figures/)"

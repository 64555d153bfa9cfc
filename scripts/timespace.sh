#!/usr/bin/env bash
# A reduced time-space sweep: the minimum heap of every collector (on pool,
# boehm on its own heap) for two workloads, then each cell at three heap
# factors, the report (with the lower-bound overheads) and the figures
# (figures/timespace_*_WORK.*, figures/lbo_WORK.*).  About a minute on a
# 2-core machine.  Rerunning resumes (minheap.csv, rows.csv).
#
# Usage: scripts/timespace.sh [OUT]   (default OUT: results/timespace)
# Environment: HB_BIN (default build/release/heapbench, built if missing),
# HB_TS_SCALE (default 0.02), HB_TS_REPS (default 3),
# HB_TS_FACTORS (default 1.25,2,4), HB_TS_WORKLOADS (default gcbench,small-objects).
set -euo pipefail
cd "$(dirname "$0")/.."
hb=${HB_BIN:-build/release/heapbench}
if [[ ! -x $hb ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"
fi
out=${1:-results/timespace}
colls=$("$hb" list | sed -n '/^collectors/,/^workloads/p' | awk 'NR > 1 && /^  / {print $1}' | paste -sd, -)

set +e
"$hb" matrix -a pool,boehm -c "$colls" -w "${HB_TS_WORKLOADS:-gcbench,small-objects}" \
     --scale "${HB_TS_SCALE:-0.02}" --reps "${HB_TS_REPS:-3}" --warmup 0 \
     --heap-factors "${HB_TS_FACTORS:-1.25,2,4}" --out "$out"
status=$?
set -e
[[ $status -eq 0 || $status -eq 1 ]] || exit "$status"
"$hb" report "$out" | tee "$out/report.txt"
# throughput.gp needs the report's baseline allocator (malloc), which this
# sweep does not run: its failure does not stop the time-space figures.
"$hb" plot "$out" || echo "heapbench: some figure failed (see above); timespace_* and lbo_* are in $out/figures"
echo "heapbench: the time-space sweep is in $out (minheap.csv, timespace.csv, figures/)"

#!/usr/bin/env bash
# The main job: installs what is missing, builds release, runs the default suite
# (every available allocator x collector x workload, 6 repetitions each -- the
# fewest whose [min, max] covers the median with 95% -- every repetition in a
# fresh process, repetitions of different cells interleaved, none thrown
# away), the allocator and collector microbenchmarks, then writes the report
# and every figure into the results folder.  The matrix's time goes into
# meta.json ("elapsed"), the microbenchmarks' and the whole job's into times.csv, for the README
# (scripts/update_readme.sh OUT).
#
# Usage: scripts/main.sh [OUT]       (default OUT: results/<date>-<commit>/)
# Environment: HB_SCALE (default 0.05, sized for 10 minutes on 2 cores with 6 collectors), HB_REPS (default 6), HB_MICRO_TIME (default 0.2 s),
# HB_THREADS (default 1,2: the thread counts of the allocator workloads, e.g. 1,2,4,...,64 on a big machine).
# Rerunning the same command resumes: completed cells are kept, the rest run.
set -euo pipefail
cd "$(dirname "$0")/.."
t_main=$(date +%s.%N)
scripts/deps.sh

cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"
hb=build/release/heapbench
micro=build/release/heapbench-micro

scale=${HB_SCALE:-0.05}
# The threads step is the matrix's thread-count axis: larson, xmalloc and
# cache-scratch on every available allocator at each count (collector
# workloads at 1 only), into the same folder.  Measured: those three at 1
# and 2 threads, 6 repetitions, scale 0.05, took 27.5 s of matrix time on
# this 2-core machine (release build, under the bench lock).
threads=${HB_THREADS:-1,2}
reps=${HB_REPS:-6}
commit=$(git rev-parse --short=8 HEAD 2>/dev/null || echo nogit)
out=${1:-results/$(date -u +%F)-$commit}

set +e
"$hb" matrix --scale "$scale" --reps "$reps" --warmup 0 --threads "$threads" --series --out "$out"
status=$?
set -e
# 1: some cell did not end ok (its rows say why); the report shows it.
[[ $status -eq 0 || $status -eq 1 ]] || exit "$status"

if [[ ! -s "$out/micro.json" ]]; then
  t0=$(date +%s.%N)
  "$micro" --benchmark_filter='^(alloc_pair|alloc_churn|raw_churn|collect_live|collect_garbage|store|replay|direct)/' \
           --benchmark_min_time="${HB_MICRO_TIME:-0.2}" \
           --benchmark_out="$out/micro.json.tmp" --benchmark_out_format=json >/dev/null
  mv "$out/micro.json.tmp" "$out/micro.json"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "step,seconds\nmicro,%.1f\n", b - a }' > "$out/times.csv"
fi

# heapbench's own cost: scripts/compare.sh parts d (the same malloc/free
# stream natively, as heapbench calls the backend, through al_heap and
# through the allocator-trace replay itself, for every allocator) and e
# (GCBench in C on the collector table vs its replay, every collector),
# reduced to fit: 7 rounds of d (each mode's cost is taken against a native
# loop in its own process and its ratios paired by round, so few rounds
# settle it) at half the ops per lane and without the heap mode (the
# collectors' al_alloc path; compare.sh's default runs it), 3 of e at scale
# 0.1, into OUT/compare; its time goes to
# OUT/compare/time.csv once both parts have run, so a job stopped during
# them runs both again when resumed.  Their tables are printed here and
# update_readme.sh puts them into the README.  HB_COMPARE=0 leaves it out.
if [[ ${HB_COMPARE:-1} != 0 && ! -s $out/compare/time.csv ]]; then
  t0=$(date +%s.%N)
  scripts/compare.sh --out "$out/compare" --build build/release --parts de \
      --native-reps "${HB_COMPARE_REPS:-7}" --native-modes table,heapbench,replay \
      --native-ops 2097152 --gcbench-reps 3 --gcbench-scale 0.1 \
      > "$out/compare.log" 2>&1 || echo "main.sh: compare.sh parts d, e did not measure everything (see $out/compare.log)" >&2
  awk -v a="$t0" -v b="$(date +%s.%N)" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN { printf "step,seconds,load1\ncompare,%.1f,%s\n", b - a, l }' > "$out/compare/time.csv.tmp"
  mv "$out/compare/time.csv.tmp" "$out/compare/time.csv"
  cat "$out/compare/native.txt" "$out/compare/gcbench_native.txt" 2>/dev/null || true
fi

"$hb" report "$out" | tee "$out/report.txt"
"$hb" plot "$out"

# The time-space sweep: every collector on pool (boehm on its own heap) at
# 1.5, 2 and 4 times each cell's minimum heap, on gcbench and small-objects,
# 3 repetitions, into OUT/timespace (a sweep of its own settings: its own
# meta.json, rows.csv, minheap.csv and figures).  Measured: 55 s on 2 cores
# at load 1.7, 81 s at load 5.6, 113 s at load 7 (half of it the minimum-heap
# searches); HB_SWEEP=0 leaves it out.
if [[ ${HB_SWEEP:-1} != 0 ]]; then
  HB_BIN=$hb scripts/timespace.sh "$out/timespace"
fi
# The whole job's time (this invocation), for the README: times.csv's main line.
t_end=$(date +%s.%N)
if [[ -s $out/times.csv ]]; then grep -v '^main,' "$out/times.csv" > "$out/times.csv.tmp"; else echo step,seconds > "$out/times.csv.tmp"; fi
awk -v a="$t_main" -v b="$t_end" 'BEGIN { printf "main,%.1f\n", b - a }' >> "$out/times.csv.tmp"
mv "$out/times.csv.tmp" "$out/times.csv"
echo "heapbench: the default suite is in $out (report.txt, rows.csv, figures/)"

#!/usr/bin/env bash
# The thread-count axis end to end: `matrix --threads 1,2` over the three
# allocator workloads (and one collector workload, small-objects, at 1 and 2
# threads in the GIL model; mark-sweep, as pauses.gp needs a pause to draw), resumed to the
# same rows, refused with another list; the report's cells per thread count
# (summary.csv's threads column); with gnuplot, the scalability figure; and
# the threaded drive's own memory kept off the footprint.
# Usage: tests/cli_threads_matrix.sh HEAPBENCH
set -euo pipefail
hb=$1
dir=$(mktemp -d /tmp/hb_cli_tmx.XXXXXX)
trap 'rm -rf "$dir"' EXIT
out=$dir/r
fail() { echo "FAIL: $*"; exit 1; }
args=(-a malloc,pool -c mark-sweep -w larson,xmalloc,cache-scratch,small-objects --scale 0.01 --reps 2
      --threads 1,2 --no-progress --out "$out")
"$hb" matrix "${args[@]}" 2>"$dir/err" || { cat "$dir/err"; fail "matrix"; }
rows=$out/rows.csv
# 2 allocators x (3 allocator workloads + small-objects) x 2 thread counts, 2 reps each
n=$(($(wc -l <"$rows") - 1))
[[ $n -eq 32 ]] || fail "expected 32 rows, found $n"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { if ($c["status"] != "ok") bad = bad " " $c["allocator"] "/" $c["workload"] " " $c["status"]
    if ($c["workload"] == "small-objects" && $c["threads"] == 2 && $c["gil_switches"] + 0 <= 0)
      bad = bad " no GIL hand-overs: " $c["allocator"] "/small-objects"
    if ($c["collector"] == "none" && $c["threads"] == 2 && $c["cross_thread_frees"] + 0 <= 0)
      bad = bad " no cross-thread frees: " $c["allocator"] "/" $c["workload"]
    if ($c["threads"] == 1 && $c["cross_thread_frees"] + 0 != 0) bad = bad " cross on 1 thread"
    seen[$c["collector"] "/" $c["workload"] "@" $c["threads"]]++ }
  END { if (seen["none/larson@2"] != 4 || seen["none/cache-scratch@1"] != 4 ||
            seen["mark-sweep/small-objects@2"] != 4) bad = bad " cells"
        if (bad != "") { print "rows:" bad; exit 1 } }' "$rows" || fail "rows"
grep -q '"thread_counts": \[1, 2\]' "$out/meta.json" || fail "meta.json has no thread_counts"
# Resuming runs nothing; another list is refused.
"$hb" matrix "${args[@]}" 2>"$dir/err2"
grep -q "0 repetitions ran" "$dir/err2" || { cat "$dir/err2"; fail "resume ran something"; }
[[ $(($(wc -l <"$rows") - 1)) -eq 32 ]] || fail "resume added rows"
set +e
"$hb" matrix "${args[@]/1,2/1,4}" 2>"$dir/err3"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "thread_counts" "$dir/err3" || { cat "$dir/err3"; fail "another list not refused ($rc)"; }
set +e
"$hb" matrix --threads 0,2 -w larson --out "$dir/bad" 2>"$dir/err4"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "bad thread count '0'" "$dir/err4" || fail "--threads 0 not refused"
# The report: one summary line per cell and thread count.
"$hb" report "$out" --format csv >/dev/null
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; if (!c["threads"]) exit 1; next }
  { k[$c["workload"] "@" $c["threads"]]++ }
  END { exit !(k["larson@1"] == 2 && k["larson@2"] == 2 && k["small-objects@1"] == 2 && k["small-objects@2"] == 2 && NR == 17) }' \
  "$out/summary.csv" || fail "summary.csv cells by threads"
# Into a file: grep -q would close the pipe at the first match and, under
# pipefail, the report's SIGPIPE on its next write would fail the test.
"$hb" report "$out" > "$dir/report.txt" || fail "report"
grep -q "malloc/none 2t" "$dir/report.txt" || fail "table has no 2-thread cell"
if command -v gnuplot >/dev/null; then
  "$hb" plot "$out" >"$dir/plot" 2>&1 || { cat "$dir/plot"; fail "plot"; }
  for f in threads.pdf threads.png threads_footprint.pdf; do
    [[ -s $out/figures/$f ]] || fail "no figures/$f"
  done
fi
# The threaded drive gathers the whole stream (and splits it per thread)
# in the harness's memory: 2M ops are 32 MB a copy, far above larson's 5 MB
# live; none of it may count as the heap's footprint.  (A fresh process: a
# test process's freed but resident C heap would hide the heap's own.)
# Not under AddressSanitizer: its quarantine holds freed blocks resident, so
# the footprint there is the sanitizer's, not the heap's.
# (not `ldd | grep -q`: under pipefail, grep's early exit can kill ldd with
# SIGPIPE and fail the test of the pipeline)
if grep -q libasan <<<"$(ldd "$hb" 2>/dev/null)"; then
  echo "footprint check skipped: AddressSanitizer build"
  exit 0
fi
"$hb" run -w larson --threads 2 -a malloc --scale 0.2 --format csv >"$dir/fp.csv"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { fp = $c["peak_footprint_bytes"]; live = $c["peak_live_bytes"]
    printf "larson, 2 threads: peak live %.1f MiB, peak footprint %.1f MiB, peak RSS %.1f MiB\n",
           live / 1048576, fp / 1048576, $c["peak_rss_bytes"] / 1048576
    exit !($c["ops"] > 2000000 && fp >= live && fp < live + 16 * 1048576) }' "$dir/fp.csv" ||
  fail "the gathered ops counted in the footprint"
echo "ok: $n rows, cells per thread count, resume, report, figure"

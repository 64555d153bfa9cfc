#!/usr/bin/env bash
# The GIL model from the command line: server and small-objects at --threads 2
# under a collector end ok with rows saying 2 threads and GIL hand-overs, the
# oracle on; at --threads 1 the rows are those of a run without --threads in
# every non-timing column; the footprint is the heap's at 2 threads as at 1
# (peak footprint >= peak live, the mutators' op queues counted at the pages
# they hold, not their mapped size); one-mutator workloads, boehm and a bad
# --switch-interval are refused with exit 2 and a message naming the value.
# Usage: tests/cli_threads_gil.sh HEAPBENCH
set -euo pipefail
hb=$1
dir=$(mktemp -d /tmp/hb_cli_gil.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
col() { awk -F, -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next } { print $c }' "$1"; }
for w in server small-objects; do
  "$hb" run -w "$w" -c mark-sweep -a pool --threads 2 --switch-interval 5000 --scale 0.002 \
    --oracle-every 32 --format csv --no-progress >"$dir/$w.csv" 2>"$dir/err" || { cat "$dir/err"; fail "$w run"; }
  [[ $(col "$dir/$w.csv" status) == ok ]] || fail "$w: status $(col "$dir/$w.csv" status)"
  [[ $(col "$dir/$w.csv" threads) == 2 ]] || fail "$w: threads"
  [[ $(col "$dir/$w.csv" gil_switches) -gt 0 ]] || fail "$w: no GIL hand-overs"
done
# the footprint at 2 threads: rc on small-objects holds about 1 MB live, less
# than the queues' mapped capacity, so a harness count of mapped bytes took
# the whole footprint away
for t in 1 2; do
  "$hb" run -w small-objects -c rc -a pool --threads $t --scale 0.05 --format csv --no-progress >"$dir/fp$t.csv" 2>/dev/null
  live=$(col "$dir/fp$t.csv" peak_live_bytes); fp=$(col "$dir/fp$t.csv" peak_footprint_bytes)
  [[ $(col "$dir/fp$t.csv" status) == ok && $fp -ge $live ]] || fail "threads $t: peak footprint $fp below peak live $live"
done
# threads 1: the one-thread rows
keep='status ops objects bytes_allocated noop_ops collections peak_live_bytes leaked_objects'
"$hb" run -w server -c rc-cycle --scale 0.002 --format csv --no-progress >"$dir/a.csv" 2>/dev/null
"$hb" run -w server -c rc-cycle --scale 0.002 --threads 1 --format csv --no-progress >"$dir/b.csv" 2>/dev/null
for k in $keep; do
  [[ $(col "$dir/a.csv" "$k") == "$(col "$dir/b.csv" "$k")" ]] || fail "threads 1 changes $k"
done
refused() { # expected-text args...
  local want=$1; shift
  set +e; "$hb" run "$@" --scale 0.001 --no-progress >/dev/null 2>"$dir/err"; local rc=$?; set -e
  [[ $rc -eq 2 ]] && grep -q -- "$want" "$dir/err" || { cat "$dir/err"; fail "not refused ($rc): $*"; }
}
refused "one mutator's" -w gcbench -c rc --threads 2
refused "not registered" -w server -c boehm -a boehm --threads 2
refused "'0' for --switch-interval" -w server -c rc --threads 2 --switch-interval 0
echo ok

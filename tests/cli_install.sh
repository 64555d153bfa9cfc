#!/usr/bin/env bash
# tests/cli_install.sh -- `cmake --install` gives a heapbench whose plot finds
# its installed scripts and whose record finds its installed library: install
# the build into a fresh prefix, then, from a folder holding no plots/, run the
# installed `heapbench plot` on a tiny results folder made by the build's own
# heapbench and `heapbench record` on a small program.
# Usage: cli_install.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
hb=$tmp/prefix/bin/heapbench
[[ -x "$hb" ]] || { echo "not installed: bin/heapbench"; exit 1; }
ls "$tmp"/prefix/lib*/libheapbench-record.so >/dev/null || { echo "not installed: the recorder"; exit 1; }
[[ -s "$tmp/prefix/share/heapbench/plots/style.gp" ]] || { echo "not installed: the plot scripts"; exit 1; }

"$hb" matrix -a malloc,pool -c mark-sweep -w small-objects --scale 0.003 --reps 1 --warmup 0 \
     --out "$tmp/r" >/dev/null 2>&1
cd "$tmp"   # no plots/ here, and the source tree must not be what is found:
out=$(env -u HEAPBENCH_PLOTS "$hb" plot "$tmp/r" 2>&1) || { echo "$out"; exit 1; }
[[ -s "$tmp/r/figures/throughput.pdf" ]] || { echo "$out"; echo "no throughput figure"; exit 1; }
grep -qx "scripts: $tmp/prefix/bin/../share/heapbench/plots" <<<"$out" ||
  { echo "$out"; echo "plot did not use the installed scripts"; exit 1; }
env -u HEAPBENCH_RECORD_LIB "$hb" record -o "$tmp/t.hbt" -- /bin/ls / >/dev/null 2>&1 ||
  { echo "installed heapbench record failed"; exit 1; }
[[ -s "$tmp/t.hbt" ]] || { echo "installed record wrote no trace"; exit 1; }
echo "ok: installed heapbench plot and record work from $tmp/prefix"

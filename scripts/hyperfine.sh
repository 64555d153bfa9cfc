#!/bin/sh
# scripts/hyperfine.sh -- whole-process comparison: `heapbench run` once per
# allocator/collector pair, start-up and exit included, timed by hyperfine.
#
#   scripts/hyperfine.sh [-b BIN] [-w WORKLOAD] [-s SCALE] [-r RUNS] [-o DIR] PAIR...
#   e.g. scripts/hyperfine.sh -w small-objects -s 0.2 pool/rc malloc/rc bump/mark-sweep
#
# PAIR is ALLOC/COLL; default: pool, malloc, bump x rc-cycle.  Writes into
# DIR (default results/hyperfine-<date>): hyperfine.json and hyperfine.csv
# (hyperfine's own exports: mean, stddev, median, min, max per pair, in
# seconds) and figures/hyperfine.{pdf,png} through plots/hyperfine.gp.
# The timings include generating the op stream (a whole process does it)
# and one extra `sh -c` (about a millisecond, the same for every pair),
# unlike `heapbench run`'s own rows; compare them with each other only.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/release/heapbench
work=small-objects
scale=0.2
runs=10
out=results/hyperfine-$(date +%Y-%m-%d)
while getopts b:w:s:r:o:h opt; do
    case $opt in
    b) bin=$OPTARG ;;
    w) work=$OPTARG ;;
    s) scale=$OPTARG ;;
    r) runs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
pairs=${*:-pool/rc-cycle malloc/rc-cycle bump/rc-cycle}

for pkg in hyperfine:hyperfine gnuplot:gnuplot-nox; do
    command -v "${pkg%%:*}" >/dev/null 2>&1 || {
        echo "hyperfine.sh: ${pkg%%:*} not found, expected it on PATH (apt-get install ${pkg#*:})" >&2
        exit 2
    }
done
[ -x "$bin" ] || { echo "hyperfine.sh: no heapbench at $bin, expected a build (cmake --preset release) or -b BIN" >&2; exit 2; }

list=
for p in $pairs; do
    case $p in
    */*) list=${list:+$list,}$p ;;
    *) echo "hyperfine.sh: bad pair '$p', expected ALLOC/COLL like pool/rc-cycle" >&2; exit 2 ;;
    esac
    # Fail early, with heapbench's own message, on an unknown name.
    "$bin" run -a "${p%/*}" -c "${p#*/}" -w "$work" --scale 0.0001 --no-progress >/dev/null || exit 2
done

mkdir -p "$out"
hyperfine --warmup 1 --runs "$runs" --parameter-list combo "$list" \
    --export-json "$out/hyperfine.json" --export-csv "$out/hyperfine.csv" \
    "sh -c '$bin run -a \$(echo {combo} | cut -d/ -f1) -c \$(echo {combo} | cut -d/ -f2) -w $work --scale $scale --no-progress > /dev/null'"
gnuplot -e "dir='$out'" "$here/plots/hyperfine.gp"
echo "hyperfine.sh: $out/hyperfine.json, $out/hyperfine.csv, $out/figures/hyperfine.pdf"

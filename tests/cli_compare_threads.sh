#!/usr/bin/env bash
# scripts/compare.sh part f at a tiny scale: every (family, backend, mode,
# threads) sampled once into threads.csv, and the table has a row per
# (family, backend, threads) with numbers (the scaling on the 2-thread row);
# f is not among the default parts; part d likewise, a sample per cell; bad
# values for their options are refused.
# Usage: tests/cli_compare_threads.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
dir=$(mktemp -d /tmp/hb_cli_cmpf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$src/scripts/compare.sh" --out "$dir/f" --build "$build" --parts f --threads-reps 1 \
    --threads-scale 0.002 >"$dir/out" 2>"$dir/err" || { cat "$dir/err"; fail "compare.sh --parts f"; }
csv=$dir/f/threads.csv txt=$dir/f/threads.txt
[ -s "$txt" ] || fail "no threads.txt"
cmp -s "$dir/out" "$txt" || fail "compare.sh did not print threads.txt"
[ "$(head -1 "$csv")" = "round,family,backend,mode,lanes,threads,scale,ns_per_op,ops,seed,load1,command" ] ||
    fail "threads.csv header: $(head -1 "$csv")"
num='^[+-]?[0-9]+(\.[0-9]+)?$'
for f in larson xmalloc cache-scratch; do
    for b in malloc jemalloc mimalloc tcmalloc pool bump; do
        for t in 1 2; do
            for m in native table heapbench; do
                n=$(awk -F, -v f=$f -v b=$b -v m=$m -v t=$t \
                    '$2 == f && $3 == b && $4 == m && $5 == m && $6 == t && $7 == "0.002" && $8 > 0 && $9 > 0' \
                    "$csv" | wc -l)
                [ "$n" -eq 1 ] || fail "$f/$b/$m at $t threads: $n samples, expected 1"
            done
            row=$(awk -v f=$f -v b=$b -v t=$t '$1 == f && $2 == b && $3 == t' "$txt")
            [ "$(printf '%s\n' "$row" | grep -c .)" -eq 1 ] || fail "$f/$b at $t threads: no single row in the table"
            set -- $row
            [ $# -eq 10 ] || fail "row '$row': $# fields, expected 10"
            for v in "$4" "$5" "$6" "$7" "$8"; do
                [[ $v =~ $num ]] || fail "row '$row': '$v' is not a number"
            done
            # diff = heapbench - native and ratio heapbench / native, to the printed rounding
            awk -v n="$4" -v h="$6" -v d="$7" -v r="$8" 'BEGIN {
                e = h - n - d; if (e < 0) e = -e; q = h / n - r; if (q < 0) q = -q;
                exit !(e <= 0.011 && q <= 0.0006 + 0.005 / n * (1 + h / n)) }' || fail "row '$row': diff or ratio off"
            if [ $t = 2 ]; then
                [[ $9 =~ $num && ${10} =~ $num ]] || fail "row '$row': no scaling figures"
            else
                [ "$9 ${10}" = "- -" ] || fail "row '$row': a scaling figure on the 1-thread row"
            fi
        done
    done
done
grep -q "NOT MEASURED" "$txt" && fail "a cell not measured"
# part d, tiny: every backend in every cell (alone and beside each mode)
"$src/scripts/compare.sh" --out "$dir/d" --build "$build" --parts d --native-reps 1 \
    --native-ops 20000 >"$dir/out" 2>"$dir/err" || { cat "$dir/err"; fail "compare.sh --parts d"; }
for f in churn pair16; do
    for b in malloc jemalloc mimalloc tcmalloc pool bump boehm; do
        for cell in native:native heapbench:heapbench native:native+table table:native+table \
                    native:native+heap heap:native+heap native:native+heapbench \
                    heapbench:native+heapbench native:native+replay replay:native+replay; do
            n=$(awk -F, -v f=$f -v b=$b -v m="${cell%%:*}" -v l="${cell#*:}" \
                '$2 == f && $3 == b && $4 == m && $5 == l && $6 > 0' "$dir/d/native.csv" | wc -l)
            [ "$n" -eq 1 ] || fail "part d: $f/$b/$cell: $n samples, expected 1"
        done
    done
done
grep -q "NOT MEASURED" "$dir/d/native.txt" && fail "part d: a cell not measured"
for t in "backend +n alone" "backend +wnative"; do
    [ "$(grep -cE "$t" "$dir/d/native.txt")" -eq 2 ] || fail "part d: no '$t' table per family"
done
# the default parts are still abcde: --parts is checked against abcdef, f is opt-in
grep -q '^parts=abcde$' "$src/scripts/compare.sh" || fail "the default parts changed"
for bad in "--parts g" "--threads-reps 0" "--threads-scale 0" "--native-modes table,bogus" \
           "--native-ops 0" "--native-ops x"; do
    rc=0
    # shellcheck disable=SC2086
    "$src/scripts/compare.sh" --out "$dir/bad" --build "$build" $bad 2>"$dir/err" || rc=$?
    [ $rc -eq 2 ] || fail "compare.sh $bad: exit $rc, expected 2"
    grep -q "bad value" "$dir/err" || fail "compare.sh $bad: $(cat "$dir/err")"
done
echo ok

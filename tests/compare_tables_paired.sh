#!/usr/bin/env bash
# scripts/compare_tables.py part d takes its differences and ratios within
# each round and prints their medians over the rounds.  A made-up native.csv
# of 3 rounds, the machine slowing down through them (every cell 1x, 2x, 3x:
# a within-round ratio does not see it); malloc through heapbench is 0%,
# +10% and +2% off its native ratio to mimalloc in the three rounds, so its
# paired error is +2.0% and its paired difference 0.60 ns (0, 2.0, 0.6),
# where medians taken per cell would all come from round 1 (+10%, 2.00 ns);
# every other backend is exact.  Then the same with every mode in a process
# beside a native loop of its own (the column lanes): each process runs at a
# speed of its own, so only an error taken against the native loop of the
# same process is exact.  Usage: tests/compare_tables_paired.sh SOURCE_DIR
set -euo pipefail
src=$1
dir=$(mktemp -d /tmp/hb_cmp_paired.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
python3 - "$dir/native.csv" <<'PY'
import csv, sys
base = {"malloc": 10.0, "jemalloc": 5.0, "mimalloc": 4.0, "tcmalloc": 4.5, "pool": 6.0, "bump": 3.0,
        "boehm": 8.0}
off = [0.0, 0.10, 0.02]  # malloc's heapbench error per round
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["round", "family", "backend", "mode", "ns_per_op", "ops", "seed", "load1", "command"])
    for r in range(3):
        slow = r + 1.0
        for fam in ("churn", "pair16"):
            for b, v in base.items():
                for m in ("native", "table", "heap", "heapbench"):
                    x = v * slow
                    if m == "heapbench" and b == "malloc":
                        x *= 1 + off[r]
                    w.writerow([r, fam, b, m, f"{x:.6f}", 1000, 7, "0.1", "made up"])
PY
python3 "$src/scripts/compare_tables.py" native "$dir" > "$dir/out" || { cat "$dir/out"; fail "compare_tables.py native"; }
row=$(grep -m1 -E '^ +malloc ' "$dir/out") || fail "no malloc row"
set -- $row
# backend native table heap heapbench diff <=2ns /mi-nat /mi-tab /mi-hb tab-err hb-err <=5%
[ "$1" = malloc ] || fail "row: $row"
[ "${12}" = "+2.0%" ] || fail "malloc's paired error is ${12}, expected +2.0% ($row)"
[ "$6" = "+0.60" ] || fail "malloc's paired difference is $6, expected +0.60 ($row)"
[ "${11}" = "+0.0%" ] || fail "malloc's table error is ${11}, expected +0.0% ($row)"
grep -q "each alone" "$dir/out" && fail "nothing ran alone, yet there is a table of it"
grep -q "Of the 21 pairs of backends, 21 keep their native ratio within 5% through heapbench" "$dir/out" ||
    fail "the pairs sentence: $(grep 'pairs of backends' "$dir/out")"

# Beside: process p of round r runs both its lanes at speed k(p, r); the
# native loops of the three processes of a backend disagree, so an error or
# a difference against another process's loop is off by up to 40%.
python3 - "$dir/native.csv" <<'PY'
import csv, sys
base = {"malloc": 10.0, "jemalloc": 5.0, "mimalloc": 4.0, "tcmalloc": 4.5, "pool": 6.0, "bump": 3.0,
        "boehm": 8.0}
off = [0.0, 0.10, 0.02]
speed = {"table": 1.0, "heap": 1.4, "heapbench": 1.2, "replay": 1.3}
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["round", "family", "backend", "mode", "lanes", "ns_per_op", "ops", "seed", "load1",
                "command"])
    for r in range(3):
        for fam in ("churn", "pair16"):
            for i, (b, v) in enumerate(base.items()):
                for m, k in speed.items():
                    k = k * (1 + 0.03 * ((i + r) % 3))
                    x = v * k * (1 + off[r] if m == "heapbench" and b == "malloc" else 1)
                    # the replay's process writes its blocks whole: 3 ns more per op
                    # in both its lanes, and the replay 0.5 ns more than its loop
                    wb = 3.0 if m == "replay" else 0.0
                    x = x + wb * k + (0.5 if m == "replay" else 0.0)
                    for mode, val in (("native", v * k + wb * k), (m, x)):
                        w.writerow([r, fam, b, mode, f"native+{m}", f"{val:.6f}", 1000, 7, "0.1",
                                    "made up"])
                # the native loop and heapbench each alone, in a process of its
                # own (this round's: 0.9 x, heapbench 0.25 ns more)
                a = 0.9 * (1 + 0.1 * r)
                w.writerow([r, fam, b, "native", "native", f"{v * a:.6f}", 1000, 7, "0.1",
                            "made up"])
                w.writerow([r, fam, b, "heapbench", "heapbench", f"{v * a + 0.25:.6f}", 1000, 7,
                            "0.1", "made up"])
PY
python3 "$src/scripts/compare_tables.py" native "$dir" > "$dir/out" || { cat "$dir/out"; fail "compare_tables.py native, beside"; }
grep -q "beside a native loop of its own" "$dir/out" || fail "beside: the header does not say so"
row=$(grep -m1 -E '^ +malloc ' "$dir/out") || fail "beside: no malloc row"
set -- $row
[ "${12}" = "+2.0%" ] || fail "beside: malloc's error is ${12}, expected +2.0% ($row)"
[ "${11}" = "+0.0%" ] || fail "beside: malloc's table error is ${11}, expected +0.0% ($row)"
row=$(grep -m1 -E '^ +jemalloc ' "$dir/out") || fail "beside: no jemalloc row"
set -- $row
[ "$6" = "+0.00" ] || fail "beside: jemalloc's difference is $6, expected +0.00 ($row)"
# the native column is the loop heapbench's difference is taken against:
# native + diff = heapbench, to the rounding
python3 - "$2" "$5" "$6" <<'PY' || fail "beside: jemalloc native $2 + diff $6 != heapbench $5 ($row)"
import sys
n, h, d = map(float, sys.argv[1:])
sys.exit(abs(n + d - h) > 0.011)
PY
# the replay's table: against the loop of its own process, blocks written
row=$(awk '/backend +wnative/ {t=1} t && $1 == "jemalloc" {print; exit}' "$dir/out")
[ -n "$row" ] || fail "beside: no replay row for jemalloc"
set -- $row
[ "$4" = "+0.50" ] || fail "beside: jemalloc's replay difference is $4, expected +0.50 ($row)"
# each alone: the two processes of a round paired; malloc alone is 9.00 in round 0,
# 9.90 in 1 and 10.80 in 2, so the median alone is 9.90, the difference +0.25
row=$(awk '/backend +n alone/ {t=1} t && $1 == "malloc" {print; exit}' "$dir/out")
[ -n "$row" ] || fail "beside: no table of each alone"
set -- $row
[ "$2 $3 $4" = "9.90 10.15 +0.25" ] || fail "beside: malloc alone, expected 9.90 10.15 +0.25 ($row)"
grep -q "Of the 21 pairs of backends, 21 keep their native ratio within 5% through heapbench" "$dir/out" ||
    fail "beside: the pairs sentence: $(grep 'pairs of backends' "$dir/out")"
echo ok

#!/bin/sh
# scripts/compare.sh -- the three anchor comparisons, side by side in one run.
#
#   scripts/compare.sh --out DIR [--build DIR] [--reps R] [--scale S] [--nodes N]
#
#   a. alloc churn: heapbench-micro alloc_churn/{pool,malloc,jemalloc,mimalloc,
#      tcmalloc}, R repetitions; figure = median CPU time per op (ns); ratio =
#      pool / each other.  Target: pool <= 1.0x mimalloc.
#   b. full collection of a live graph: a random tree of N containers (2 slots,
#      no payload) reachable from register 0, then 5 COLLECT ops, written by
#      scripts/cpython_replay.py --write-test-trace.  Replayed by
#      `heapbench run --trace -a pool -c rc-cycle` and by the CPython replayer,
#      both with automatic collections off (threshold 2e9), so every pause is
#      one COLLECT; figure = the median COLLECT pause (pause_p50_us) per
#      object, median over R repetitions.  Target: rc-cycle <= 0.5x CPython.
#   c. gcbench at scale S: pool/mark-sweep against boehm/boehm, R repetitions
#      each, interleaved; figure = median wall_s; both max pauses shown.
#      Target: mark-sweep <= 0.8x boehm.
# Prints a table (measured ratio, target, met) and writes DIR/compare.csv
# with the same lines, plus every raw output (micro JSON, result rows, the
# CPython sidecar) in DIR.  Timings on a shared machine are noisy: every
# figure is a median of like measurements taken in the same run.
# Exit status: 0 when all three ran (met or not), 1 when one could not be
# measured, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build/release
out=
reps=3
scale=1.0
nodes=1000000
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
bad() { echo "compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --out) [ $# -ge 2 ] || bad "--out needs a folder"; out=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || bad "--build needs a folder"; build=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || bad "--reps needs a number"; reps=$2; shift 2 ;;
    --scale) [ $# -ge 2 ] || bad "--scale needs a number"; scale=$2; shift 2 ;;
    --nodes) [ $# -ge 2 ] || bad "--nodes needs a number"; nodes=$2; shift 2 ;;
    -h|--help) usage ;;
    *) bad "unknown argument '$1', expected --out, --build, --reps, --scale or --nodes" ;;
    esac
done
[ -n "$out" ] || bad "--out DIR is required (the results folder)"
case $reps in ''|*[!0-9]*|0) bad "bad value '$reps' for --reps, expected a whole number >= 1" ;; esac
case $nodes in ''|*[!0-9]*|0) bad "bad value '$nodes' for --nodes, expected a whole number >= 1" ;; esac
python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if 0 < s <= 1e4 else 1)" "$scale" 2>/dev/null ||
    bad "bad value '$scale' for --scale, expected a number > 0 and <= 10000"
hb=$build/heapbench
micro=$build/heapbench-micro
replay=$here/scripts/cpython_replay.py
for f in "$hb" "$micro"; do
    [ -x "$f" ] || bad "'$f' not found, expected a build (cmake --preset release && cmake --build --preset release -j2) or --build DIR"
done
mkdir -p "$out"
res=$out/compare.csv
missing=0


echo "== a. alloc_churn (heapbench-micro, $reps repetitions)" >&2
churn_cmd="$micro --benchmark_filter=alloc_churn/(pool|malloc|jemalloc|mimalloc|tcmalloc)\$ --benchmark_format=json --benchmark_repetitions=$reps"
echo "   $churn_cmd" >&2
$micro "--benchmark_filter=alloc_churn/(pool|malloc|jemalloc|mimalloc|tcmalloc)\$" \
    --benchmark_format=json "--benchmark_repetitions=$reps" > "$out/alloc_churn.json"

echo "== b. full collection of $nodes live containers: rc-cycle vs CPython" >&2
trace=$out/tree-$nodes.hbt
python3 "$replay" --write-test-trace "$nodes" "$trace"
if "$hb" run --help 2>/dev/null | grep -q -- '--trace'; then
    b_c_cmd="$hb run --trace $trace -a pool -c rc-cycle --threshold 4294967295,10,10 --reps $reps --format csv --no-progress"
    echo "   $b_c_cmd" >&2
    rm -f "$out/tree_rc_cycle.csv"
    $b_c_cmd --out "$out/tree_rc_cycle.csv" > /dev/null || missing=1
else
    b_c_cmd="(heapbench run --trace: not in this build)"
    echo "   heapbench run has no --trace in $hb: part b's C side is missing" >&2
    missing=1
fi
b_py_cmd="python3 $replay $trace --threshold 2000000000,10,10 --reps $reps --format csv"
echo "   $b_py_cmd" >&2
rm -f "$out/tree_cpython.csv"
$b_py_cmd --out "$out/tree_cpython.csv" > /dev/null

echo "== c. gcbench scale $scale: pool/mark-sweep vs boehm/boehm, $reps repetitions each" >&2
rm -f "$out/gcbench.csv"
c_ms_cmd="$hb run -w gcbench -a pool -c mark-sweep --scale $scale --reps 1 --no-progress --format csv"
c_bo_cmd="$hb run -w gcbench -a boehm -c boehm --scale $scale --reps 1 --no-progress --format csv"
echo "   $c_ms_cmd --out $out/gcbench.csv   (x$reps, interleaved with)" >&2
echo "   $c_bo_cmd --out $out/gcbench.csv" >&2
i=0
while [ $i -lt "$reps" ]; do
    $c_ms_cmd --seed 1 --out "$out/gcbench.csv" > /dev/null || missing=1
    $c_bo_cmd --seed 1 --out "$out/gcbench.csv" > /dev/null || missing=1
    i=$((i + 1))
done

# The figures, the ratios and the table, from the raw outputs above.
python3 - --out "$out" --nodes "$nodes" --cmd-a "$churn_cmd" --cmd-b-c "$b_c_cmd" \
    --cmd-b-py "$b_py_cmd" --cmd-c "$c_ms_cmd ; $c_bo_cmd" > "$out/compare.txt" <<'EOF' || missing=1
import argparse, csv, json, os, statistics, sys

ap = argparse.ArgumentParser()
for opt in ("--out", "--nodes", "--cmd-a", "--cmd-b-c", "--cmd-b-py", "--cmd-c"):
    ap.add_argument(opt)
a = ap.parse_args()
lines, problems = [], []


def rows_of(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(r, k):
    v = r.get(k, "")
    return float(v) if v not in ("", None) else float("nan")


def add(comp, ours, ref, figure, unit, vo, vr, target, cmd, samples):
    ratio = vo / vr if vr and vr == vr and vo == vo else float("nan")
    met = "" if target is None or ratio != ratio else ("yes" if ratio <= target else "no")
    lines.append(dict(comparison=comp, ours=ours, reference=ref, figure=figure, unit=unit,
                      ours_value=vo, reference_value=vr, ratio=ratio,
                      target="" if target is None else target, met=met, samples=samples,
                      command=cmd))


# a. alloc_churn: median CPU ns per op over the repetitions.
with open(os.path.join(a.out, "alloc_churn.json")) as f:
    churn = json.load(f)
times, errors = {}, {}
for b in churn.get("benchmarks", []):
    if b.get("run_type", "iteration") != "iteration":
        continue
    name = b.get("run_name", b["name"]).split("/")[-1]
    if b.get("error_occurred"):
        errors[name] = b.get("error_message", "error")
        continue
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    times.setdefault(name, []).append(b["cpu_time"] * scale)
med = {k: statistics.median(v) for k, v in times.items()}
for other in ("mimalloc", "malloc", "jemalloc", "tcmalloc"):
    if "pool" not in med or other not in med:
        problems.append(f"a: alloc_churn/{other if 'pool' in med else 'pool'}: "
                        f"{errors.get(other, errors.get('pool', 'no figure'))}")
        continue
    add("a alloc_churn", "pool", other, "cpu time per op (median)", "ns", med["pool"], med[other],
        1.0 if other == "mimalloc" else None, a.cmd_a, len(times["pool"]))

# b. rc-cycle vs CPython: the median COLLECT pause per object.
nodes = int(a.nodes)
per = {}
for who, fname in (("rc-cycle", "tree_rc_cycle.csv"), ("cpython", "tree_cpython.csv")):
    rs = [r for r in rows_of(os.path.join(a.out, fname)) if r["status"] == "ok"]
    bad = [r for r in rs if int(r["pauses"]) != 5]
    if bad:
        problems.append(f"b: {who}: {bad[0]['pauses']} pauses in a repetition, expected the 5 "
                        "COLLECTs only (an automatic collection or a cascade was timed too)")
    if rs:
        per[who] = (statistics.median(num(r, "pause_p50_us") for r in rs) * 1e3 / nodes, len(rs))
if "rc-cycle" in per and "cpython" in per:
    add("b full collection", "pool/rc-cycle", "pymalloc/cpython",
        f"median COLLECT pause per object, {nodes} live containers", "ns/object",
        per["rc-cycle"][0], per["cpython"][0], 0.5, a.cmd_b_c + " | " + a.cmd_b_py,
        min(per["rc-cycle"][1], per["cpython"][1]))
else:
    problems.append("b: no rc-cycle row (heapbench run --trace missing or failed)"
                    if "rc-cycle" not in per else "b: no CPython row")

# c. gcbench: median wall_s; max pauses.
g = {}
for r in rows_of(os.path.join(a.out, "gcbench.csv")):
    if r["status"] == "ok":
        g.setdefault(r["collector"], []).append(r)
if "mark-sweep" in g and "boehm" in g:
    ms, bo = g["mark-sweep"], g["boehm"]
    add("c gcbench", "pool/mark-sweep", "boehm/boehm", "wall_s (median)", "s",
        statistics.median(num(r, "wall_s") for r in ms),
        statistics.median(num(r, "wall_s") for r in bo), 0.8, a.cmd_c, min(len(ms), len(bo)))
    add("c gcbench", "pool/mark-sweep", "boehm/boehm", "pause_max_us (median)", "us",
        statistics.median(num(r, "pause_max_us") for r in ms),
        statistics.median(num(r, "pause_max_us") for r in bo), None, a.cmd_c,
        min(len(ms), len(bo)))
    add("c gcbench", "pool/mark-sweep", "boehm/boehm", "pause_max_us (worst rep)", "us",
        max(num(r, "pause_max_us") for r in ms), max(num(r, "pause_max_us") for r in bo),
        None, a.cmd_c, min(len(ms), len(bo)))
else:
    problems.append("c: gcbench rows missing for " +
                    " and ".join(c for c in ("mark-sweep", "boehm") if c not in g))

cols = ["comparison", "ours", "reference", "figure", "unit", "ours_value", "reference_value",
        "ratio", "target", "met", "samples", "command"]
with open(os.path.join(a.out, "compare.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, cols, lineterminator="\n")
    w.writeheader()
    for l in lines:
        w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in l.items()})
show = ["comparison", "ours", "reference", "figure", "ours_value", "reference_value", "ratio",
        "target", "met"]


def cell(k, v):
    if isinstance(v, float):
        return "-" if v != v else f"{v:.3g}"
    return str(v) if v != "" else "-"


cells = [[cell(k, l[k]) for k in show] for l in lines]
wd = [max([len(k)] + [len(c[i]) for c in cells]) for i, k in enumerate(show)]
print("  ".join(k.ljust(w) for k, w in zip(show, wd)))
for c in cells:
    print("  ".join(v.ljust(w) for v, w in zip(c, wd)))
for p in problems:
    print("NOT MEASURED: " + p)
sys.exit(1 if problems else 0)
EOF
cat "$out/compare.txt"
echo "(rows: $res; raw outputs in $out)" >&2
exit $missing

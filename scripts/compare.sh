#!/bin/sh
# scripts/compare.sh -- the anchor comparisons, side by side in one run.
#
#   scripts/compare.sh --out DIR [--build DIR] [--reps R] [--scale S] [--nodes N]
#                      [--parts abcdef] [--native-reps R] [--gcbench-reps R]
#                      [--gcbench-scale S] [--threads-reps R] [--threads-scale S]
#                      [--native-modes LIST] [--native-ops N]
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
#   d. heapbench's cost per op: the same malloc/free stream (alloc_churn's
#      small-object churn, and a 16-byte alloc+free pair beside one more live
#      16-byte block, so that no page empties at every free) timed by
#      heapbench-native for malloc, jemalloc, mimalloc, tcmalloc, pool, bump
#      and boehm (libgc's uncollectable blocks) in these modes: native (a
#      plain C loop on malloc/free, the library under LD_PRELOAD; pool and
#      bump through their table, boehm on libgc's two functions), table (the call
#      al_alloc/al_free make: for the peers and malloc the library's own
#      malloc/free, dlopen'd -- under LD_PRELOAD the same copy -- called
#      directly), heap (al_alloc/al_free, the books in the al_heap, as the
#      collectors call them: live bytes, one compare for the peak, the limit
#      and the watch, size 0, NULL, the watch's flag) and heapbench (as the
#      allocator-trace replay calls it: the table call on the al_heap, the
#      books planned from the stream before each batch is timed and written
#      into the heap after it, as hb_alloc_plan does), and replay (the
#      allocator-trace replay itself, hb_alloc_plan and hb_alloc_replay on
#      the stream written as a trace's ops: what `heapbench run` does with a
#      malloc trace, decoding and register file included; it writes every new
#      block whole, so its process runs with --write block and its native
#      loop memsets each block too).  Each of table, heap, heapbench and
#      replay runs in one process beside a native loop of its own, the two
#      interleaved batch by batch (16,384 ops, the first of the two
#      alternating), each with its own live set: the machine's slow spells
#      and the process's layout land on both alike, and heapbench's cost is
#      the difference within that process.  The native loop and heapbench
#      also run each alone, in a process of its own (table "each alone": the
#      library in the cache state it has in a program; two live sets in one
#      process slow some backends' native loops by a third or more).
#      --native-modes (comma-separated, default table,heap,heapbench,replay)
#      chooses the modes run beside a native loop; --native-ops N sets each
#      lane's churn ops (pair16: 2N; default 4,194,304 and 8,388,608).
#      --native-reps rounds (default 7), every (family, backend, mode) once
#      per round in an order shuffled with a recorded seed; figure = median
#      ns per op; the difference and the ratios below are taken within each
#      round (the difference and the error within each process) and their
#      median over the rounds printed.  Printed per op: each mode,
#      difference heapbench - native (target <= 2 ns), and each backend's
#      ratio to mimalloc natively, in table mode and through heapbench
#      (target: within 5%).  Every sample (seed, load average, command) in
#      DIR/native.csv; the table in DIR/native.txt, made by
#      scripts/compare_tables.py.
#   e. GCBench written in C against the collector table (heapbench-gcbench
#      --mode native: new_obj, field_store, reg_write called directly, the
#      same objects, order and register file) beside its replay (--mode
#      replay: the gcbench op stream through hb_replay) and beside
#      `heapbench run -w gcbench` (its wall_s), for rc, rc-cycle, mark-sweep,
#      incremental, gen-copy (over pool), boehm and boehm-incremental; plus, for boehm, the classic GCBench on libgc
#      itself (--mode libgc).  --gcbench-reps rounds (default 3) shuffled
#      with a recorded seed, at --gcbench-scale (default 0.2); figure =
#      median seconds; printed: replay/native per collector (target <=
#      1.5x).  Samples in DIR/gcbench_native.csv, table in
#      DIR/gcbench_native.txt (scripts/compare_tables.py).
#   f. heapbench's cost per op on threads: the op streams of the threaded
#      workloads larson, xmalloc and cache-scratch at 1 and 2 threads
#      (--threads-scale, default 0.2), timed by heapbench-native for every
#      thread-safe backend (malloc, jemalloc, mimalloc, tcmalloc, pool,
#      bump) in three modes, each run its own process: native (the same
#      per-thread ops on N pthreads calling malloc/free, the library under
#      LD_PRELOAD; pool and bump through their table), table (the library's
#      malloc/free through the pointer heapbench calls) and heapbench (the
#      threaded replay, hb_tvm_run, on an al_heap); figure = ns per op of
#      the wall time of the threaded phase over every thread's ops.
#      --threads-reps rounds (default 5) shuffled with a recorded seed, as
#      in d; printed: the medians per (family, backend, threads), diff
#      heapbench - native, ratio heapbench/native, and the scaling from 1 to
#      2 threads natively and through heapbench (ns per op at 1 thread / at
#      2: 2.0 is twice the throughput).  Samples in DIR/threads.csv, table
#      in DIR/threads.txt (scripts/compare_tables.py threads).  Not in the
#      default parts.  Both modes replay the same hand-over points, a
#      mailbox per block: xmalloc's consumer takes every block from the
#      producer's core, so its 2-thread figure is the hand-over's more than
#      the allocator's; cache-scratch's is its byte-write loop's (each TOUCH
#      is 4000 single-byte writes), which moves by up to a fifth with code
#      layout alone.
#   scripts/main.sh runs d and e (reduced) into OUT/compare, and
#   scripts/update_readme.sh puts their tables into README.
#   --parts picks the parts to run, letters from abcdef (default abcde).
# Prints a table (measured ratio, target, met) and writes DIR/compare.csv
# with the same lines, plus every raw output (micro JSON, result rows, the
# CPython sidecar) in DIR.  Timings on a shared machine are noisy: every
# figure is a median of like measurements taken in the same run.
# Exit status: 0 when every part ran (met or not), 1 when one could not be
# measured, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build/release
out=
reps=3
scale=1.0
nodes=1000000
parts=abcde
native_reps=7
gcbench_reps=3
gcbench_scale=0.2
threads_reps=5
threads_scale=0.2
native_modes=table,heap,heapbench,replay
native_ops=
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2; }
bad() { echo "compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --out) [ $# -ge 2 ] || bad "--out needs a folder"; out=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || bad "--build needs a folder"; build=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || bad "--reps needs a number"; reps=$2; shift 2 ;;
    --scale) [ $# -ge 2 ] || bad "--scale needs a number"; scale=$2; shift 2 ;;
    --nodes) [ $# -ge 2 ] || bad "--nodes needs a number"; nodes=$2; shift 2 ;;
    --parts) [ $# -ge 2 ] || bad "--parts needs letters from abcdef"; parts=$2; shift 2 ;;
    --native-reps) [ $# -ge 2 ] || bad "--native-reps needs a number"; native_reps=$2; shift 2 ;;
    --gcbench-reps) [ $# -ge 2 ] || bad "--gcbench-reps needs a number"; gcbench_reps=$2; shift 2 ;;
    --gcbench-scale) [ $# -ge 2 ] || bad "--gcbench-scale needs a number"; gcbench_scale=$2; shift 2 ;;
    --threads-reps) [ $# -ge 2 ] || bad "--threads-reps needs a number"; threads_reps=$2; shift 2 ;;
    --threads-scale) [ $# -ge 2 ] || bad "--threads-scale needs a number"; threads_scale=$2; shift 2 ;;
    --native-modes) [ $# -ge 2 ] || bad "--native-modes needs a list"; native_modes=$2; shift 2 ;;
    --native-ops) [ $# -ge 2 ] || bad "--native-ops needs a number"; native_ops=$2; shift 2 ;;
    -h|--help) usage ;;
    *) bad "unknown argument '$1', expected --out, --build, --reps, --scale, --nodes, --parts, --native-reps, --gcbench-reps, --gcbench-scale, --threads-reps, --threads-scale, --native-modes or --native-ops" ;;
    esac
done
[ -n "$out" ] || bad "--out DIR is required (the results folder)"
# A whole number >= 1, and a number in (0, 10000], or exit 2 naming the option.
count() { case $2 in ''|*[!0-9]*|0) bad "bad value '$2' for $1, expected a whole number >= 1" ;; esac; }
amount() {
    python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if 0 < s <= 1e4 else 1)" "$2" 2>/dev/null ||
        bad "bad value '$2' for $1, expected a number > 0 and <= 10000"
}
count --reps "$reps"
count --native-reps "$native_reps"
count --gcbench-reps "$gcbench_reps"
count --threads-reps "$threads_reps"
[ -z "$native_ops" ] || count --native-ops "$native_ops"
for m in $(echo "$native_modes" | tr ',' ' '); do
    case $m in table|heap|heapbench|replay) ;; *) bad "bad value '$m' in --native-modes, expected table, heap, heapbench or replay" ;; esac
done
[ -n "$(echo "$native_modes" | tr -d ', ')" ] || bad "--native-modes names no mode"
case $parts in ''|*[!abcdef]*) bad "bad value '$parts' for --parts, expected letters from abcdef (e.g. de)" ;; esac
amount --gcbench-scale "$gcbench_scale"
amount --threads-scale "$threads_scale"
has() { case $parts in *$1*) return 0 ;; esac; return 1; }
count --nodes "$nodes"
amount --scale "$scale"
hb=$build/heapbench
micro=$build/heapbench-micro
native=$build/heapbench-native
gcb=$build/heapbench-gcbench
replay=$here/scripts/cpython_replay.py
for f in "$hb" "$micro" "$native" "$gcb"; do
    [ -x "$f" ] || bad "'$f' not found, expected a build (cmake --preset release && cmake --build --preset release -j2) or --build DIR"
done
mkdir -p "$out"
res=$out/compare.csv
missing=0
churn_cmd= b_c_cmd= b_py_cmd= c_ms_cmd= c_bo_cmd=


if has a; then
    echo "== a. alloc_churn (heapbench-micro, $reps repetitions)" >&2
    churn_cmd="$micro --benchmark_filter=alloc_churn/(pool|malloc|jemalloc|mimalloc|tcmalloc)\$ --benchmark_format=json --benchmark_repetitions=$reps"
    echo "   $churn_cmd" >&2
    $micro "--benchmark_filter=alloc_churn/(pool|malloc|jemalloc|mimalloc|tcmalloc)\$" \
        --benchmark_format=json "--benchmark_repetitions=$reps" > "$out/alloc_churn.json"
fi

if has b; then
    echo "== b. full collection of $nodes live containers: rc-cycle vs CPython" >&2
    trace=$out/tree-$nodes.hbt
    python3 "$replay" --write-test-trace "$nodes" "$trace"
    if "$hb" run --help 2>/dev/null | grep -- '--trace' >/dev/null; then
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
fi

if has c; then
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
fi

# The figures, the ratios and the table, from the raw outputs above.
case $parts in *[abc]*) abc=yes ;; *) abc=no ;; esac
[ $abc = no ] && : > "$out/compare.txt" || python3 - --parts "$parts" --out "$out" --nodes "$nodes" --cmd-a "$churn_cmd" --cmd-b-c "$b_c_cmd" \
    --cmd-b-py "$b_py_cmd" --cmd-c "$c_ms_cmd ; $c_bo_cmd" > "$out/compare.txt" <<'EOF' || missing=1
import argparse, csv, json, os, statistics, sys

ap = argparse.ArgumentParser()
for opt in ("--parts", "--out", "--nodes", "--cmd-a", "--cmd-b-c", "--cmd-b-py", "--cmd-c"):
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


if "a" in a.parts:
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

if "b" in a.parts:
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

if "c" in a.parts:
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

# Rounds of heapbench-native runs, each cell its own process, the cells in
# an order shuffled per round with a recorded seed (parts d and f):
#   native_rounds CSV ROUNDS SCALE CELL...
# CELL is family:backend:modes, or family:backend:modes:threads for a threaded
# family (then run at --threads and --scale SCALE, and CSV has the columns
# threads and scale).  modes is one mode or several joined by '+', which run
# in the one process interleaved batch by batch (heapbench-native --mode
# a,b); each prints its line, a row of CSV whose column lanes is the cell's
# modes.  A cell with native gets the peer under LD_PRELOAD.  Every sample
# (seed, load average, command) goes to CSV; status 1 when a run failed or
# printed another cell's lines.
native_rounds() {
    python3 - "$native" "$@" <<'EOF'
import csv, os, random, subprocess, sys, time

prog, path, rounds, scale = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cells = [tuple(c.split(":")) for c in sys.argv[5:]]
threaded = any(len(c) == 4 for c in cells)
libdir = next((d for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib")
               if os.path.exists(os.path.join(d, "libmimalloc.so.2"))), "/usr/lib")
preload = {"jemalloc": "libjemalloc.so.2", "mimalloc": "libmimalloc.so.2",
           "tcmalloc": "libtcmalloc_minimal.so.4"}
seed = int(time.time())
rng = random.Random(seed)
failed = 0
with open(path, "w", newline="") as raw:
    w = csv.writer(raw, lineterminator="\n")
    w.writerow(["round", "family", "backend", "mode", "lanes"]
               + (["threads", "scale"] if threaded else [])
               + ["ns_per_op", "ops", "seed", "load1", "command"])
    for r in range(rounds):
        order = cells[:]
        rng.shuffle(order)
        for cell in order:
            f, b, lanes = cell[:3]
            modes = lanes.split("+")
            t = cell[3] if len(cell) == 4 else None
            env = dict(os.environ)
            env.pop("LD_PRELOAD", None)
            pre = ""
            if "native" in modes and b in preload:
                env["LD_PRELOAD"] = pre = os.path.join(libdir, preload[b])
            cmd = [prog, "--family", f, "--backend", b, "--mode", ",".join(modes)]
            if "replay" in modes:  # the replay writes every new block whole; so then do all lanes
                cmd += ["--write", "block"]
            if t is None and os.environ.get("HB_NATIVE_OPS"):
                n = int(os.environ["HB_NATIVE_OPS"])
                cmd += ["--ops", str(n if f == "churn" else 2 * n)]
            if t is not None:
                cmd += ["--threads", t, "--scale", scale]
            shown = (f"LD_PRELOAD={pre} " if pre else "") + " ".join(cmd)
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            got = [ln.split() for ln in p.stdout.splitlines()]
            if p.returncode != 0 or [g[:3] for g in got] != [[f, b, m] for m in modes] or (
                    t is not None and any(g[5:6] != [t] for g in got)):
                print(f"   failed: {shown}: {p.stderr.strip() or p.stdout.strip() or p.returncode}",
                      file=sys.stderr)
                failed = 1
                continue
            load1 = open("/proc/loadavg").read().split()[0]
            for g in got:
                w.writerow([r, f, b, g[2], lanes] + ([t, scale] if threaded else [])
                           + [g[3], g[4], seed, load1, shown])
sys.exit(failed)
EOF
}

if has d; then
    echo "== d. heapbench's cost per op: $native native and heapbench alone, and native beside each of $native_modes; $native_reps rounds" >&2
    cells=
    for f in churn pair16; do
        for b in malloc jemalloc mimalloc tcmalloc pool bump boehm; do
            cells="$cells $f:$b:native $f:$b:heapbench"
            for m in $(echo "$native_modes" | tr ',' ' '); do
                cells="$cells $f:$b:native+$m"
            done
        done
    done
    # shellcheck disable=SC2086 # the cells are words
    HB_NATIVE_OPS=$native_ops native_rounds "$out/native.csv" "$native_reps" - $cells || missing=1
    python3 "$here/scripts/compare_tables.py" native "$out" > "$out/native.txt" || missing=1
    cat "$out/native.txt"
    echo "(every sample with its command: $out/native.csv)" >&2
fi
if has e; then
    echo "== e. GCBench natively on the tables vs its replay: $gcbench_reps rounds, scale $gcbench_scale" >&2
    python3 - "$gcb" "$hb" "$gcbench_reps" "$gcbench_scale" "$out" <<'EOF' || missing=1
import csv, os, random, subprocess, sys, time

prog, hb, rounds, scale, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
colls = ["rc", "rc-cycle", "mark-sweep", "incremental", "gen-copy", "boehm", "boehm-incremental"]
cells = [(c, m) for c in colls for m in ("native", "replay", "run")] + [("boehm", "libgc")]
seed = int(time.time())
rng = random.Random(seed)
failed = 0
rows = os.path.join(out, "gcbench_run.csv")
if os.path.exists(rows):
    os.remove(rows)
with open(os.path.join(out, "gcbench_native.csv"), "w", newline="") as raw:
    w = csv.writer(raw, lineterminator="\n")
    w.writerow(["round", "collector", "mode", "seconds", "objects", "scale", "seed", "load1",
                "command"])
    for r in range(rounds):
        order = cells[:]
        rng.shuffle(order)
        for c, m in order:
            if m == "run":
                alloc = "boehm" if c.startswith("boehm") else "pool"
                cmd = [hb, "run", "-w", "gcbench", "-a", alloc, "-c", c, "--scale", scale,
                       "--reps", "1", "--seed", "1", "--no-progress", "--format", "csv",
                       "--out", rows]
                before = len(list(csv.DictReader(open(rows)))) if os.path.exists(rows) else 0
                p = subprocess.run(cmd, capture_output=True, text=True)
                got = list(csv.DictReader(open(rows))) if os.path.exists(rows) else []
                if p.returncode != 0 or len(got) <= before or got[-1]["status"] != "ok":
                    print(f"   failed: {' '.join(cmd)}: {p.stderr.strip() or 'no row'}",
                          file=sys.stderr)
                    failed = 1
                    continue
                secs, objs = float(got[-1]["wall_s"]), got[-1]["objects"]
            else:
                cmd = [prog, "--collector", c, "--mode", m, "--scale", scale]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"   failed: {' '.join(cmd)}: {p.stderr.strip() or p.returncode}",
                          file=sys.stderr)
                    failed = 1
                    continue
                f = p.stdout.split()
                secs, objs = float(f[3]), f[4]
            load1 = open("/proc/loadavg").read().split()[0]
            w.writerow([r, c, m, secs, objs, scale, seed, load1, " ".join(cmd)])
sys.exit(failed)
EOF
    python3 "$here/scripts/compare_tables.py" gcbench "$out" > "$out/gcbench_native.txt" || missing=1
    cat "$out/gcbench_native.txt"
    echo "(every sample with its command: $out/gcbench_native.csv)" >&2
fi
if has f; then
    echo "== f. heapbench's cost per op on threads: $native native, table, heapbench at 1 and 2 threads, scale $threads_scale; $threads_reps rounds" >&2
    cells=
    for f in larson xmalloc cache-scratch; do
        for b in malloc jemalloc mimalloc tcmalloc pool bump; do
            for m in native table heapbench; do
                cells="$cells $f:$b:$m:1 $f:$b:$m:2"
            done
        done
    done
    # shellcheck disable=SC2086 # the cells are words
    native_rounds "$out/threads.csv" "$threads_reps" "$threads_scale" $cells || missing=1
    python3 "$here/scripts/compare_tables.py" threads "$out" > "$out/threads.txt" || missing=1
    cat "$out/threads.txt"
    echo "(every sample with its command: $out/threads.csv)" >&2
fi
exit $missing

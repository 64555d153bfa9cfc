#!/usr/bin/env python3
"""scripts/compare_tables.py -- the tables of scripts/compare.sh parts d, e and f,
computed from the samples the parts wrote (DIR/native.csv, DIR/gcbench_native.csv,
DIR/threads.csv).

    compare_tables.py native DIR [--markdown]    part d: heapbench's cost per op
    compare_tables.py gcbench DIR [--markdown]   part e: GCBench replay/native
    compare_tables.py threads DIR [--markdown]   part f: the cost per op on 1 and 2 threads
    compare_tables.py readme RUN                 both, markdown, from RUN/compare (the
                                                 main job's), or nothing without it

Text (the default) is what compare.sh prints; --markdown is the fragment
scripts/update_readme.sh puts into README's figures section and
tests/readme_figures.sh checks, so every number there comes from the files.
Exit status: 0, 1 when a backend or collector has no figure, 2 bad usage.
"""
import csv
import os
import statistics
import sys

BACKENDS = ["malloc", "jemalloc", "mimalloc", "tcmalloc", "pool", "bump"]
# part d also times boehm as an allocator (libgc's uncollectable blocks; its
# native loop calls GC_malloc_atomic_uncollectable and GC_free directly)
NATIVE_BACKENDS = BACKENDS + ["boehm"]
FAMILIES = ["churn", "pair16"]
MODES = ["native", "table", "heap", "heapbench"]
COLLS = ["rc", "rc-cycle", "mark-sweep", "incremental", "gen-copy", "boehm", "boehm-incremental"]
THREADED = ["larson", "xmalloc", "cache-scratch"]
THREADS = ["1", "2"]


def rows_of(path):
    if not os.path.exists(path):
        sys.exit(f"compare_tables.py: {path} is missing, expected the samples of "
                 "scripts/compare.sh (--parts def)")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load_span(rows):
    loads = [float(r["load1"]) for r in rows if r.get("load1")]
    return (min(loads), max(loads)) if loads else None


def span_text(span, sep):
    """ "load average 5.2" or "load average 5.2-6.1", one decimal. """
    lo, hi = f"{span[0]:.1f}", f"{span[1]:.1f}"
    return f"load average {lo}" if lo == hi else f"load average {lo}{sep}{hi}"


def sampled(path, key, col):
    """The samples of a part's CSV grouped by key(row): (rows, samples, medians,
    rounds, seed, scale, load span)."""
    rows = rows_of(path)
    samples = {}
    for r in rows:
        samples.setdefault(key(r), []).append(float(r[col]))
    med = {k: statistics.median(v) for k, v in samples.items()}
    rounds = len({r["round"] for r in rows})
    seed = rows[0]["seed"] if rows else "-"
    scale = rows[0].get("scale", "-") if rows else "-"
    return rows, samples, med, rounds, seed, scale, load_span(rows)


def spread_lines(samples, name):
    """The five cells whose samples spread most, (max-min)/median; name(key)
    spells a cell."""
    spread = sorted(((max(v) - min(v)) / statistics.median(v), k) for k, v in samples.items())
    return ["spread (max-min)/median of the samples, worst five cells:"] + [
        f"  {name(k)}: {sp:.0%} over {len(samples[k])} samples" for sp, k in spread[-5:]]


def native(d, md):
    rows, samples, med, rounds, seed, _, span = sampled(
        os.path.join(d, "native.csv"), lambda r: (r["family"], r["backend"], r["mode"]),
        "ns_per_op")
    # Paired by round: every round runs each cell once, within seconds of
    # the others, so a slow spell of this shared machine moves a round's
    # cells together; a ratio or a difference is taken within each round and
    # the median is over rounds.  Where a mode ran beside a native loop of
    # its own in one process (the column lanes, "native+heapbench"), its
    # difference and its error are taken against that loop.
    per = {(r["round"], r["family"], r["backend"], r["mode"], r.get("lanes") or r["mode"]):
           float(r["ns_per_op"]) for r in rows}
    rounds_of = sorted({r["round"] for r in rows})
    beside = any("+" in (r.get("lanes") or "") for r in rows)
    by_cell = {}
    for r in rows:
        by_cell.setdefault((r["family"], r["backend"], r["mode"], r.get("lanes") or r["mode"]),
                           []).append(float(r["ns_per_op"]))
    cell_med = {k: statistics.median(v) for k, v in by_cell.items()}
    cell_lo = {k: min(v) for k, v in by_cell.items()}

    def col(f, b, m, src=None):
        """The median of a column: mode m's own cell; native, the loop beside
        heapbench (the one heapbench's diff is taken against); alone, the
        native loop in a process of its own; wnative, the loop beside the
        replay (blocks written whole, as the replay writes them)."""
        src = cell_med if src is None else src
        if m == "alone":
            return src.get((f, b, "native", "native")) if beside else None
        if m == "halone":
            return src.get((f, b, "heapbench", "heapbench")) if beside else None
        if m == "wnative":
            return src.get((f, b, "native", "native+replay"))
        if m == "native" and beside:
            return src.get((f, b, "native", "native+heapbench"))
        return src.get((f, b, m, lanes_of(m)))

    def lanes_of(m):
        return f"native+{m}" if beside and m != "native" else m

    def at(f, b, m):
        """The cell of mode m (alone: heapbench in a process of its own)."""
        return (f, b, "heapbench", "heapbench") if m == "alone" else (f, b, m, lanes_of(m))

    def nat(f, b, m):
        """The native cell mode m's difference and error are taken against
        (alone: the native loop in a process of its own)."""
        if m == "alone":
            return (f, b, "native", "native")
        return (f, b, "native", lanes_of(m) if beside else "native")

    def paired(fn, *cells):
        """Median over rounds of fn(values of the cells in that round); None
        when no round has them all."""
        got = []
        for rd in rounds_of:
            v = [per.get((rd,) + c) for c in cells]
            if None not in v:
                got.append(fn(*v))
        return statistics.median(got) if got else None

    def ratio(x, y):
        return x / y

    def err(x, y, xn, yn):
        """How far the ratio x/y is from its native xn/yn."""
        return (x / y) / (xn / yn) - 1

    problems = 0
    out = []
    if md:
        out.append(f"**heapbench's cost per op** (`scripts/compare.sh --parts d`, "
                   f"`heapbench-native`): the same malloc/free stream (churn: alloc_churn's, "
                   f"over 10,000 live blocks; pair16: a 16-byte alloc+free beside one more live "
                   f"16-byte block, so that no page empties at every free) timed natively (a "
                   f"plain C loop, the peer under LD_PRELOAD; pool and bump through their "
                   f"table; boehm, libgc's uncollectable blocks, on GC_malloc_atomic_uncollectable "
                   f"and GC_free), as heapbench calls the backend (table), through "
                   f"`al_alloc`/`al_free` with the books in the heap, as the collectors call "
                   f"them (heap), and as the allocator-trace replay calls it (heapbench: the "
                   f"table call on the `al_heap`, its books planned from the stream before each "
                   f"batch is timed and written after it)"
                   + ("; each of table, heap, heapbench and replay in one process beside a "
                      "native loop of its own, the two interleaved batch by batch, each with its "
                      "own live set (so churn's processes hold two live sets), and the native "
                      "loop and heapbench also each alone in a process of its own (each alone: "
                      "the cache and the layout the library has in a program); replay is the "
                      "allocator-trace replay itself (`hb_alloc_plan` and `hb_alloc_replay` on "
                      "the stream written as a trace's ops: decoding, register file and all), "
                      "which writes every new block whole, so its process's native loop "
                      "writes its blocks whole too (memset, as the replay does)"
                      if beside else "")
                   + f"; median ns per op over {rounds} rounds, cells shuffled per round (seed "
                   f"{seed})"
                   + (f", {span_text(span, '–')}" if span else "") +
                   ". diff = heapbench − native and /mi = the ratio to mimalloc in the same "
                   "mode, each taken within a round"
                   + (" (diff and the error against the native loop of the same process)"
                      if beside else "")
                   + " and its median over the rounds (a slow spell of the machine moves a "
                   "round's cells together).")
        out.append("")
    def budget(f):
        """The largest cost per op that, added to every backend alike, keeps
        each one's ratio to mimalloc within 5% of its native ratio, and the
        backend that sets it; None when no backend bounds it."""
        m, best = col(f, "mimalloc", "native"), None
        for b in NATIVE_BACKENDS:
            n = col(f, b, "native")
            if not n or not m or b == "mimalloc":
                continue
            # (n+d)/(m+d) against n/m: rises towards 1 when n < m, falls when n > m
            den = m - 1.05 * n if n < m else 0.95 * n - m
            if den > 0:
                d = 0.05 * n * m / den
                if best is None or d < best[0]:
                    best = (d, b)
        return best

    diffs = {}  # (family, backend): the paired difference heapbench - native

    def pairs_within(f, mode):
        """(pairs of backends whose ratio in `mode` is within 5% of their native
        ratio, pairs measured, the worst pair and its error), paired by round."""
        ok, n, worst = 0, 0, None
        for i, a in enumerate(NATIVE_BACKENDS):
            for b in NATIVE_BACKENDS[i + 1:]:
                e = paired(err, at(f, a, mode), at(f, b, mode), nat(f, a, mode),
                           nat(f, b, mode))
                if e is None:
                    continue
                n += 1
                ok += abs(e) <= 0.05
                if worst is None or abs(e) > abs(worst[1]):
                    worst = (f"{a}/{b}", e)
        return ok, n, worst

    def pairs_text(f):
        (ho, hn, hw), (to, tn, tw) = pairs_within(f, "heapbench"), pairs_within(f, "table")
        if not hn or not tn:
            return None
        return (f"Of the {hn} pairs of backends, {ho} keep their native ratio within 5% through "
                f"heapbench (worst {hw[0]}, {hw[1]:+.1%}); with no books at all (table: the "
                f"loading and this machine alone) {to} of {tn} do (worst {tw[0]}, "
                f"{tw[1]:+.1%}).")

    def replay_text(f):
        ro, rn_, rw = pairs_within(f, "replay")
        ds = [paired(lambda x, y: x - y, at(f, b, "replay"), nat(f, b, "replay"))
              for b in NATIVE_BACKENDS]
        ds = [d for d in ds if d is not None]
        if not rn_ or not ds:
            return None
        return (f"Through the whole replay (the trace's ops decoded, the register file, every "
                f"new block written), heapbench adds {min(ds):+.2f} to {max(ds):+.2f} ns per "
                f"{'churn op (a free and an allocation: two trace ops)' if f == 'churn' else 'pair (two trace ops)'} "
                f"to a native loop that writes its blocks as the replay does; {ro} of the "
                f"{rn_} pairs of backends keep their native ratio within 5% (worst {rw[0]}, "
                f"{rw[1]:+.1%}).")

    def budget_text(f):
        bd = budget(f)
        ds = [d for (ff, _), d in diffs.items() if ff == f and d == d]
        if bd is None or not ds:
            return None
        return (f"On {f}, every ratio to mimalloc stays within 5% of its native value only if "
                f"heapbench adds at most {bd[0]:.2f} ns per op to every backend alike ({bd[1]} "
                f"sets that bound); it adds {min(ds):+.2f} to {max(ds):+.2f}.")

    def paired_row(f, b, m):
        """Mode m's figures for backend b, each taken within a round and its
        median over the rounds (nan where no round has them): the difference
        against its native loop, the native and the mode's ratio to
        mimalloc, and the error of that ratio."""
        got = (paired(lambda x, y: x - y, at(f, b, m), nat(f, b, m)),
               paired(ratio, nat(f, b, m), nat(f, "mimalloc", m)),
               paired(ratio, at(f, b, m), at(f, "mimalloc", m)),
               paired(err, at(f, b, m), at(f, "mimalloc", m), nat(f, b, m),
                      nat(f, "mimalloc", m)))
        return tuple(float("nan") if v is None else v for v in got)

    def side_table(md_head, txt_head, got, txt):
        """A table beside the main one: its header (markdown or text), its
        rows and the sentence under it; [] without rows."""
        if not got:
            return []
        head = [md_head, "|---|---:|---:|---:|---:|---:|---:|"] if md else ["", txt_head]
        tail = (["", txt, ""] if md else [f"{'':7} {txt}"]) if txt else ([""] if md else [])
        return head + got + tail

    def alone_table(f):
        """The native loop and heapbench each alone in a process of its own
        (the library in the cache and the layout it has in production); the
        difference and the ratios paired by round; [] when not measured."""
        got, ds = [], []
        for b in NATIVE_BACKENDS:
            n, h = col(f, b, "alone"), col(f, b, "halone")
            if n is None or h is None:
                continue
            d, rn, rh, e = paired_row(f, b, "alone")
            ds.append(d)
            got.append(f"| {b} | {n:.2f} | {h:.2f} | {d:+.2f} | {rn:.3f} | {rh:.3f} | {e:+.1%} |"
                       if md else
                       f"{'':7} {b:9} {n:8.2f} {h:9.2f} {d:+7.2f} {'yes' if d <= 2 else 'no':>5} "
                       f"{rn:8.3f} {rh:8.3f} {e:+8.1%} {'yes' if abs(e) <= 0.05 else 'no':>5}")
        ok, npairs, worst = pairs_within(f, "alone")
        spread = [(max(v) - min(v)) / statistics.median(v)
                  for (ff, b, m, ln), v in by_cell.items()
                  if ff == f and m == "native" and ln == "native" and len(v) > 1]
        txt = None
        if npairs and ds:
            txt = (f"Each alone in a process of its own (as a program runs the library; the two "
                   f"processes' rounds paired), heapbench adds {min(ds):+.2f} to {max(ds):+.2f} "
                   f"ns per op; {ok} of the {npairs} pairs of backends keep their native ratio "
                   f"within 5% (worst {worst[0]}, {worst[1]:+.1%})"
                   + (f". The native loop alone moves from one process to the next by a median "
                      f"{statistics.median(spread):.0%} of its figure (most {max(spread):.0%}; "
                      f"(max − min) / median over the rounds), with nothing of heapbench in it: "
                      f"that is the floor of a comparison between processes, and why the "
                      f"criteria are read beside" if spread else "") + ".")
        return side_table(
            f"| {f}, each alone | native | heapbench | diff | /mi native | /mi heapbench "
            f"| hb ratio vs native |",
            f"{f:7} {'backend':9} {'n alone':>8} {'hb alone':>9} {'diff':>7} {'<=2ns':>5} "
            f"{'/mi nat':>8} {'/mi hb':>8} {'hb err':>8} {'<=5%':>5}", got, txt)

    def replay_table(f):
        """The whole replay against a native loop that writes its blocks as
        the replay does, beside it in one process; [] when not measured."""
        got = []
        for b in NATIVE_BACKENDS:
            w, r = col(f, b, "wnative"), col(f, b, "replay")
            if w is None or r is None:
                continue
            d, rn, rr, e = paired_row(f, b, "replay")
            got.append(f"| {b} | {w:.2f} | {r:.2f} | {d:+.2f} | {rn:.3f} | {rr:.3f} | {e:+.1%} |"
                       if md else
                       f"{'':7} {b:9} {w:8.2f} {r:8.2f} {d:+7.2f} {rn:8.3f} {rr:8.3f} "
                       f"{e:+8.1%} {'yes' if abs(e) <= 0.05 else 'no':>5}")
        return side_table(
            f"| {f}, blocks written | native | replay | diff | /mi native | /mi replay "
            f"| replay ratio vs native |",
            f"{f:7} {'backend':9} {'wnative':>8} {'replay':>8} {'diff':>7} {'/mi nat':>8} "
            f"{'/mi rep':>8} {'rep err':>8} {'<=5%':>5}", got, replay_text(f) if got else None)

    for f in FAMILIES:
        mn, mh = col(f, "mimalloc", "native"), col(f, "mimalloc", "heapbench")
        if md:
            out.append(f"| {f} | native | table | heap | heapbench | diff "
                       f"| /mi native | /mi table | /mi heapbench | hb ratio vs native |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        else:
            out.append("")
            out.append(f"{f:7} {'backend':9} {'native':>8} {'table':>8} "
                       f"{'heap':>8} {'heapbench':>9} {'diff':>7} {'<=2ns':>5} "
                       f"{'/mi nat':>8} {'/mi tab':>8} {'/mi hb':>8} {'tab err':>8} "
                       f"{'hb err':>8} {'<=5%':>5}")
        for b in NATIVE_BACKENDS:
            n, t, a, h = (col(f, b, m) for m in MODES)
            if n is None or h is None or not mn or not mh:
                problems += 1
                if md:
                    out.append(f"| {b} | not measured | | | | | | | | |")
                else:
                    out.append(f"{'':7} {b:9} NOT MEASURED (no native or heapbench sample)")
                continue
            rn = paired(ratio, nat(f, b, "heapbench"), nat(f, "mimalloc", "heapbench"))
            rh = paired(ratio, at(f, b, "heapbench"), at(f, "mimalloc", "heapbench"))
            rt = paired(ratio, at(f, b, "table"), at(f, "mimalloc", "table"))
            eh = paired(err, at(f, b, "heapbench"), at(f, "mimalloc", "heapbench"),
                        nat(f, b, "heapbench"), nat(f, "mimalloc", "heapbench"))
            et = paired(err, at(f, b, "table"), at(f, "mimalloc", "table"),
                        nat(f, b, "table"), nat(f, "mimalloc", "table"))
            dh = paired(lambda x, y: x - y, at(f, b, "heapbench"), nat(f, b, "heapbench"))
            rn, rh, rt, eh, et, dh = (float("nan") if v is None else v
                                      for v in (rn, rh, rt, eh, et, dh))
            diffs[(f, b)] = dh
            fmt = lambda v, w=8: f"{v:{w}.2f}" if v is not None else f"{'-':>{w}}"
            if md:
                out.append(f"| {b} | {n:.2f} | {fmt(t, 0)} | {fmt(a, 0)} "
                           f"| {h:.2f} | {dh:+.2f} "
                           f"| {rn:.3f} | {rt:.3f} | {rh:.3f} | {eh:+.1%} |")
            else:
                out.append(f"{'':7} {b:9} {n:8.2f} {fmt(t)} {fmt(a)} {h:9.2f} "
                           f"{dh:+7.2f} {'yes' if dh <= 2 else 'no':>5} {rn:8.3f} "
                           f"{rt:8.3f} {rh:8.3f} {et:+8.1%} {eh:+8.1%} "
                           f"{'yes' if abs(eh) <= 0.05 else 'no':>5}")
        bt = budget_text(f)
        pt = pairs_text(f)
        if md:
            out.append("")
            for x in (bt, pt):
                if x:
                    out.append(x)
                    out.append("")
        else:
            for x in (bt, pt):
                if x:
                    out.append(f"{'':7} {x}")
        out += alone_table(f)
        out += replay_table(f)
    if md:
        books = []
        for f in FAMILIES:
            for b in NATIVE_BACKENDS:
                d = {m: paired(lambda x, y: x - y, at(f, b, m), nat(f, b, m))
                     for m in ("table", "heap", "heapbench")}
                if None not in d.values():
                    books.append((d["table"], d["heapbench"] - d["table"],
                                  d["heap"] - d["table"]))
        if books:
            q = lambda i: statistics.median(x[i] for x in books)
            out.append(f"Where heapbench's cost goes (medians over the rows above): the table "
                       f"call against the native loop {q(0):+.2f} ns per op; the replay's books, "
                       f"planned off the clock, {q(1):+.2f} (heapbench against table); the same "
                       f"books kept on the clock in the heap, as the collectors keep them (live "
                       f"bytes, one compare for the peak, limit and watch; size 0; the watch's "
                       f"flag; the test for NULL) {q(2):+.2f}.")
            out.append("")
        return out, problems
    out.append("")
    out.append("the same cells, minimum over the rounds (the least disturbed sample):")
    for f in FAMILIES:
        out.append(f"{f:7} {'backend':9} {'native':>8} {'table':>8} {'heap':>8} "
                   f"{'heapbench':>9} {'diff':>7} {'/mi nat':>8} {'/mi hb':>8} {'hb err':>8}")
        mn, mh = col(f, "mimalloc", "native", cell_lo), col(f, "mimalloc", "heapbench", cell_lo)
        for b in NATIVE_BACKENDS:
            n, t, a, h = (col(f, b, m, cell_lo) for m in MODES)
            if n is None or h is None or not mn or not mh:
                continue
            rn, rh = n / mn, h / mh
            fmt = lambda v: f"{v:8.2f}" if v is not None else f"{'-':>8}"
            out.append(f"{'':7} {b:9} {n:8.2f} {fmt(t)} {fmt(a)} {h:9.2f} "
                       f"{h - n:+7.2f} {rn:8.3f} {rh:8.3f} {rh / rn - 1:+8.1%}")
    out.append("")
    out += spread_lines(by_cell, "/".join)
    head = [f"heapbench-native: median ns per op over {rounds} rounds, cells shuffled per round "
            f"(seed {seed})" + (f", {span_text(span, '-')}" if span else ""),
            "  native    = plain malloc/free loop, the library under LD_PRELOAD "
            "(pool, bump: their table, boehm: libgc's two functions; no al_heap)",
            "  table     = the call al_alloc makes (peers: the library's malloc/free from "
            "dlopen, called directly), no books",
            "  heap      = al_alloc/al_free, the books in the al_heap (the collectors' path): "
            "table + live bytes + one compare for the peak, limit, watch; size 0; free of NULL; "
            "the watch's flag",
            "  heapbench = the allocator-trace replay's path: the table call on the al_heap, the "
            "books planned from the stream before each batch is timed, written after it; "
            "diff = heapbench - native",
            "  /mi = ratio to mimalloc in the same mode; err = (/mi mode) / (/mi nat) - 1;",
            "  diff, /mi and err are taken within each round (its cells run within seconds",
            "  of each other) and their median over the rounds is printed"]
    if beside:
        head.insert(1, "  every mode but native ran in one process beside a native loop of its own, "
                       "interleaved batch by batch (two live sets in churn's); diff and err are "
                       "taken against that loop (native = the loop beside heapbench); the native "
                       "loop and heapbench also ran each alone in a process of its own (n alone, "
                       "hb alone)")
        head.insert(2, "  replay    = the allocator-trace replay itself (hb_alloc_plan, "
                       "hb_alloc_replay: the stream as a trace's ops, decoded, the register file), "
                       "which writes every new block whole; wnative = the native loop beside it, "
                       "writing its blocks whole likewise (memset)")
    return head + out, problems


def gcbench(d, md):
    rows, samples, med, rounds, seed, scale, span = sampled(
        os.path.join(d, "gcbench_native.csv"), lambda r: (r["collector"], r["mode"]), "seconds")
    out, problems = [], 0
    if md:
        out.append(f"**GCBench natively and replayed** (`scripts/compare.sh --parts e`, "
                   f"`heapbench-gcbench`): GCBench written in C against the collector table "
                   f"(native), its op stream through the interpreter (replay) and "
                   f"`heapbench run -w gcbench` (run) at scale {scale}, allocator pool (boehm "
                   f"and boehm-incremental: their own); median seconds over {rounds} rounds, cells shuffled per round "
                   f"(seed {seed})" + (f", {span_text(span, '–')}" if span else "") + ".")
        out.append("")
        out.append("| collector | native s | replay s | run s | replay/native | run/native |")
        out.append("|---|---:|---:|---:|---:|---:|")
    else:
        out.append(f"GCBench at scale {scale}: median seconds over {rounds} rounds, cells "
                   f"shuffled per round (seed {seed})"
                   + (f", {span_text(span, '-')}" if span else "") +
                   "; allocator pool (boehm and boehm-incremental: their own)")
        out.append("  native = C calling the collector table (new_obj, field_store, reg_write), "
                   "no op stream")
        out.append("  replay = the gcbench op stream through hb_replay, chunk by chunk "
                   "(untimed generation)")
        out.append("  run    = heapbench run -w gcbench, its wall_s")
        out.append(f"{'collector':17} {'native':>8} {'replay':>8} {'run':>8} "
                   f"{'replay/native':>13} {'<=1.5x':>6} {'run/native':>10}")
    for c in COLLS:
        n, rp, rn = (med.get((c, m)) for m in ("native", "replay", "run"))
        if n is None or rp is None:
            problems += 1
            out.append(f"| {c} | not measured | | | | |" if md else f"{c:17} NOT MEASURED")
            continue
        if md:
            rs = f"{rn:.3f}" if rn is not None else "-"
            rr = f"{rn / n:.2f}" if rn is not None else "-"
            out.append(f"| {c} | {n:.3f} | {rp:.3f} | {rs} | {rp / n:.2f} | {rr} |")
        else:
            rs = f"{rn:8.3f}" if rn is not None else f"{'-':>8}"
            rr = f"{rn / n:10.2f}" if rn is not None else f"{'-':>10}"
            out.append(f"{c:17} {n:8.3f} {rp:8.3f} {rs} {rp / n:13.2f} "
                       f"{'yes' if rp / n <= 1.5 else 'no':>6} {rr}")
    g, bn = med.get(("boehm", "libgc")), med.get(("boehm", "native"))
    if g and bn:
        line = (f"boehm on libgc directly (classic GCBench: GC_malloc of 24-byte nodes, C "
                f"locals as roots): {g:.3f} s; native on the tables / this = {bn / g:.2f}x")
        out += ["", "B" + line[1:] + "."] if md else [line]
    if md:
        out.append("")
    return out, problems


def threads(d, md):
    """Part f: per (family, backend, threads) the median ns per op natively,
    in table mode and through heapbench's threaded replay, diff and ratio
    heapbench/native; on the 2-thread row, the scaling from 1 thread (ns per
    op at 1 thread / at 2 threads) natively and through heapbench."""
    rows, samples, med, rounds, seed, scale, span = sampled(
        os.path.join(d, "threads.csv"),
        lambda r: (r["family"], r["backend"], r["threads"], r["mode"]), "ns_per_op")
    out, problems = [], 0
    if md:
        out.append(f"**heapbench's cost per op on threads** (`scripts/compare.sh --parts f`, "
                   f"`heapbench-native`): the op streams of larson, xmalloc and cache-scratch at "
                   f"scale {scale} on 1 and 2 threads, run natively (the same per-thread ops on "
                   f"pthreads calling malloc/free, the peer under LD_PRELOAD; pool and bump "
                   f"through their table), through the table and through heapbench's threaded "
                   f"replay; median ns per op (wall time of the threaded phase over every "
                   f"thread's ops) over {rounds} rounds, cells shuffled per round (seed {seed})"
                   + (f", {span_text(span, '–')}" if span else "") +
                   ". scaling = ns per op at 1 thread / at 2 threads (2.00: twice the "
                   "throughput).")
        out.append("")
        out.append("| family | backend | threads | native | table | heapbench | diff | hb/native "
                   "| scaling native | scaling heapbench |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    else:
        out.append(f"heapbench-native, threaded families at scale {scale}: median ns per op over "
                   f"{rounds} rounds, cells shuffled per round (seed {seed})"
                   + (f", {span_text(span, '-')}" if span else ""))
        out.append("  native    = the per-thread ops on N pthreads calling malloc/free, the "
                   "library under LD_PRELOAD (pool, bump: their table)")
        out.append("  table     = the same loop calling the library's malloc/free through "
                   "heapbench's pointer (dlopen)")
        out.append("  heapbench = the threaded replay (hb_tvm_run) on an al_heap; diff = "
                   "heapbench - native, hb/nat = heapbench / native")
        out.append("  ns per op = wall time of the threaded phase / every thread's ops; "
                   "scal = ns per op at 1 thread / at 2 (2.00: twice the throughput)")
        out.append(f"{'family':13} {'backend':9} {'thr':>3} {'native':>8} {'table':>8} "
                   f"{'heapbench':>9} {'diff':>8} {'hb/nat':>7} {'scal nat':>8} {'scal hb':>8}")
    for f in THREADED:
        for b in BACKENDS:
            for t in THREADS:
                n, tb, h = (med.get((f, b, t, m)) for m in ("native", "table", "heapbench"))
                if n is None or h is None:
                    problems += 1
                    out.append(f"| {f} | {b} | {t} | not measured | | | | | | |" if md else
                               f"{f:13} {b:9} {t:>3} NOT MEASURED (no native or heapbench "
                               "sample)")
                    continue
                n1, h1 = med.get((f, b, "1", "native")), med.get((f, b, "1", "heapbench"))
                sn = n1 / n if t != "1" and n1 else None
                sh = h1 / h if t != "1" and h1 else None
                if md:
                    fm = lambda v, p=2: f"{v:.{p}f}" if v is not None else "-"
                    out.append(f"| {f} | {b} | {t} | {n:.2f} | {fm(tb)} | {h:.2f} | {h - n:+.2f} "
                               f"| {h / n:.3f} | {fm(sn)} | {fm(sh)} |")
                else:
                    fm = lambda v, w: f"{v:{w}.2f}" if v is not None else f"{'-':>{w}}"
                    out.append(f"{f:13} {b:9} {t:>3} {n:8.2f} {fm(tb, 8)} {h:9.2f} "
                               f"{h - n:+8.2f} {h / n:7.3f} {fm(sn, 8)} {fm(sh, 8)}")
    if md:
        out.append("")
    elif samples:
        out.append("")
        out += spread_lines(samples, lambda k: f"{k[0]}/{k[1]}/{k[2]}t/{k[3]}")
    return out, problems


def took(d):
    """The main job's time for parts d and e (DIR/time.csv), as a sentence."""
    path = os.path.join(d, "time.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r.get("step") == "compare":
                return [f"Parts d and e took {float(r['seconds']):.0f} s of the main job "
                        f"(load average {r.get('load1') or '-'} at the end).", ""]
    return []


def readme(run):
    """README's fragment for a main-job folder: both tables from RUN/compare,
    or nothing when the run has no compare folder.  Always exit 0."""
    d = os.path.join(run, "compare")
    out = []
    if os.path.exists(os.path.join(d, "native.csv")):
        out += ["", "### heapbench's own cost, from this run", ""] + native(d, True)[0]
    if os.path.exists(os.path.join(d, "gcbench_native.csv")):
        out += gcbench(d, True)[0] + took(d)
    while out and out[-1] == "":
        out.pop()
    if out:
        print("\n".join(out))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "readme":
        return readme(argv[2])
    tables = {"native": native, "gcbench": gcbench, "threads": threads}
    if len(argv) < 3 or argv[1] not in tables or argv[3:] not in ([], ["--markdown"]):
        print("usage: compare_tables.py native|gcbench|threads DIR [--markdown] | readme RUN",
              file=sys.stderr)
        return 2
    md = argv[3:] != []
    lines, problems = tables[argv[1]](argv[2], md)
    if md and argv[1] == "gcbench":
        lines += took(argv[2])
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

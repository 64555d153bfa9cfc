#!/usr/bin/env python3
"""scripts/cpython_replay.py -- replays a heapbench op-stream trace in CPython.

The reference point for rc-cycle: the same op stream (a trace file of kind 1,
format in harness/formats/trace.h) builds the same object graph out of CPython
objects, so CPython's own reference counting and cycle collector (pymalloc
underneath) do the work our collectors do, and the rows come out in
heapbench's schema (results/README.md) with allocator `pymalloc` and
collector `cpython`.

Mapping of the object model (harness/core/object.h) onto CPython objects:
  CONTAINER, or ARRAY with slots   a list of exactly nrefs slots (None = NULL);
      with a payload, an instance of a list subclass (__slots__ = payload)
      whose `payload` is a bytearray of that size (the C payload sits in the
      object's own block; CPython has no inline payload for a list)
  LEAF with payload p > 0          bytes of length p (immutable, one block:
      the str/bytes of a Python heap)
  LEAF with payload 0              a bare object() (a new 16-byte object, as
      the C side allocates one; small ints and b'' would be shared singletons)
  ARRAY without slots              a bytearray of the payload size
  HB_F_FINALIZER                   the same, from a subclass whose __del__
      counts (a module-level counter), so finalizers_run is exact
Registers are a Python list, frozen out of the collector's view (gc.freeze)
as the C registers are roots outside the heap: what they hold counts as an
outside reference, exactly as in rc-cycle.  Everything the interpreter and
this script hold (modules, the decoded ops) is frozen too, so collections
traverse the trace's objects only, as the C collectors do.

Op semantics are harness/core/ops.h and harness/run/replay.c: a SET or GET on an
empty register or past the slots, a TOUCH of an empty register or of an
object with no payload, and allocator-trace ops count as no-ops.  TOUCH
writes min(bytes, payload) bytes into bytearray payloads; a TOUCH of a bytes
leaf is counted (not a no-op) but writes nothing, bytes being immutable.

Timing: the whole file is read, checked (magic, version, kind, checksum) and
validated and the ops decoded before the clock starts; the replay loop is
timed with time.perf_counter_ns; every collection (automatic or COLLECT) is
timed by gc.callbacks start/stop and is a pause on the replay timeline.
Reference-count frees are not visible to CPython's hooks, so pauses here are
collections only (rc-cycle also reports reference-count cascades, by the
pause rule: GC_RC_PAUSE_RULE in collectors/collector.h, quoted in
README.md).  Each
repetition runs in a fork of the decoded state (fresh heap, own peak RSS),
as heapbench runs each in a fresh process.

Bad input: a message naming the value and what was expected, exit 2.
"""

import argparse
import bisect
import gc
import json
import os
import platform
import re
import struct
import sys
import time

# ---- the trace format (harness/formats/trace.h) -------------------------------

MAGIC = b"HBTRACE\0"
VERSION = 1
KIND_OPS, KIND_ALLOC = 1, 2
HEADER = struct.Struct("<8sIIIIQQd16s")  # 64 bytes
OP = struct.Struct("<BBBBIII")           # 16 bytes, struct hb_op
assert HEADER.size == 64 and OP.size == 16

NEW, SET, GET, MOV, DROP, TOUCH, COLLECT, PHASE, MALLOC, FREE, REALLOC, RESIZE = range(1, 13)
OP_NAMES = {NEW: "NEW", SET: "SET", GET: "GET", MOV: "MOV", DROP: "DROP", TOUCH: "TOUCH",
            COLLECT: "COLLECT", PHASE: "PHASE", MALLOC: "MALLOC", FREE: "FREE",
            REALLOC: "REALLOC", RESIZE: "RESIZE"}
SETNIL = 100  # internal: SET with s == HB_NIL, resolved at decode time
NIL = 0xFFFFFFFF
MAX_REGISTERS = 1 << 26  # as harness/formats/trace.h: more is taken for a corrupt header
LEAF, CONTAINER, ARRAY = 0, 1, 2
F_FINALIZER = 1

# FNV-1a 64, bit-identical with harness/core/hash.h (HB_FNV_OFFSET, HB_FNV_PRIME).
FNV_OFFSET, FNV_PRIME, MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


class TraceError(Exception):
    """Bad input: the message names the value and what was expected."""


def fnv1a64(data, end=None, pure=False):
    """FNV-1a 64 of data[:end] (all of data when end is None), as
    harness/core/hash.h's hb_fnv1a from HB_FNV_OFFSET: the one checksum of a
    trace file.  Through a C helper when a compiler is around (the pure
    Python loop costs about 0.1 us a byte), the loop itself when there is
    none, when HB_REPLAY_PURE_FNV is set, or with pure=True (tests)."""
    end = len(data) if end is None else end
    fast = None if pure else _fast_fnv()
    if fast is not None:
        return fast(data, end)
    h = FNV_OFFSET
    for byte in memoryview(data)[:end]:
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


_FAST = []


def _fast_fnv():
    """fnv1a64's loop compiled once into a temp dir (ctypes), from the same
    constants; None when there is no cc."""
    if _FAST:
        return _FAST[0]
    _FAST.append(None)
    if os.environ.get("HB_REPLAY_PURE_FNV"):
        return None
    import ctypes
    import subprocess
    import tempfile
    src = ("#include <stdint.h>\n#include <stddef.h>\n"
           "uint64_t hb_fnv(const unsigned char *p, size_t n) {\n"
           f"  uint64_t h = {FNV_OFFSET:#x}ull;\n"
           f"  for (size_t i = 0; i < n; i++) {{ h ^= p[i]; h *= {FNV_PRIME:#x}ull; }}\n"
           "  return h; }\n")
    try:
        d = tempfile.mkdtemp(prefix="hb_fnv")
        c, so = os.path.join(d, "fnv.c"), os.path.join(d, "fnv.so")
        with open(c, "w") as f:
            f.write(src)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, c], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lib = ctypes.CDLL(so)
        lib.hb_fnv.restype = ctypes.c_uint64
        lib.hb_fnv.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

        def fast(buf, end):
            return lib.hb_fnv(bytes(buf[:end]) if not isinstance(buf, bytes) else buf, end)
        _FAST[0] = fast
    except (OSError, subprocess.SubprocessError):
        pass
    return _FAST[0]


def read_trace(path):
    """Reads and checks a trace file; returns (header dict, raw op tuples)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceError(f"cannot read trace '{path}': {e.strerror}")
    if len(data) < HEADER.size + 8:
        raise TraceError(f"'{path}' is {len(data)} bytes, expected at least 72 "
                         "(a 64-byte header and an 8-byte checksum)")
    magic, version, kind, nregs, flags, n, seed, scale, source = HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise TraceError(f"'{path}' starts with {magic!r}, expected the magic b'HBTRACE\\x00'")
    if version != VERSION:
        raise TraceError(f"'{path}' byte 8: format version {version}, expected {VERSION}")
    if kind != KIND_OPS:
        what = "an allocator trace (MALLOC/FREE/REALLOC)" if kind == KIND_ALLOC else "unknown"
        raise TraceError(f"'{path}' byte 12: kind {kind} ({what}), expected kind 1 (an op stream)")
    if not 1 <= nregs <= MAX_REGISTERS:
        raise TraceError(f"'{path}' byte 16: {nregs} registers, expected 1..{MAX_REGISTERS}")
    if flags != 0:
        raise TraceError(f"'{path}' byte 20: header flags {flags:#x}, expected 0")
    if not 0 <= scale <= 1e9:
        raise TraceError(f"'{path}' byte 40: scale {scale}, expected a number from 0 to 1e9")
    name = source.rstrip(b"\0")
    if b"\0" in name or any(ch < 0x20 or ch > 0x7E for ch in name):
        raise TraceError(f"'{path}' byte 48: source name {source!r}, expected printable ASCII "
                         "padded with NUL")
    want = HEADER.size + 16 * n + 8
    if len(data) != want:
        raise TraceError(f"'{path}' is {len(data)} bytes, expected {want} for its op count {n}")
    end = HEADER.size + 16 * n
    (stored,) = struct.unpack_from("<Q", data, end)
    got = fnv1a64(data, end)
    if got != stored:
        raise TraceError(f"'{path}': checksum {stored:#018x} in the file, but its bytes hash to "
                         f"{got:#018x} (FNV-1a 64): the file is corrupt or truncated")
    hdr = {"registers": nregs, "ops": n, "seed": seed, "scale": scale,
           "source": source.rstrip(b"\0").decode("utf-8", "replace")}
    return hdr, list(OP.iter_unpack(memoryview(data)[HEADER.size:end]))


# ---- the object model in CPython --------------------------------------

FINALIZED = [0]  # finalizers run, by the __del__ methods below


class PList(list):
    """A container or array with slots and a payload."""
    __slots__ = ("payload",)


class FinList(list):
    """A container or array with slots and a finalizer (payload may be None)."""
    __slots__ = ("payload",)

    def __del__(self):
        FINALIZED[0] += 1


class FinBytes(bytes):
    __slots__ = ()

    def __del__(self):
        FINALIZED[0] += 1


class FinBytearray(bytearray):
    __slots__ = ()

    def __del__(self):
        FINALIZED[0] += 1


class FinLeaf0:
    __slots__ = ()

    def __del__(self):
        FINALIZED[0] += 1


# What a NEW op makes, decided at decode time (the C side's switch on kind
# is inside new_obj; here it is a small integer the loop branches on).
MK_LIST, MK_PLIST, MK_BYTES, MK_LEAF0, MK_ARRAY = 0, 1, 2, 3, 4
MK_FLIST, MK_FBYTES, MK_FLEAF0, MK_FARRAY = 5, 6, 7, 8


def maker(kind, flags, nrefs, payload):
    fin = bool(flags & F_FINALIZER)
    if kind == LEAF:
        if payload == 0:
            return MK_FLEAF0 if fin else MK_LEAF0
        return MK_FBYTES if fin else MK_BYTES
    if kind == ARRAY and nrefs == 0:
        return MK_FARRAY if fin else MK_ARRAY
    if fin:
        return MK_FLIST
    return MK_PLIST if payload else MK_LIST


def model_bytes(mk, nrefs, payload):
    """Bytes CPython requests for one NEW (sys.getsizeof, which counts the GC
    header of tracked objects and a list's item array), payload included."""
    if mk == MK_LIST:
        return sys.getsizeof([None] * nrefs)
    if mk in (MK_PLIST, MK_FLIST):
        o = PList([None] * nrefs)  # FinList's layout; an instance would count a finalizer
        extra = sys.getsizeof(bytearray(payload)) if payload else 0
        o.payload = None
        return sys.getsizeof(o) + extra
    if mk == MK_BYTES:
        return sys.getsizeof(bytes(payload))
    if mk == MK_FBYTES:
        return sys.getsizeof(b"") + payload  # a subclass's instance: base size + data
    if mk in (MK_LEAF0, MK_FLEAF0):
        return sys.getsizeof(object())
    return sys.getsizeof(bytearray(payload))


def validate(raw, nregs):
    """harness/core/ops.c's hb_ops_validate, plus decoding into the loop's tuples
    (code, a, b, c, x): x is the maker for NEW, the fill byte for TOUCH."""
    ops = []
    nbytes = 0
    sizes = {}
    for i, (code, kind, flags, spare, a, b, c) in enumerate(raw):
        why = None
        if code == 0 or code > RESIZE:
            why = f"unknown op code {code}, expected 1..{RESIZE}"
        elif MALLOC <= code <= REALLOC:
            why = "an allocator-trace op, not allowed in an op stream (kind 1), expected NEW..PHASE"
        elif spare:
            why = f"nonzero spare byte {spare}"
        elif code in (NEW, DROP, TOUCH, MALLOC, FREE, REALLOC, RESIZE) and a >= nregs:
            why = f"register a={a} past the register file of {nregs}"
        elif code == SET and (a >= nregs or (c != NIL and c >= nregs)):
            why = f"register a={a} or s={c} past the register file of {nregs}"
        elif code in (GET, MOV) and (a >= nregs or b >= nregs):
            why = f"register a={a} or b={b} past the register file of {nregs}"
        elif code == NEW:
            if kind > ARRAY:
                why = f"unknown object kind {kind}, expected 0..2"
            elif kind == LEAF and b:
                why = f"leaf object with {b} reference slots, expected 0"
            elif flags & ~F_FINALIZER:
                why = f"unknown object flags {flags:#x}, expected 0 or 1"
            elif b > (1 << 28) or c > (1 << 30):
                why = "object larger than 3 GiB"
        elif code == RESIZE and c > (1 << 28):
            why = "object larger than 3 GiB"
        if why:
            raise TraceError(f"byte {HEADER.size + 16 * i}: op {i} ({OP_NAMES.get(code, '?')} "
                             f"a={a} b={b} c={c}): {why}")
        if code == NEW:
            mk = maker(kind, flags, b, c)
            key = (mk, b, c)
            size = sizes.get(key)
            if size is None:
                size = sizes[key] = model_bytes(mk, b, c)
            nbytes += size
            ops.append((NEW, a, b, c, mk))
        elif code == SET and c == NIL:
            ops.append((SETNIL, a, b, 0, 0))
        else:
            ops.append((code, a, b, c, kind))
    return ops, nbytes


# ---- the replay loop (timed) -------------------------------------------

def touch(o, n, fills):
    """TOUCH semantics on one object; returns 1 when it was a no-op."""
    if isinstance(o, list):
        p = getattr(o, "payload", None)
    elif isinstance(o, bytearray):
        p = o
    elif isinstance(o, bytes):
        return 0 if len(o) else 1  # immutable: counted, not written
    else:
        return 1  # empty register, or a leaf with no payload
    if not p:
        return 1
    k = n if n < len(p) else len(p)
    p[:k] = fills[:k]
    return 0


def resize(regs, a, n):
    """RESIZE (harness/core/ops.h): a list held by the register alone grows or
    shrinks in place (list_resize: one realloc of its items, no count
    changes); one held elsewhere too is copied, as the op's value semantics
    say.  Returns 1 for a no-op (not a list, or a finalizer object)."""
    o = regs[a]
    if not isinstance(o, list) or isinstance(o, FinList):
        return 1
    if sys.getrefcount(o) <= 3:  # regs[a], o, and the call's argument
        if n < len(o):
            del o[n:]
        else:
            o.extend([None] * (n - len(o)))
        return 0
    items = o[:n] + [None] * (n - len(o)) if n > len(o) else o[:n]
    if type(o) is PList:
        c = PList(items)
        c.payload = bytearray(o.payload)
        items = c
    regs[a] = items
    return 0


def replay(ops, regs, fill_views):
    """Runs the ops over regs; returns the no-op count."""
    noops = 0
    PList_, FinList_, FinBytes_, FinBytearray_, FinLeaf0_ = PList, FinList, FinBytes, \
        FinBytearray, FinLeaf0
    collect = gc.collect
    for code, a, b, c, x in ops:
        if code == NEW:
            if x == MK_LIST:
                regs[a] = [None] * b
            elif x == MK_BYTES:
                regs[a] = bytes(c)
            elif x == MK_PLIST:
                o = PList_([None] * b)
                o.payload = bytearray(c)
                regs[a] = o
            elif x == MK_LEAF0:
                regs[a] = object()
            elif x == MK_ARRAY:
                regs[a] = bytearray(c)
            elif x == MK_FLIST:
                o = FinList_([None] * b)
                o.payload = bytearray(c) if c else None
                regs[a] = o
            elif x == MK_FBYTES:
                regs[a] = FinBytes_(c)
            elif x == MK_FARRAY:
                regs[a] = FinBytearray_(c)
            else:
                regs[a] = FinLeaf0_()
        elif code == SET:
            o = regs[a]
            if isinstance(o, list) and b < len(o):
                o[b] = regs[c]
            else:
                noops += 1
        elif code == SETNIL:
            o = regs[a]
            if isinstance(o, list) and b < len(o):
                o[b] = None
            else:
                noops += 1
        elif code == DROP:
            regs[a] = None
        elif code == GET:
            o = regs[b]
            if isinstance(o, list) and c < len(o):
                regs[a] = o[c]
            else:
                noops += 1
        elif code == MOV:
            regs[a] = regs[b]
        elif code == TOUCH:
            noops += touch(regs[a], c, fill_views[x])
        elif code == RESIZE:
            noops += resize(regs, a, c)
        elif code == COLLECT:
            collect()
        elif code == PHASE:
            pass
        else:
            noops += 1  # allocator-trace ops mean nothing here
    return noops


# ---- figures -----------------------------------------------------------

def row_fields():
    """rows.csv's columns, in order, and those that hold text: read from the
    one field list, HB_ROW_FIELDS in harness/formats/results.h, so a column
    added there is written here too (empty: not measured) without a second
    list to keep in step."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                        "harness", "formats", "results.h")
    with open(path) as f:
        text = f.read()
    start = text.index("#define HB_ROW_FIELDS(X)")
    block = text[start:text.index("\n\n", start)]
    cols = re.findall(r"X\((STR|F64|U64),\s*(\w+)\)", block)
    if not cols:
        sys.exit("cpython_replay.py: no columns found in %s (HB_ROW_FIELDS)" % path)
    return [name for _, name in cols], {name for kind, name in cols if kind == "STR"}


FIELDS, STR_FIELDS = row_fields()
GC_HEAD_BYTES = 16  # PyGC_Head on a 64-bit build: CPython's per-object collector header


def nearest_rank(sorted_ns, q):
    """The ceil(q n)-th smallest, as the C histogram ranks (exact here)."""
    if not sorted_ns:
        return 0
    k = max(1, -(-int(q * len(sorted_ns) * 1000000) // 1000000))
    return sorted_ns[min(k, len(sorted_ns)) - 1]


def mmu(pauses, run_ns, w):
    """Minimum mutator utilisation for windows of w ns, as harness/run/metrics.c:
    windows starting at a pause start or ending at a pause end, moved inside
    [0, run]; pauses are (start, end) on the timeline, sorted, disjoint."""
    if run_ns <= 0:
        return 1.0
    clipped = [(min(s, run_ns), min(e, run_ns)) for s, e in pauses]
    whole = sum(e - s for s, e in clipped)
    if whole == 0:
        return 1.0
    if w >= run_ns:
        return (run_ns - whole) / run_ns
    starts = [s for s, _ in clipped]
    ends = [e for _, e in clipped]
    prefix = [0]
    for s, e in clipped:
        prefix.append(prefix[-1] + e - s)

    def paused_upto(x):
        j = bisect.bisect_right(ends, x)  # pauses ending at or before x
        part = 0
        if j < len(starts) and starts[j] < x:
            part = x - starts[j]
        return prefix[j] + part

    worst = 0
    for s, e in clipped:
        for t in (min(s, run_ns - w), max(e - w, 0)):
            worst = max(worst, paused_upto(t + w) - paused_upto(t))
    return (w - worst) / w


def peak_rss_reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def minor_faults():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cpu_usage():
    """(CPU seconds, user and system, and involuntary context switches) of
    the process so far, as heapbench reads them beside its timed spans."""
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_nivcsw


# ---- one repetition ----------------------------------------------------

def workload_name(hdr):
    """As heapbench names a replayed trace in its rows."""
    return "trace:" + hdr["source"]


def run_rep(ops, hdr, nbytes, rep_index, fill_views):
    """One repetition in this process; returns the row as a dict."""
    nregs = hdr["registers"]
    regs = [None] * max(nregs, 1)
    gc.collect()
    gc.freeze()  # the registers and everything before them: roots, never traversed
    log = []  # (start_ns, end_ns, generation)
    now = time.perf_counter_ns

    def on_gc(phase, info):
        if phase == "start":
            log.append([now(), 0, info["generation"]])
        else:
            log[-1][1] = now()

    FINALIZED[0] = 0
    peak_rss_reset()
    faults0 = minor_faults()
    use0 = cpu_usage()
    gc.callbacks.append(on_gc)
    t0 = now()
    noops = replay(ops, regs, fill_views)
    t1 = now()
    gc.callbacks.remove(on_gc)
    use1 = cpu_usage()
    faults = minor_faults() - faults0
    rss = peak_rss_bytes()
    finalized = FINALIZED[0]

    wall_ns = t1 - t0
    durs = sorted(e - s for s, e, _ in log)
    gc_ns = sum(durs)
    pauses = [(s - t0, e - t0) for s, e, _ in log]
    wall = wall_ns / 1e9
    row = dict.fromkeys(FIELDS)  # None: not measured, written empty
    row.update(
        allocator="pymalloc", collector="cpython", workload=workload_name(hdr),
        scale=hdr["scale"], seed=hdr["seed"], rep=rep_index, status="ok", ops=len(ops),
        objects=sum(1 for op in ops if op[0] == NEW), bytes_allocated=nbytes, wall_s=wall,
        gc_s=gc_ns / 1e9, mutator_s=max(wall - gc_ns / 1e9, 0.0),
        ops_per_s=len(ops) / wall if wall > 0 else 0.0, pauses=len(durs),
        pause_p50_us=nearest_rank(durs, 0.5) / 1e3, pause_p90_us=nearest_rank(durs, 0.9) / 1e3,
        pause_p99_us=nearest_rank(durs, 0.99) / 1e3,
        pause_p999_us=nearest_rank(durs, 0.999) / 1e3,
        pause_max_us=(durs[-1] if durs else 0) / 1e3,
        mmu_1ms=mmu(pauses, wall_ns, 1000000), mmu_10ms=mmu(pauses, wall_ns, 10000000),
        mmu_100ms=mmu(pauses, wall_ns, 100000000),
        mmu_100us=mmu(pauses, wall_ns, 100000), mmu_300us=mmu(pauses, wall_ns, 300000),
        mmu_3ms=mmu(pauses, wall_ns, 3000000), mmu_30ms=mmu(pauses, wall_ns, 30000000),
        mmu_300ms=mmu(pauses, wall_ns, 300000000), mmu_1s=mmu(pauses, wall_ns, 1000000000),
        peak_rss_bytes=rss, minor_faults=faults, header_bytes=GC_HEAD_BYTES,
        collections=len(log), full_collections=sum(1 for p in log if p[2] == 2),
        finalizers_run=finalized, noop_ops=noops, alloc_stat_exact=0, heap_factor=0, min_heap_bytes=0,
        threads=1, cross_thread_frees=0, gil_switches=0,
        minor_collections=sum(1 for p in log if p[2] != 2),
        major_collections=sum(1 for p in log if p[2] == 2),
        minor_gc_s=sum(p[1] - p[0] for p in log if p[2] != 2) / 1e9,
        major_gc_s=sum(p[1] - p[0] for p in log if p[2] == 2) / 1e9,
        cpu_s=use1[0] - use0[0], involuntary_switches=use1[1] - use0[1],
    )
    # After the measured part, as heapbench does: one full collection; what
    # CPython then cannot free (gc.garbage) is leaked.
    gc.collect()
    row["leaked_objects"] = len(gc.garbage)
    row["leaked_bytes"] = sum(sys.getsizeof(o) for o in gc.garbage)
    row["_collect_pauses_us"] = [(e - s) / 1e3 for s, e, _ in log]
    regs.clear()
    gc.unfreeze()
    return row


def run_rep_forked(ops, hdr, nbytes, rep_index, fill_views):
    """The repetition in a fork: a fresh heap and its own peak RSS."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        code = 0
        try:
            row = run_rep(ops, hdr, nbytes, rep_index, fill_views)
            payload = json.dumps(row).encode()
        except BaseException as e:  # the parent turns it into a row
            payload = json.dumps({"_error": f"{type(e).__name__}: {e}"}).encode()
            code = 1
        with os.fdopen(wfd, "wb") as w:
            w.write(payload)
        os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        data = r.read()
    _, status = os.waitpid(pid, 0)
    row = json.loads(data) if data else {}
    if not data or "_error" in row:
        why = row.get("_error") if row else f"the repetition's process ended with {status:#x}"
        print(f"cpython_replay: rep {rep_index}: {why}", file=sys.stderr)
        row = dict.fromkeys(FIELDS)
        row.update(allocator="pymalloc", collector="cpython", workload=workload_name(hdr),
                   scale=hdr["scale"], seed=hdr["seed"], rep=rep_index, status="crash")
    return row


# ---- output ------------------------------------------------------------

def fmt_real(v):
    if v is None or v != v:
        return ""
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    for prec in (15, 16, 17):
        s = "%.*g" % (prec, v)
        if float(s) == v:
            return s
    return repr(v)


def fmt_field(name, v):
    if v is None:
        return ""
    if name in STR_FIELDS:
        s = str(v)
        if (s and (s[0] == " " or s[-1] == " ")) or any(ch in s for ch in ',"\r\n'):
            return '"' + s.replace('"', '""') + '"'
        return s
    if isinstance(v, float):
        return fmt_real(v)
    return str(int(v))


def csv_header():
    return ",".join(FIELDS) + "\n"


def csv_line(row):
    return ",".join(fmt_field(f, row.get(f)) for f in FIELDS) + "\n"


def append_csv(path, rows):
    """Appends rows, the header only when the file is new or empty; a file
    with another header is refused, never mixed."""
    import fcntl
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        text = "".join(csv_line(r) for r in rows)
        if size == 0:
            text = csv_header() + text
        else:
            with open(path, "rb") as f:
                first = f.readline().decode("utf-8", "replace")
                f.seek(-1, os.SEEK_END)
                last = f.read(1)
            if first != csv_header() or last != b"\n":
                raise TraceError(f"'{path}' does not start with this schema's header (or its "
                                 "last line is unterminated); refusing to mix rows")
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def table(rows, out):
    cols = [("allocator", "allocator"), ("collector", "collector"), ("workload", "workload"),
            ("rep", "rep"), ("status", "status"), ("ops/s", "ops_per_s"), ("wall s", "wall_s"),
            ("gc %", None), ("pauses", "pauses"), ("p50 us", "pause_p50_us"),
            ("max us", "pause_max_us"), ("mmu 10ms", "mmu_10ms"), ("fin", "finalizers_run"),
            ("noops", "noop_ops"), ("rss MiB", "peak_rss_bytes")]

    def cell(title, key, r):
        if key is None:
            w, g = r.get("wall_s"), r.get("gc_s")
            return f"{100 * g / w:.3g}" if w and g is not None else "-"
        v = r.get(key)
        if v is None:
            return "-"
        if key == "peak_rss_bytes":
            return f"{v / 2**20:.3g}"
        if key == "ops_per_s":
            for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
                if v >= div:
                    return f"{v / div:.3g}{suf}"
            return f"{v:.3g}"
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    cells = [[cell(t, k, r) for t, k in cols] for r in rows]
    widths = [max([len(t)] + [len(c[i]) for c in cells]) for i, (t, _) in enumerate(cols)]
    out.write("  ".join(t.rjust(w) for (t, _), w in zip(cols, widths)) + "\n")
    for c in cells:
        out.write("  ".join(v.rjust(w) for v, w in zip(c, widths)) + "\n")


def python_meta(args, hdr):
    return {
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "sys_version": sys.version,
        "executable": sys.executable,
        "gc_thresholds": list(gc.get_threshold()),
        "allocator": "pymalloc",
        "trace": os.path.abspath(args.trace),
        "trace_header": hdr,
        "reps": args.reps,
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


# ---- writing test traces -----------------------------------------------

def write_trace(path, ops, nregs, seed=0, scale=0.0, source=b"python", kind=KIND_OPS,
                corrupt=False):
    """Writes ops (tuples code, kind, flags, a, b, c) as a trace file; for
    tests, and the anchor graph until `heapbench trace gen` exists."""
    body = bytearray(HEADER.pack(MAGIC, VERSION, kind, nregs, 0, len(ops), seed, scale,
                                 source[:16].ljust(16, b"\0")))
    for code, k, fl, a, b, c in ops:
        body += OP.pack(code, k, fl, 0, a, b, c)
    h = fnv1a64(bytes(body))
    if corrupt:
        h ^= 1
    body += struct.pack("<Q", h)
    with open(path, "wb") as f:
        f.write(body)


def tree_ops(n, nrefs=2, payload=0, collects=1, seed=42):
    """The anchor graph: a random tree of n containers (each new one hangs
    from a random earlier one's free slot, as collect_live's), reachable
    from register 0 only, then `collects` COLLECT ops.  Register i holds
    node i until its slots are full; n registers.  Yields op tuples."""
    import random
    rnd = random.Random(seed)
    yield (PHASE, 0, 0, 0, 0, 0)
    yield (NEW, CONTAINER, 0, 0, nrefs, payload)
    open_nodes, free_slot = [0], {0: 0}
    for i in range(1, n):
        yield (NEW, CONTAINER, 0, i, nrefs, payload)
        k = rnd.randrange(len(open_nodes))
        p = open_nodes[k]
        yield (SET, 0, 0, p, free_slot[p], i)
        free_slot[p] += 1
        if free_slot[p] == nrefs:
            open_nodes[k] = open_nodes[-1]
            open_nodes.pop()
            del free_slot[p]
            if p != 0:
                yield (DROP, 0, 0, p, 0, 0)
        open_nodes.append(i)
        free_slot[i] = 0
    for p in open_nodes:
        if p != 0:
            yield (DROP, 0, 0, p, 0, 0)
    yield (PHASE, 0, 0, 0, 0, 1)
    for _ in range(collects):
        yield (COLLECT, 0, 0, 0, 0, 0)


# ---- main ----------------------------------------------------------------

def parse_thresholds(s):
    parts = s.split(",")
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        vals = []
    if len(vals) != 3 or any(v < 0 or v > 2**31 - 1 for v in vals):
        raise argparse.ArgumentTypeError(
            f"bad value '{s}' for --threshold, expected three whole numbers 0..2^31-1, "
            "as 700,10,10")
    return tuple(vals)


def positive(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"bad value '{s}', expected a whole number >= 1")
    return v


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="cpython_replay.py",
        description="Replays a heapbench op-stream trace (kind 1) in CPython and prints "
                    "heapbench result rows (allocator pymalloc, collector cpython). "
                    "Exit status: 0 all rows ok, 1 a row not ok, 2 bad usage or input.")
    ap.add_argument("trace", help="trace file (format: harness/formats/trace.h)")
    ap.add_argument("--reps", type=positive, default=1, help="measured repetitions (default 1)")
    ap.add_argument("--out", help="also append the rows to FILE as CSV (header once)")
    ap.add_argument("--meta", help="the JSON sidecar (python version, gc settings); "
                                   "default OUT.python.json with --out")
    ap.add_argument("--threshold", type=parse_thresholds,
                    help="gc.set_threshold(A, B, C); default: this CPython's own")
    ap.add_argument("--format", choices=("csv", "table"), default="table")
    ap.add_argument("--no-fork", action="store_true",
                    help="run repetitions in this process (tests; the default forks each)")
    ap.add_argument("--write-test-trace", metavar="N",
                    help="instead of replaying: write the anchor tree of N containers "
                         "(2 slots, no payload, 5 COLLECTs) to TRACE and exit")
    args = ap.parse_args(argv)

    if args.write_test_trace is not None:
        try:
            n = positive(args.write_test_trace)
        except argparse.ArgumentTypeError as e:
            ap.error(f"--write-test-trace: {e}")
        write_trace(args.trace, list(tree_ops(n, collects=5)), nregs=n, seed=42, scale=n / 1e6,
                    source=b"py-tree")
        return 0

    try:
        hdr, raw = read_trace(args.trace)
        ops, nbytes = validate(raw, hdr["registers"])
    except TraceError as e:
        print(f"cpython_replay: {e}", file=sys.stderr)
        return 2
    del raw
    if args.threshold is not None:
        gc.set_threshold(*args.threshold)
    # One fill buffer per TOUCH byte value, as long as the largest TOUCH.
    longest = max((op[3] for op in ops if op[0] == TOUCH), default=0)
    longest = min(longest, 1 << 30)
    fill_views = {v: memoryview(bytes([v]) * longest)
                  for v in {op[4] for op in ops if op[0] == TOUCH}}

    meta = python_meta(args, hdr)
    print(f"cpython_replay: Python {meta['python_version']} ({meta['implementation']}), "
          f"gc thresholds {tuple(meta['gc_thresholds'])}", file=sys.stderr)
    meta_path = args.meta or (args.out + ".python.json" if args.out else None)
    if meta_path:
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")

    # What exists now (the decoded ops above all) is never the collector's
    # business; frozen before the forks, no child's collection touches it.
    gc.collect()
    gc.freeze()
    rows = []
    for rep in range(1, args.reps + 1):
        if args.no_fork:
            row = run_rep(ops, hdr, nbytes, rep, fill_views)
        else:
            row = run_rep_forked(ops, hdr, nbytes, rep, fill_views)
        rows.append(row)
        if args.out:
            try:
                append_csv(args.out, [row])
            except (TraceError, OSError) as e:
                print(f"cpython_replay: cannot append to {args.out}: {e}", file=sys.stderr)
                return 2
        if args.format == "csv":
            if rep == 1:
                sys.stdout.write(csv_header())
            sys.stdout.write(csv_line(row))
            sys.stdout.flush()
    if args.format == "table":
        table(rows, sys.stdout)
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""tests/test_cpython_replay.py -- the CPython replayer on tiny hand-made traces.

Checks, against the op semantics of harness/core/ops.h and harness/run/replay.c: the
objects each op leaves alive (counted through the finalizer class, which the
collector tracks), every kind of no-op, a garbage cycle freed by COLLECT with
its finalizers run once, TOUCH writing payloads, and the command line: rows
in heapbench's schema (the header compared with HB_ROW_FIELDS in
harness/formats/results.h), and exit status 2 with a clear message for a bad
checksum, magic, version, kind, or register.  Run by ctest; no timings.
"""
import gc
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(ROOT, "scripts", "cpython_replay.py")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import cpython_replay as R  # noqa: E402

C, L, A = R.CONTAINER, R.LEAF, R.ARRAY
FIN = R.F_FINALIZER


def new(r, kind=C, nrefs=2, payload=0, flags=0):
    return (R.NEW, kind, flags, r, nrefs, payload)


def op(code, a=0, b=0, c=0, kind=0):
    return (code, kind, 0, a, b, c)


def live_fin_lists():
    return sum(1 for o in gc.get_objects() if type(o) is R.FinList)


class Replayer(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.thresholds = gc.get_threshold()
        gc.set_threshold(2000000000, 10, 10)  # only COLLECT ops collect
        gc.collect()
        R.FINALIZED[0] = 0

    def tearDown(self):
        gc.set_threshold(*self.thresholds)
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def load(self, ops, nregs):
        p = self.path("t.hbt")
        R.write_trace(p, ops, nregs)
        hdr, raw = R.read_trace(p)
        self.assertEqual(hdr["registers"], nregs)
        self.assertEqual(hdr["ops"], len(ops))
        decoded, _ = R.validate(raw, nregs)
        return decoded

    def replay(self, ops, nregs):
        regs = [None] * nregs
        noops = R.replay(self.load(ops, nregs), regs, {0x5A: memoryview(b"\x5a" * 64)})
        return regs, noops

    def test_objects_alive_after_each_op(self):
        regs = [None] * 3
        stream = [new(0, flags=FIN), new(1, flags=FIN), op(R.SET, 0, 0, 1), op(R.DROP, 1),
                  op(R.GET, 2, 0, 0), op(R.MOV, 1, 2), op(R.DROP, 2), op(R.DROP, 1)]
        decoded = self.load(stream, 3)
        expect = [1, 2, 2, 2, 2, 2, 2, 2]  # r0 -> child keeps the child alive throughout
        for i, o in enumerate(decoded):
            R.replay([o], regs, {})
            self.assertEqual(live_fin_lists(), expect[i], f"after op {i}")
        self.assertIs(regs[0][0].__class__, R.FinList)
        regs[0] = None  # acyclic: reference counting frees both at once
        self.assertEqual(live_fin_lists(), 0)
        self.assertEqual(R.FINALIZED[0], 2)

    def test_object_mapping(self):
        regs, _ = self.replay([new(0, C, 3, 0), new(1, C, 2, 24), new(2, L, 0, 10),
                               new(3, L, 0, 0), new(4, A, 0, 100), new(5, A, 4, 50)], 6)
        self.assertEqual(type(regs[0]), list)
        self.assertEqual(regs[0], [None] * 3)
        self.assertEqual(type(regs[1]), R.PList)
        self.assertEqual((len(regs[1]), len(regs[1].payload)), (2, 24))
        self.assertEqual(regs[2], bytes(10))
        self.assertEqual(type(regs[3]), object)
        self.assertEqual(type(regs[4]), bytearray)
        self.assertEqual(len(regs[4]), 100)
        self.assertEqual((len(regs[5]), len(regs[5].payload)), (4, 50))

    def test_noops_counted_as_replay_c(self):
        stream = [
            op(R.SET, 0, 0, 1),            # empty register: no-op
            op(R.GET, 1, 0, 0),            # empty register: no-op
            op(R.TOUCH, 0, 0, 8, 0x5A),    # empty register: no-op
            new(0, C, 2, 0), new(1, L, 0, 0), new(2, A, 0, 16), new(3, C, 1, 8),
            op(R.SET, 0, 2, 1),            # slot 2 of 2: no-op
            op(R.SET, 0, 5, R.NIL),        # past the slots, storing NULL: no-op
            op(R.SET, 1, 0, 0),            # a leaf has no slots: no-op
            op(R.GET, 2, 0, 7),            # past the slots: no-op
            op(R.TOUCH, 1, 0, 8, 0x5A),    # leaf with no payload: no-op
            op(R.TOUCH, 0, 0, 8, 0x5A),    # container with no payload: no-op
            op(R.TOUCH, 2, 0, 8, 0x5A),    # writes 8 of 16 bytes
            op(R.TOUCH, 3, 0, 64, 0x5A),   # writes min(64, 8) bytes
            op(R.SET, 0, 1, 1),            # real
            op(R.SET, 0, 1, R.NIL),        # real: stores NULL
            op(R.COLLECT), op(R.PHASE, c=3),
        ]
        regs, noops = self.replay(stream, 4)
        self.assertEqual(noops, 9)
        self.assertEqual(bytes(regs[2]), b"\x5a" * 8 + bytes(8))
        self.assertEqual(bytes(regs[3].payload), b"\x5a" * 8)
        self.assertEqual(regs[0], [None, None])

    def test_cycle_freed_by_collect_with_finalizers(self):
        stream = [new(0, flags=FIN), new(1, flags=FIN), new(2, flags=FIN),
                  op(R.SET, 0, 0, 1), op(R.SET, 1, 0, 2), op(R.SET, 2, 0, 0),  # a ring of 3
                  op(R.DROP, 0), op(R.DROP, 1), op(R.DROP, 2)]
        regs, _ = self.replay(stream, 3)
        self.assertEqual(live_fin_lists(), 3, "reference counting alone keeps the ring")
        self.assertEqual(R.FINALIZED[0], 0)
        R.replay([(R.COLLECT, 0, 0, 0, 0)], regs, {})
        self.assertEqual(live_fin_lists(), 0, "COLLECT frees the ring")
        self.assertEqual(R.FINALIZED[0], 3, "each finalizer ran once")
        self.assertEqual(gc.garbage, [])

    def test_reachable_cycle_survives_collect(self):
        stream = [new(0, flags=FIN), new(1, flags=FIN), op(R.SET, 0, 0, 1), op(R.SET, 1, 0, 0),
                  op(R.DROP, 1), op(R.COLLECT)]
        regs, _ = self.replay(stream, 2)
        self.assertEqual(live_fin_lists(), 2)
        self.assertEqual(R.FINALIZED[0], 0)
        del regs

    def test_fnv_matches_pure_python(self):
        data = bytes(range(256)) * 5
        self.assertEqual(R.fnv1a64(b"", pure=True), 0xCBF29CE484222325)
        # the published FNV-1a 64 value, both ways
        self.assertEqual(R.fnv1a64(b"a", pure=True), 0xAF63DC4C8601EC8C)
        self.assertEqual(R.fnv1a64(b"a"), 0xAF63DC4C8601EC8C)
        self.assertEqual(R.fnv1a64(data), R.fnv1a64(data, pure=True))
        self.assertEqual(R.fnv1a64(data, 300), R.fnv1a64(data[:300], pure=True))

    # ---- the command line ----

    def run_cli(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                              timeout=60)

    def test_field_lists_match_results_h(self):
        """The replayer's column and status lists are results.h's, in order."""
        with open(os.path.join(ROOT, "harness", "formats", "results.h")) as f:
            text = f.read()
        cols = re.findall(r"X\((STR|U64|F64), (\w+)\)", text)
        self.assertEqual(R.FIELDS, [name for _, name in cols])
        self.assertEqual(R.STR_FIELDS, {name for kind, name in cols if kind == "STR"})
        words = re.findall(r"S\((\w+), \"(\w+)\"\)", text)
        self.assertIn(("OK", "ok"), words)
        self.assertIn(("CRASH", "crash"), words)

    def test_cli_rows(self):
        p = self.path("ring.hbt")
        R.write_trace(p, [new(0, flags=FIN), new(1, flags=FIN), op(R.SET, 0, 0, 1),
                          op(R.SET, 1, 0, 0), op(R.DROP, 0), op(R.DROP, 1),
                          op(R.SET, 0, 0, 1), op(R.COLLECT)], 2, seed=7, scale=0.5)
        out = self.path("rows.csv")
        res = self.run_cli(p, "--format", "csv", "--reps", "2", "--out", out,
                           "--threshold", "2000000000,10,10")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Python " + sys.version.split()[0], res.stderr)
        header, *rows = res.stdout.splitlines()
        with open(os.path.join(ROOT, "harness", "formats", "results.h")) as f:
            schema = re.findall(r"X\((?:STR|U64|F64), (\w+)\)", f.read())
        self.assertEqual(header.split(","), schema)
        self.assertEqual(len(rows), 2)
        row = dict(zip(schema, rows[0].split(",")))
        self.assertEqual((row["allocator"], row["collector"], row["workload"]),
                         ("pymalloc", "cpython", "trace:python"))
        self.assertEqual((row["seed"], row["scale"], row["rep"]), ("7", "0.5", "1"))
        self.assertEqual((row["ops"], row["objects"], row["noop_ops"]), ("8", "2", "1"))
        self.assertEqual(row["finalizers_run"], "2")
        self.assertEqual((row["collections"], row["full_collections"], row["pauses"]),
                         ("1", "1", "1"))
        self.assertEqual(row["peak_live_bytes"], "", "not measured: empty, never 0")
        self.assertEqual(row["frag_jw4_peaks"], "")
        self.assertGreater(float(row["pause_max_us"]), 0)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], header)
        self.assertEqual(len(lines), 3, "the header once, then both rows")
        self.assertTrue(os.path.exists(out + ".python.json"))

    def expect_exit2(self, data, words):
        p = self.path("bad.hbt")
        with open(p, "wb") as f:
            f.write(data)
        res = self.run_cli(p)
        self.assertEqual(res.returncode, 2, res.stderr)
        for w in words:
            self.assertIn(w, res.stderr)
        self.assertNotIn("Traceback", res.stderr)

    def good_bytes(self, ops=None, nregs=2, **kw):
        p = self.path("good.hbt")
        R.write_trace(p, ops or [new(0), op(R.COLLECT)], nregs, **kw)
        with open(p, "rb") as f:
            return bytearray(f.read())

    def test_bad_checksum_exit_2(self):
        p = self.path("c.hbt")
        R.write_trace(p, [new(0), op(R.COLLECT)], 2, corrupt=True)
        res = self.run_cli(p)
        self.assertEqual(res.returncode, 2)
        self.assertIn("checksum", res.stderr)
        data = self.good_bytes()
        data[64 + 4] ^= 0xFF  # an op byte flipped after the checksum was taken
        self.expect_exit2(bytes(data), ["checksum", "corrupt"])

    def test_bad_header_exit_2(self):
        data = self.good_bytes()
        self.expect_exit2(b"XXTRACE\0" + bytes(data[8:]), ["magic"])
        self.expect_exit2(bytes(data[:8]) + (2).to_bytes(4, "little") + bytes(data[12:]),
                          ["version 2", "expected 1"])
        self.expect_exit2(bytes(data[:40]), ["expected at least 72"])
        self.expect_exit2(self.good_bytes(kind=R.KIND_ALLOC), ["kind 2", "expected kind 1"])
        self.expect_exit2(self.good_bytes(ops=[new(5)], nregs=2),
                          ["op 0", "register a=5", "register file of 2"])
        self.expect_exit2(self.good_bytes(ops=[new(0, L, 3, 0)]), ["leaf object with 3"])
        res = self.run_cli(self.path("nonexistent.hbt"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("cannot read", res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)

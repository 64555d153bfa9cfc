/*
 * harness/core/ops.h -- base layer: the mutator instruction set.
 *
 * A workload is a program over a register file of object references; the
 * registers are the roots.  Generators, trace files and fuzz inputs are all
 * this one op stream, so the same bytes drive every allocator x collector.
 *
 *   op       a      b      c       meaning
 *   NEW      r      nrefs  bytes   r := new object (kind, flags in the op)
 *   SET      r      i      s       r.refs[i] := s      (s == HB_NIL: NULL)
 *   GET      d      r      i       d := r.refs[i]
 *   MOV      d      s      -       d := s
 *   DROP     r      -      -       r := NULL
 *   TOUCH    r      -      bytes   write min(bytes, payload) payload bytes
 *   COLLECT  -      -      -       an explicit full collection (gc.collect())
 *   PHASE    -      -      n       marker n, for time series
 *   RESIZE   r      -      nrefs   r := r's object with nrefs slots: its first
 *                                  min(old, nrefs) references and its payload,
 *                                  new slots NULL (a list's resize, one op)
 *
 * Allocator traces (real programs' malloc calls; no collector involved) use
 * the same encoding with their own register file of raw blocks:
 *   MALLOC   r      -      bytes   r := malloc(bytes)
 *   FREE     r      -      -       free(r); r := NULL
 *   REALLOC  r      -      bytes   r := realloc(r, bytes)
 *   TOUCH    r      -      n       n single-byte read-modify-writes into r's
 *                                  block, walking it from its start and
 *                                  wrapping at its end (a program's writes;
 *                                  cache-scratch's repeated passes); in a
 *                                  trace file n <= HB_TOUCH_MAX_WRITES
 *
 * Threads.  An allocator op carries the number of the thread that runs it
 * (`thread`; 0 when the program had one).  A threaded stream is written in
 * one global order, a valid interleaving of the threads: the threaded
 * replay (harness/run/threads.h) runs each thread's ops on its own OS
 * thread and keeps, per register, the order of that interleaving, so a
 * block is freed only after its allocation happened, on whatever thread.
 * Op streams (NEW..RESIZE) run on one thread: their thread is zero (TOUCH
 * carries one only in an allocator stream).
 *
 * Semantics that keep any byte string safe to replay: a register index must
 * be below the register count (checked before the stream is timed, by
 * hb_ops_validate); a SET/GET/TOUCH on an empty register, or a slot index
 * past the object's slots, does nothing and is counted as a no-op; so does
 * a RESIZE of an empty register, a leaf, or an object with a finalizer.
 *
 * RESIZE is a value operation: other references to the old object keep
 * seeing it unchanged, and it dies when the last goes.  A collector may
 * therefore move the object in place (realloc, no count traffic) when the
 * register is its only reference, which is the case CPython's list_resize
 * is (the list keeps its items, only their array moves).  Its code comes
 * after the allocator-trace ops, so that existing traces keep their codes.
 */
#ifndef HB_OPS_H
#define HB_OPS_H

#include <stddef.h>
#include <stdint.h>

/* The most writes one TOUCH of an allocator trace file may ask for (the
 * generated streams stay far below: cache-scratch's is 4000), so that a
 * file of a few bytes cannot keep a replay busy for minutes. */
#define HB_TOUCH_MAX_WRITES (1u << 24)

enum hb_opcode {
    HB_OP_NEW = 1,
    HB_OP_SET,
    HB_OP_GET,
    HB_OP_MOV,
    HB_OP_DROP,
    HB_OP_TOUCH,
    HB_OP_COLLECT,
    HB_OP_PHASE,
    HB_OP_MALLOC,
    HB_OP_FREE,
    HB_OP_REALLOC,
    HB_OP_RESIZE,
    HB_OP_COUNT
};

#define HB_NIL UINT32_MAX /* "no register": SET stores NULL */

typedef struct hb_op {
    uint8_t code;  /* enum hb_opcode */
    uint8_t kind;  /* NEW: enum hb_kind; TOUCH: the byte written */
    uint8_t flags; /* NEW: enum hb_flag (only HB_F_FINALIZER) */
    uint8_t thread; /* allocator ops: the thread that runs the op (0..255);
                       zero in op streams, which run on one thread */
    uint32_t a, b, c;
} hb_op;

_Static_assert(sizeof(hb_op) == 16, "an op is 16 bytes");

/*
 * Where generators write ops.  When the buffer fills, flush() consumes it
 * (replays it, writes it to a file, ...) and empties it.  Generation runs
 * between flushes and is never inside a timed region.  A flush that returns
 * nonzero stops the stream: `stopped` is set, later ops are dropped, and a
 * generator may poll hb_sink_stopped() to end early.
 */
typedef struct hb_sink {
    hb_op *buf;
    size_t len, cap;
    int (*flush)(struct hb_sink *s); /* consumes buf[0..len) */
    void *ctx;
    int stopped;
    uint64_t emitted; /* ops emitted so far, dropped ones included */
} hb_sink;

/* Flushes what is buffered; returns s->stopped. */
int hb_sink_flush(hb_sink *s);

static inline void hb_emit(hb_sink *s, hb_op op)
{
    s->emitted++;
    if (s->stopped)
        return;
    s->buf[s->len++] = op;
    if (s->len == s->cap)
        hb_sink_flush(s);
}

static inline int hb_sink_stopped(const hb_sink *s)
{
    return s->stopped;
}

static inline hb_op hb_op_make(uint8_t code, uint32_t a, uint32_t b, uint32_t c)
{
    hb_op op = {code, 0, 0, 0, a, b, c};
    return op;
}

/* The ops as calls, for generators. */
static inline void hb_new(hb_sink *s, uint32_t r, uint8_t kind, uint8_t flags,
                          uint32_t nrefs, uint32_t bytes)
{
    hb_op op = {HB_OP_NEW, kind, flags, 0, r, nrefs, bytes};
    hb_emit(s, op);
}
static inline void hb_set(hb_sink *s, uint32_t r, uint32_t i, uint32_t src)
{
    hb_emit(s, hb_op_make(HB_OP_SET, r, i, src));
}
static inline void hb_get(hb_sink *s, uint32_t d, uint32_t r, uint32_t i)
{
    hb_emit(s, hb_op_make(HB_OP_GET, d, r, i));
}
static inline void hb_mov(hb_sink *s, uint32_t d, uint32_t src)
{
    hb_emit(s, hb_op_make(HB_OP_MOV, d, src, 0));
}
static inline void hb_drop(hb_sink *s, uint32_t r)
{
    hb_emit(s, hb_op_make(HB_OP_DROP, r, 0, 0));
}
static inline void hb_touch(hb_sink *s, uint32_t r, uint32_t bytes)
{
    hb_op op = {HB_OP_TOUCH, 0x5a, 0, 0, r, 0, bytes};
    hb_emit(s, op);
}
static inline void hb_collect(hb_sink *s)
{
    hb_emit(s, hb_op_make(HB_OP_COLLECT, 0, 0, 0));
}
static inline void hb_phase(hb_sink *s, uint32_t n)
{
    hb_emit(s, hb_op_make(HB_OP_PHASE, 0, 0, n));
}

/* Allocator ops of thread t, for threaded generators. */
static inline void hb_malloc_on(hb_sink *s, uint8_t t, uint32_t r, uint32_t bytes)
{
    hb_op op = {HB_OP_MALLOC, 0, 0, t, r, 0, bytes};
    hb_emit(s, op);
}
static inline void hb_free_on(hb_sink *s, uint8_t t, uint32_t r)
{
    hb_op op = {HB_OP_FREE, 0, 0, t, r, 0, 0};
    hb_emit(s, op);
}

static inline void hb_touch_on(hb_sink *s, uint8_t t, uint32_t r, uint32_t n)
{
    hb_op op = {HB_OP_TOUCH, 0, 0, t, r, 0, n};
    hb_emit(s, op);
}

static inline void hb_resize(hb_sink *s, uint32_t r, uint32_t nrefs)
{
    hb_emit(s, hb_op_make(HB_OP_RESIZE, r, 0, nrefs));
}

/* The op's name ("NEW"), or NULL for an unknown code. */
const char *hb_op_name(uint8_t code);

/*
 * Checks ops[0..n) against a register file of nregs: known codes, register
 * indices in range, LEAF objects with no slots, op streams' thread zero.  Returns
 * the index of the first bad op, or n when all are good; *why names the
 * problem.
 */
size_t hb_ops_validate(const hb_op *ops, size_t n, uint32_t nregs, const char **why);

#endif

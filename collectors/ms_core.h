/*
 * collectors/ms_core.h -- marking and sweeping shared by `mark-sweep` and
 * `incremental` (private to those two files, as rc_core.h is to rc).
 *
 *     mark_sweep.c   one stop-the-world pause: roots, drain, finalize; then
 *                    the sweep in batches paid by allocation
 *     incremental.c  the same pieces run in budgeted steps, with a barrier
 *         |
 *     ms_core: object tables, mark stack + prefetch FIFO, sweep cursors
 *         |  al_alloc / al_free
 *     al_heap
 *
 * Objects carry no collector header (header_bytes 0): the two mark bits
 * live in hb_obj.gcbits, and every object is entered in one of two object
 * tables (arrays of pointers in mapped memory, as rc_core's live table):
 *
 *     all   objects without a finalizer
 *     fin   objects with HB_F_FINALIZER, so finding the unreachable ones to
 *           finalize reads this table alone
 *
 * (mark_sweep.c moves objects of 256 KiB or more out of these two into a
 * third table of its own, `big`, swept inside every collection's pause;
 * its overflow rescan covers that table too.)
 *
 * Why tables and not a list threaded through a header: a sweep over a
 * linked list waits for one cache miss per object (the next link is in the
 * object), measured at 90% of the sweep on small-objects.  A table is read
 * in order, so the sweep prefetches the object MS_SWEEP_AHEAD entries on
 * and keeps that many misses in flight.  The table costs 8 bytes per object
 * outside the allocator's books (counted in peak RSS), as Boehm's block
 * headers and mark bits sit outside its heap size.
 *
 * Marking enqueues edges, not objects: a slot's target goes on the mark
 * stack without being looked at, and is tested and marked when it comes off.
 * Between the stack and the test sits a small FIFO (MS_FIFO entries, as in
 * Boehm's GC_mark_from prefetching and Cher, Hosking and Vijaykumar,
 * "Software prefetching for mark-sweep garbage collection", ASPLOS 2004):
 * an entry is prefetched when it enters the FIFO and used MS_FIFO entries
 * later, by which time its line has arrived.  Objects with more than
 * MS_CHUNK_SLOTS slots are scanned a chunk at a time; the rest of such an
 * object goes back on the stack as a continuation (two words: the next slot
 * index, then the object's address with bit 0 set), so one visit is bounded.
 *
 * Colours (gcbits):
 *   white   neither bit: not reached (yet)
 *   gray    an edge to it is on the stack or in the FIFO (it is still
 *           white itself), or MS_MARK without MS_BLACK: reached, slots not
 *           all scanned (a wide object being scanned, or one marked in
 *           place because the stack could not grow)
 *   black   MS_MARK | MS_BLACK: reached and every slot scanned
 *
 * Overflow: when the stack cannot grow (the OS refuses, or a test capped
 * it), the object is marked in place (gray in the heap) and `overflowed`
 * is set; once the stack is empty, ms_mark_overflow_rescan scans every
 * gray-in-heap object of both tables (and of the strategy's own, if any),
 * until a pass overflows no more.  Each pass blackens every object that was
 * gray at its start, so it ends.
 *
 * Invariants:
 *   - Outside a collection (or cycle) no object has a mark bit set but
 *     those a pending sweep has not reached yet ([r, end) of an ms_sweep):
 *     the sweep clears them on the survivors.
 *   - st.objects_live == entries of both tables and mark_sweep.c's big
 *     (less [w, r) of a pending sweep: entries already freed or moved
 *     down); st.bytes_live == their hb_obj_bytes(o, 0).
 *   - The stack and FIFO are empty when a collection ends.
 *
 * Internal memory (tables, stack, the states) is mapped, never malloc'd:
 * the `malloc` backend's footprint is read process-wide.
 */
#ifndef HB_MS_CORE_H
#define HB_MS_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/mem.h"
#include "harness/core/object.h"

#define MS_MARK 1u  /* gcbits: reached in the current collection */
#define MS_BLACK 2u /* gcbits: and every slot scanned */
#define MS_COLOUR (MS_MARK | MS_BLACK)

#define MS_FIFO 16u          /* prefetch FIFO entries (a power of two) */
#define MS_CHUNK_SLOTS 1024u /* slots scanned per visit of one object */
#define MS_SWEEP_AHEAD 16u   /* table entries prefetched ahead of the sweep */
#define MS_CONT ((uintptr_t)1) /* bit 0 of a stack word: a continuation */
#define MS_STACK_FIRST 4096u /* first mapping of the stack, in words */

/* Work units (for incremental's budget): marking counts the bytes of the
 * object visited (its slots chunk by chunk), so marking is paced in heap
 * bytes as Lua's is; an edge to an object already marked and each object
 * swept or finalized count a fixed amount, and an object freed by the sweep
 * 1/MS_WORK_FREE_DIV of its bytes on top (giving a large block back to the
 * OS takes time in proportion to its pages: one step must not free many of
 * them; a small object's count is unchanged). */
#define MS_WORK_SEEN 8u
#define MS_WORK_SWEEP 32u
#define MS_WORK_FINALIZE 16u
#define MS_WORK_FREE_DIV 64u

typedef struct ms_fifo {
    hb_obj *o[MS_FIFO];
    uint32_t from[MS_FIFO]; /* 0: an edge (test and mark); > 0: a continuation */
    unsigned head, n;
} ms_fifo;

/* A sweep over one table.  Entries [0, w) are survivors already kept,
 * [r, end) are still to test, [end, len) were added since the sweep began
 * (kept as they are, moved down behind the survivors).  move_work is the
 * work one entry moved down counts (ms_sweep_begin: 1; see
 * ms_sweep_step). */
typedef struct ms_sweep {
    size_t r, w, end;
    size_t move_work;
    size_t moved; /* entries moved down so far */
    int done;
} ms_sweep;

typedef struct ms_core {
    gc_env env;
    size_t fin_work;    /* cfg->finalizer_work */
    hb_vec all, fin;    /* object tables (hb_obj * words) */
    hb_vec stack;       /* mark stack (words; continuations take two) */
    size_t stack_max;   /* the stack never holds more words than this */
    size_t stack_room;  /* min(stack.cap, stack_max): the fast push's bound */
    ms_fifo fifo;
    int overflowed;        /* something was marked in place since the last rescan */
    uint64_t marked_bytes; /* bytes of the objects marked in this collection */
    uint32_t serial;
    gc_stats st;
} ms_core;

static inline size_t ms_obj_bytes(const hb_obj *o)
{
    return hb_obj_bytes(o, 0);
}

/* ===================================================================
 * Set-up and tear-down
 * =================================================================== */

/* 0, or -1 when the tables or the stack cannot be mapped. */
static inline int ms_core_init(ms_core *c, const gc_env *env, size_t stack_max)
{
    c->env = *env;
    c->fin_work = env->cfg ? env->cfg->finalizer_work : 0;
    c->env.cfg = NULL; /* read once by the strategy's create */
    c->env.err = NULL; /* likewise */
    c->stack_max = stack_max;
    if (hb_vec_init(&c->all, sizeof(uintptr_t), 4096) != 0 ||
        hb_vec_init(&c->fin, sizeof(uintptr_t), 512) != 0 ||
        hb_vec_init(&c->stack, sizeof(uintptr_t), MS_STACK_FIRST) != 0)
        return -1;
    c->stack_room = c->stack.cap < stack_max ? c->stack.cap : stack_max;
    return 0;
}

static inline void ms_free_object(ms_core *c, hb_obj *o)
{
    size_t bytes = ms_obj_bytes(o);
    c->st.objects_freed++;
    c->st.objects_live--;
    c->st.bytes_live -= bytes;
    al_free(c->env.heap, o, bytes);
}

static inline void ms_free_table(ms_core *c, hb_vec *t)
{
    uintptr_t *v = hb_vec_words(t);
    for (size_t i = 0; i < t->len; i++)
        ms_free_object(c, (hb_obj *)v[i]);
    t->len = 0;
}

/* Frees every object (without finalizers) and unmaps the tables and stack. */
static inline void ms_core_fini(ms_core *c)
{
    if (c->all.v)
        ms_free_table(c, &c->all);
    if (c->fin.v)
        ms_free_table(c, &c->fin);
    hb_vec_fini(&c->all);
    hb_vec_fini(&c->fin);
    hb_vec_fini(&c->stack);
}

/* ===================================================================
 * Allocation
 * =================================================================== */

static inline hb_vec *ms_table_for(ms_core *c, uint8_t flags)
{
    return (flags & HB_F_FINALIZER) ? &c->fin : &c->all;
}

/* Room for one more entry in table t (the one the object will go to:
 * ms_table_for, or a strategy's own); 0 or -1. */
static inline int ms_table_room(hb_vec *t)
{
    return t->len < t->cap ? 0 : hb_vec_grow(t);
}

/* Fills a fresh block (after ms_table_room(t) succeeded) with the colour
 * given and enters it in table t. */
static inline hb_obj *ms_init_object(ms_core *c, hb_vec *t, void *block, size_t bytes,
                                     uint8_t kind, uint8_t flags, uint32_t nrefs,
                                     uint32_t payload, uint16_t colour)
{
    hb_obj *o = block;
    o->kind = kind;
    o->flags = flags & HB_F_FINALIZER; /* FINALIZED is ours to set */
    o->gcbits = colour;
    o->nrefs = nrefs;
    o->payload = payload;
    o->serial = c->serial++;
    for (uint32_t i = 0; i < nrefs; i++)
        o->refs[i] = NULL;
    hb_vec_words(t)[t->len++] = (uintptr_t)o;
    c->st.objects_allocated++;
    c->st.objects_live++;
    c->st.bytes_live += bytes;
    return o;
}

/* ===================================================================
 * Mark stack
 * =================================================================== */

/* Marks o in place (gray in the heap) for the overflow rescan. */
static inline void ms_mark_in_place(ms_core *c, hb_obj *o)
{
    if (!(o->gcbits & MS_MARK)) {
        o->gcbits |= MS_MARK;
        c->marked_bytes += ms_obj_bytes(o);
    }
    c->overflowed = 1;
}

/* Makes room for `words` more; 0, or -1 when at the cap or refused. */
static inline int ms_stack_make_room(ms_core *c, size_t words)
{
    while (c->stack.len + words > c->stack_room) {
        if (c->stack.cap >= c->stack_max || hb_vec_grow(&c->stack) != 0)
            return -1;
        c->stack_room = c->stack.cap < c->stack_max ? c->stack.cap : c->stack_max;
    }
    return 0;
}

/* An edge to o (not NULL) goes on the stack; o itself is not read. */
static inline void ms_push(ms_core *c, hb_obj *o)
{
    if (c->stack.len >= c->stack_room && ms_stack_make_room(c, 1) != 0) {
        ms_mark_in_place(c, o);
        return;
    }
    hb_vec_words(&c->stack)[c->stack.len++] = (uintptr_t)o;
}

/* The rest of o, from slot `from`, to scan later.  o is MS_MARK without
 * MS_BLACK; if the stack refuses, the rescan scans it whole. */
static inline void ms_push_rest(ms_core *c, hb_obj *o, uint32_t from)
{
    if (ms_stack_make_room(c, 2) != 0) {
        c->overflowed = 1;
        return;
    }
    uintptr_t *v = hb_vec_words(&c->stack);
    v[c->stack.len++] = from;
    v[c->stack.len++] = (uintptr_t)o | MS_CONT;
}

/* Edges from registers [from, to); returns the registers looked at. */
static inline size_t ms_push_roots(ms_core *c, size_t from, size_t to)
{
    hb_obj **roots = c->env.roots;
    for (size_t i = from; i < to; i++)
        if (roots[i] != NULL)
            ms_push(c, roots[i]);
    return to - from;
}

/* ===================================================================
 * Mark: the prefetch FIFO and the drain
 * =================================================================== */

/* Moves entries from the stack top into the FIFO, prefetching each. */
static inline void ms_fifo_fill(ms_core *c)
{
    ms_fifo *f = &c->fifo;
    uintptr_t *v = hb_vec_words(&c->stack);
    while (f->n < MS_FIFO && c->stack.len > 0) {
        uintptr_t w = v[--c->stack.len];
        uint32_t from = 0;
        if (w & MS_CONT) {
            w &= ~MS_CONT;
            from = (uint32_t)v[--c->stack.len];
        }
        hb_obj *o = (hb_obj *)w;
        __builtin_prefetch(from ? (void *)&o->refs[from] : (void *)o, 1);
        unsigned at = (f->head + f->n) & (MS_FIFO - 1);
        f->o[at] = o;
        f->from[at] = from;
        f->n++;
    }
}

/* Scans slots [from, end of chunk) of o; returns the work done. */
static inline size_t ms_scan_chunk(ms_core *c, hb_obj *o, uint32_t from)
{
    uint32_t n = o->nrefs;
    uint32_t end = n - from > MS_CHUNK_SLOTS ? from + MS_CHUNK_SLOTS : n;
    for (uint32_t i = from; i < end; i++) {
        hb_obj *k = o->refs[i];
        if (k != NULL)
            ms_push(c, k);
    }
    if (end < n)
        ms_push_rest(c, o, end);
    else
        o->gcbits |= MS_BLACK;
    return (size_t)(end - from) * sizeof(hb_obj *);
}

/* One FIFO entry: an edge is tested and its target marked and scanned (its
 * first chunk); a continuation scans its next chunk. */
static inline size_t ms_visit(ms_core *c, hb_obj *o, uint32_t from)
{
    if (from > 0)
        return ms_scan_chunk(c, o, from);
    if (o->gcbits & MS_MARK)
        return MS_WORK_SEEN;
    o->gcbits |= MS_MARK;
    size_t bytes = ms_obj_bytes(o);
    c->marked_bytes += bytes;
    if (o->nrefs == 0) {
        o->gcbits |= MS_BLACK;
        return bytes;
    }
    size_t scanned = ms_scan_chunk(c, o, 0);
    return bytes - (size_t)o->nrefs * sizeof(hb_obj *) + scanned;
}

static inline int ms_mark_idle(const ms_core *c)
{
    return c->stack.len == 0 && c->fifo.n == 0;
}

/* Marks until the stack and FIFO are empty or `budget` work is done;
 * returns the work done.  What is left stays gray for the next call. */
static inline size_t ms_mark_drain(ms_core *c, size_t budget)
{
    ms_fifo *f = &c->fifo;
    size_t work = 0;
    while (work < budget) {
        ms_fifo_fill(c);
        if (f->n == 0)
            break;
        hb_obj *o = f->o[f->head];
        uint32_t from = f->from[f->head];
        f->head = (f->head + 1) & (MS_FIFO - 1);
        f->n--;
        work += ms_visit(c, o, from);
    }
    return work;
}

/* Scans every gray-in-heap object of a table whole, draining after each. */
static inline void ms_rescan_table(ms_core *c, hb_vec *t)
{
    for (size_t i = 0; i < t->len; i++) {
        hb_obj *o = (hb_obj *)hb_vec_words(t)[i];
        if ((o->gcbits & MS_COLOUR) != MS_MARK)
            continue;
        o->gcbits |= MS_BLACK;
        for (uint32_t k = 0; k < o->nrefs; k++)
            if (o->refs[k] != NULL && !(o->refs[k]->gcbits & MS_MARK))
                ms_push(c, o->refs[k]);
        ms_mark_drain(c, SIZE_MAX);
    }
}

/* After the drain emptied the stack: rescans all, fin and a strategy's
 * own table (extra; NULL: none) until nothing overflowed. */
static inline void ms_mark_overflow_rescan(ms_core *c, hb_vec *extra)
{
    while (c->overflowed) {
        c->overflowed = 0;
        ms_rescan_table(c, &c->all);
        ms_rescan_table(c, &c->fin);
        if (extra != NULL)
            ms_rescan_table(c, extra);
    }
}

/* ===================================================================
 * Finalization
 * =================================================================== */

/* Calls the finalizer of every unreached, unfinalized object of fin in
 * [*at, end), until `budget` work is done; returns the work.  Runs before
 * the sweep frees anything, so a finalizer may read what it points to. */
/* Runs o's finalizer, whose turn it is, once. */
static inline void ms_finalize_object(ms_core *c, hb_obj *o)
{
    gc_run_finalizer(&c->env, c->fin_work, o);
    o->flags |= HB_F_FINALIZED;
    c->st.finalizers_run++;
}

static inline size_t ms_finalize_step(ms_core *c, size_t *at, size_t end, size_t budget)
{
    uintptr_t *v = hb_vec_words(&c->fin);
    size_t work = 0;
    for (; *at < end && work < budget; (*at)++) {
        hb_obj *o = (hb_obj *)v[*at];
        work += MS_WORK_SEEN;
        if ((o->gcbits & MS_MARK) || (o->flags & HB_F_FINALIZED))
            continue;
        ms_finalize_object(c, o);
        work += MS_WORK_FINALIZE;
    }
    return work;
}

/* ===================================================================
 * Sweep
 * =================================================================== */

static inline void ms_sweep_begin(ms_sweep *s, const hb_vec *t)
{
    *s = (ms_sweep){.r = 0, .w = 0, .end = t->len, .move_work = 1, .moved = 0, .done = 0};
}

/*
 * Sweeps [s->r, s->end) of t until `budget` work is done: frees the
 * unmarked objects, clears the colour of the others and packs them down;
 * then moves entries added since the sweep began down behind them, as many
 * as the budget left pays at s->move_work each (one memmove).  Sets
 * s->done when the table is packed again.  Returns the work done.
 *
 * Why move_work is the strategy's: the entries moved were written by the
 * allocations since the sweep began and are mostly out of cache; moving
 * one costs about what 4 to 8 units of the rest of the sweep do (measured
 * on gcbench, see incremental.c's IC_MOVE_WORK).  mark-sweep's lazy sweep
 * (mutator time, not a pause) keeps 1, so its batches are as they were.
 */
static inline size_t ms_sweep_step(ms_core *c, hb_vec *t, ms_sweep *s, size_t budget)
{
    uintptr_t *v = hb_vec_words(t);
    size_t r = s->r, w = s->w, end = s->end, work = 0, freed = 0;
    while (r < end && work < budget) {
        if (r + MS_SWEEP_AHEAD < end)
            __builtin_prefetch((void *)v[r + MS_SWEEP_AHEAD], 1);
        hb_obj *o = (hb_obj *)v[r++];
        if (o->gcbits & MS_MARK) {
            o->gcbits &= (uint16_t)~MS_COLOUR;
            v[w++] = (uintptr_t)o;
            work += MS_WORK_SWEEP;
        } else {
            work += MS_WORK_SWEEP + ms_obj_bytes(o) / MS_WORK_FREE_DIV;
            ms_free_object(c, o);
            freed++;
        }
    }
    if (r >= end && r < t->len && work < budget) {
        size_t unit = s->move_work, left = budget - work;
        size_t n = t->len - r, most = left / unit + (left % unit != 0);
        if (n > most)
            n = most;
        memmove(v + w, v + r, n * sizeof *v);
        w += n;
        r += n;
        work += n * unit;
        s->moved += n;
    }
    c->st.objects_collected += freed;
    s->r = r;
    s->w = w;
    if (r == t->len) {
        t->len = w;
        s->done = 1;
    }
    return work;
}

#endif

/*
 * workloads/mutators.h -- a collector workload on N mutator threads (the
 * GIL model, harness/run/threads.h): one generator per thread, each with its
 * own share of the registers, merged into the run's one stream.
 *
 * Thread t's generator is the one-thread generator itself, with its own
 * register model (registers 0..per_thread-1, as at one thread) and its own
 * random numbers; it writes into a relay sink whose flush tags each op with
 * t and moves its registers to t's share (t * per_thread + r) before passing
 * it on.  The threads share no register, so no op of one names an object of
 * another: any interleaving of their streams is valid, which is what lets
 * the GIL replay switch between them wherever its switch interval falls.
 * The heap and the collector are shared: a collection sees every thread's
 * registers as roots.
 *
 * The merged stream is deterministic for (seed, scale, threads): the
 * generators take turns, one unit of work each (a request, a statement),
 * and wl_mut_yield passes on what a thread's unit emitted.  At one thread
 * there is no relay at all: the generator writes into the run's sink, so
 * its stream is the one-thread workload's, byte for byte.
 *
 * Thread 0 draws from the workload's own seed; thread t from seed ^ (t times
 * a 64-bit golden-ratio constant), unrelated numbers for every thread.
 */
#ifndef HB_WL_MUTATORS_H
#define HB_WL_MUTATORS_H

#include <stdint.h>
#include <string.h>

#include "harness/core/mem.h"
#include "harness/core/ops.h"
#include "workloads/workload.h"

#define WL_MUT_BUF 1024u /* ops a relay holds before it passes them on */

typedef struct wl_mut {
    hb_sink sink; /* what thread t's generator writes into */
    hb_sink *out; /* the run's stream */
    uint32_t thread, base;
    hb_op buf[WL_MUT_BUF];
} wl_mut;

typedef struct wl_muts {
    uint32_t n;     /* threads, >= 1 */
    hb_sink *out;
    wl_mut *m;      /* n relays (n > 1), in scratch memory */
} wl_muts;

static inline uint32_t wl_mut_count(const wl_params *p)
{
    return p->threads > 1 ? p->threads : 1;
}

/* Thread t's parameters: its own seed. */
static inline wl_params wl_mut_params(const wl_params *p, uint32_t t)
{
    wl_params q = *p;
    q.seed = p->seed ^ ((uint64_t)t * 0x9e3779b97f4a7c15ull);
    return q;
}

/* op's registers moved up by base (which fields name registers: ops.h). */
static inline hb_op wl_mut_rebase(hb_op op, uint32_t base)
{
    switch (op.code) {
    case HB_OP_NEW: case HB_OP_DROP: case HB_OP_TOUCH: case HB_OP_RESIZE:
        op.a += base;
        break;
    case HB_OP_SET:
        op.a += base;
        if (op.c != HB_NIL)
            op.c += base;
        break;
    case HB_OP_GET: case HB_OP_MOV:
        op.a += base;
        op.b += base;
        break;
    default:
        break;
    }
    return op;
}

static inline int wl_mut_flush(hb_sink *s)
{
    wl_mut *m = s->ctx;
    for (size_t i = 0; i < s->len; i++) {
        hb_op op = wl_mut_rebase(s->buf[i], m->base);
        op.thread = (uint8_t)m->thread;
        hb_emit(m->out, op);
    }
    return hb_sink_stopped(m->out);
}

/* 0, or -1 (no memory). */
static inline int wl_muts_open(wl_muts *ms, const wl_params *p, hb_sink *out, uint32_t per_thread)
{
    ms->n = wl_mut_count(p);
    ms->out = out;
    ms->m = NULL;
    if (ms->n == 1)
        return 0;
    ms->m = hb_scratch_map((size_t)ms->n * sizeof *ms->m);
    if (ms->m == NULL)
        return -1;
    for (uint32_t t = 0; t < ms->n; t++) {
        wl_mut *m = &ms->m[t];
        memset(&m->sink, 0, sizeof m->sink);
        m->sink.buf = m->buf;
        m->sink.cap = WL_MUT_BUF;
        m->sink.flush = wl_mut_flush;
        m->sink.ctx = m;
        m->out = out;
        m->thread = t;
        m->base = t * per_thread;
    }
    return 0;
}

static inline void wl_muts_close(wl_muts *ms)
{
    if (ms->m)
        hb_scratch_unmap(ms->m, (size_t)ms->n * sizeof *ms->m);
    ms->m = NULL;
}

/* Where thread t's generator writes. */
static inline hb_sink *wl_mut_sink(wl_muts *ms, uint32_t t)
{
    return ms->n == 1 ? ms->out : &ms->m[t].sink;
}

/* Thread t's unit of work is done: what it emitted goes on to the stream. */
static inline void wl_mut_yield(wl_muts *ms, uint32_t t)
{
    if (ms->n == 1)
        return;
    hb_sink *s = &ms->m[t].sink;
    hb_sink_flush(s);
    if (hb_sink_stopped(ms->out))
        s->stopped = 1;
}

/* The share of `total` units thread t of n does: the first total % n
 * threads one more. */
static inline uint64_t wl_mut_share(uint64_t total, uint32_t n, uint32_t t)
{
    return total / n + (t < total % n ? 1 : 0);
}

#endif
